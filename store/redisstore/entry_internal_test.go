package redisstore

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// full returns an Entry with every field set, found by reflection, so a
// field added to bot.Entry is in the round trip below without editing it.
func full(t *testing.T) bot.Entry {
	var e bot.Entry
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + " ünïcode 技能\n\x00{}")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"one", "", "三"}))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Date(2026, 12, 1, 5, 6, 7, 890123456, time.UTC)))
		default:
			t.Fatalf("bot.Entry.%s is a %s: teach appendEntry and this test about it", v.Type().Field(i).Name, f.Kind())
		}
	}
	return e
}

func TestEntryEncodingCoversEveryField(t *testing.T) {
	e := full(t)
	got, err := decodeEntry(string(appendEntry(nil, e)))
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v, %v\nwant %+v\n(a new field of bot.Entry must be added to appendEntry and decodeEntry)", got, err, e)
	}
	if empty, err := decodeEntry(string(appendEntry(nil, bot.Entry{Time: e.Time}))); err != nil || !reflect.DeepEqual(empty, bot.Entry{Time: e.Time}) {
		t.Errorf("an empty entry: %+v, %v", empty, err)
	}
	js, _ := json.Marshal(e)
	t.Logf("%d bytes, as JSON %d", len(appendEntry(nil, e)), len(js))
}

// Entries written before the compact form, as JSON, are still read.
func TestEntryReadsJSON(t *testing.T) {
	e := full(t)
	js, _ := json.Marshal(e)
	if got, err := decodeEntry(string(js)); err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(string(appendEntry(nil, bot.Entry{Text: "hi", Choices: []string{"a"}})))
	f.Add(`{"t":"2026-01-01T00:00:00Z","dir":"in","text":"x"}`)
	f.Add("\x01")
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := decodeEntry(raw) // must not panic
		if err == nil && raw != "" && raw[0] == entryV1 {
			if again, err := decodeEntry(string(appendEntry(nil, e))); err != nil || !reflect.DeepEqual(again, e) {
				t.Fatalf("re-encoded %+v reads as %+v, %v", e, again, err)
			}
		}
	})
}

// fullMeta returns a Meta with every field set, found by reflection.
func fullMeta(t *testing.T) bot.Meta {
	var m bot.Meta
	v := reflect.ValueOf(&m).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + " ünïcode 技能\n\x00{}")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(int64(1000 + i))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Date(2026, 12, 1, 5, 6, i, 890123456, time.FixedZone("", 9*3600))))
		default:
			t.Fatalf("bot.Meta.%s is a %s: teach appendMeta and this test about it", v.Type().Field(i).Name, f.Kind())
		}
	}
	return m
}

func TestMetaEncodingCoversEveryField(t *testing.T) {
	m := fullMeta(t)
	for _, want := range []bot.Meta{m, {}, {Started: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}} {
		v, got, err := parseMeta(string(appendMeta(nil, 42, want)))
		if err != nil || v != 42 || got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("round trip:\n got %d %+v, %v\nwant %+v\n(a new field of bot.Meta must be added to appendMeta and decodeMeta)", v, got, err, want)
		}
	}
	js, _ := json.Marshal(m)
	t.Logf("%d bytes, as JSON %d", len(appendMeta(nil, 42, m)), len(js))
}

// Index records written as JSON before the compact form still load.
func TestMetaReadsJSON(t *testing.T) {
	m := fullMeta(t)
	js, _ := json.Marshal(m)
	v, got, err := parseMeta("7\n" + string(js))
	if err != nil || v != 7 || got == nil || !got.Started.Equal(m.Started) || got.Turns != m.Turns || got.Reached != m.Reached {
		t.Fatalf("got %d %+v, %v", v, got, err)
	}
	if _, _, err := parseMeta("7\n\x01garbage"); err == nil {
		t.Error("a bad record was read")
	}
}

// metaSize and entrySize size commit's one buffer: were either short, every
// commit would grow it again (correct, but the allocations it saves are back).
func TestSizesBoundTheEncodings(t *testing.T) {
	m := fullMeta(t)
	v := reflect.ValueOf(&m).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Int || f.Kind() == reflect.Int64 {
			f.SetInt(math.MinInt64 >> (64 - 8*f.Type().Size()))
		}
	}
	far := time.Date(-292277022, 1, 1, 0, 0, 0, 999999999, time.FixedZone("", -12*3600))
	m.Started, m.LastActive = far, far
	for _, mm := range []bot.Meta{m, {}} {
		if got, max := len(appendMeta(nil, math.MinInt64, mm)), metaSize(mm); got > max {
			t.Errorf("meta: %d bytes, metaSize says at most %d", got, max)
		}
	}
	e := full(t)
	e.Time = far
	for _, ee := range []bot.Entry{e, {}} {
		if got, max := len(appendEntry(nil, ee)), entrySize(ee); got > max {
			t.Errorf("entry: %d bytes, entrySize says at most %d", got, max)
		}
	}
}
