package bot

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"example.com/sswbot/dialog"
)

// fillAll sets every field reachable from v to a value that is not its zero
// value and differs from its siblings', two elements per slice, so a
// round trip that drops or swaps a field (one added later included) shows.
func fillAll(v reflect.Value, seed *int) {
	*seed++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*seed) + " ✅ ステップ")
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*seed) * 1_000_003)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), seed)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(v.Index(i), seed)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), seed)
			}
		}
	default:
		panic("fillAll: add " + v.Kind().String())
	}
}

func filled[T any]() T {
	var v T
	seed := 0
	fillAll(reflect.ValueOf(&v).Elem(), &seed)
	return v
}

func TestCodecsCoverEveryField(t *testing.T) {
	sess := filled[dialog.Session]()
	got, err := decodeSession(encodeSession(sess))
	if err != nil || !reflect.DeepEqual(got, sess) {
		t.Errorf("session round trip:\n got %+v, %v\nwant %+v", got, err, sess)
	}
	rec := filled[recorded]()
	back, err := decodeRecorded(encodeRecorded(rec))
	if err != nil || !reflect.DeepEqual(back, rec) {
		t.Errorf("recorded round trip:\n got %+v, %v\nwant %+v", back, err, rec)
	}
	if back, err := decodeRecorded(encodeRecorded(recorded{})); err != nil || !reflect.DeepEqual(back, recorded{}) {
		t.Errorf("empty recorded: %+v, %v", back, err)
	}
}

// Sessions and dedupe records written as JSON by earlier versions still load.
func TestCodecsReadJSON(t *testing.T) {
	sess := filled[dialog.Session]()
	js, _ := json.Marshal(sess)
	if got, err := decodeSession(js); err != nil || !reflect.DeepEqual(got, sess) {
		t.Errorf("JSON session: %+v, %v", got, err)
	}
	rec := filled[recorded]()
	js, _ = json.Marshal(rec)
	if got, err := decodeRecorded(js); err != nil || !reflect.DeepEqual(got, rec) {
		t.Errorf("JSON record: %+v, %v", got, err)
	}
	// What staff actions commit as their outcome.
	if got, err := decodeRecorded([]byte("{}")); err != nil || len(got.Replies) != 0 {
		t.Errorf("{}: %+v, %v", got, err)
	}
}

func TestCodecsRefuseGarbage(t *testing.T) {
	enc := encodeRecorded(filled[recorded]())
	for _, raw := range [][]byte{nil, {}, {9}, enc[:len(enc)-1], append(enc[:len(enc):len(enc)], 0)} {
		if _, err := decodeRecorded(raw); err == nil {
			t.Errorf("record %q read", raw)
		}
	}
	encS := encodeSession(filled[dialog.Session]())
	for _, raw := range [][]byte{{}, {9}, encS[:len(encS)-1]} {
		if _, err := decodeSession(raw); err == nil {
			t.Errorf("session %q read", raw)
		}
	}
}

func FuzzDecodeRecorded(f *testing.F) {
	f.Add(encodeRecorded(filled[recorded]()))
	f.Add(encodeSession(filled[dialog.Session]()))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 0 && raw[0] == '{' {
			return // JSON: encoding/json's business
		}
		if rec, err := decodeRecorded(raw); err == nil {
			if again, err := decodeRecorded(encodeRecorded(rec)); err != nil || !reflect.DeepEqual(again, rec) {
				t.Fatalf("re-encoding %+v gives %+v, %v", rec, again, err)
			}
		}
		_, _ = decodeSession(raw)
	})
}
