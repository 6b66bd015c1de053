package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode"
)

// lineBody is how the fake read a reply or push body before the scanner:
// the reference the scanner must agree with.
type lineBody struct {
	ReplyToken string `json:"replyToken"`
	To         string `json:"to"`
	Messages   []struct {
		Type       string `json:"type"`
		Text       string `json:"text"`
		AltText    string `json:"altText"`
		QuickReply *struct {
			Items []struct {
				Action *struct {
					Type string `json:"type"`
					Data string `json:"data"`
					Text string `json:"text"`
				} `json:"action"`
			} `json:"items"`
		} `json:"quickReply"`
	} `json:"messages"`
}

func referenceLineReply(b []byte) (lineReply, error) {
	var x lineBody
	if err := json.Unmarshal(b, &x); err != nil {
		return lineReply{}, err
	}
	r := lineReply{ReplyToken: x.ReplyToken, To: x.To, Messages: len(x.Messages)}
	for _, m := range x.Messages {
		r.Texts = append(r.Texts, m.Text+m.AltText)
		if m.QuickReply == nil || len(m.QuickReply.Items) == 0 || m.QuickReply.Items[0].Action == nil {
			continue
		}
		switch a := m.QuickReply.Items[0].Action; a.Type {
		case "postback":
			r.Button = "postback:" + a.Data
		case "message":
			r.Button = "text:" + a.Text
		}
	}
	return r, nil
}

// lineBodies are real reply bodies (the LINE adapter's goldens) and
// corner cases of the JSON syntax.
func lineBodies(t testing.TB) [][]byte {
	bodies := [][]byte{
		[]byte(`{"replyToken":"abc","messages":[{"type":"text","text":"1"}]}`),
		[]byte(`{"to":"U1","messages":[{"type":"text","text":"a\"b\\c\u00e9\n"},{"type":"flex","altText":"sum","contents":{"type":"bubble","body":{"a":[1,-2.5e3,true,false,null,{}],"b":[]}}}]}`),
		[]byte(`{"replyToken":"t","messages":[{"type":"text","text":"x","quickReply":{"items":[{"type":"action","action":{"type":"message","label":"L","text":"hi"}},{"action":null}]}}]}`),
		[]byte(`{"replyToken":"t","messages":[{"text":"x","quickReply":{"items":[{"action":{"type":"uri","uri":"https://x"}}]}},{"text":"y","quickReply":null}]}`),
		[]byte(` {"ReplyToken":"case","MESSAGES":[null,{"Text":"t","quickreply":{"items":null}}]} `),
		[]byte(`{"replyToken":null,"messages":null}`),
		[]byte(`{"messages":[]}`),
		[]byte(`{}`),
		[]byte(`{"replyToken":5,"messages":[]}`),
		[]byte(`{"messages":{"text":"x"}}`),
		[]byte(`{"messages":[{"text":1}]}`),
		[]byte(`{"messages":[{"text":"x"}]}x`),
		[]byte(`{"messages":[{"text":"x",}]}`),
		[]byte(`{"messages":[{"text":"x"},]}`),
		[]byte(`{"a":tru,"messages":[]}`),
		[]byte(`{"a":01,"messages":[]}`),
		[]byte(`{"messages":[{"text":"\ud83d\ude00 \ud83d x \ude00 \ud83d\u0041 \u00e9\u00E9 \/\b\f\r\t"}]}`),
		[]byte(`{"messages":[{"text":"bad \x"}]}`),
		[]byte(`{"messages":[{"te\u0078t":"escaped key","TEXT":"later, any case"}]}`),
		[]byte(`{"messages":[{"text":"bad \u12"}]}`),
		[]byte(`{"messages":[{"text":"bad \u12g4"}]}`),
		[]byte("{\"messages\":[{\"text\":\"bad utf-8 \xff\xfe \\n\"}]}"),
		[]byte(`{"a":[0,-0,1.5,-2e10,3E+2,4e-1,12.25e3],"messages":[]}`),
		[]byte(`{"a":-,"messages":[]}`),
		[]byte(`{"a":1.,"messages":[]}`),
		[]byte(`{"a":.5,"messages":[]}`),
		[]byte(`{"a":1e,"messages":[]}`),
		[]byte(`{"a":1e+,"messages":[]}`),
		[]byte(`{"a":--1,"messages":[]}`),
		[]byte(`{"a":nul,"messages":[]}`),
		[]byte(`{"a":truex,"messages":[]}`),
		[]byte(`{"a":"ctl` + "\x01" + `"}`),
		[]byte(`{"a" "b"}`),
		[]byte(`[]`),
		[]byte(``),
		[]byte(` null `), // encoding/json reads it, leaving the value zero
		[]byte(`nul`),
		[]byte(`null{}`),
		// Repeated keys: both read them; their values may differ (see the fuzz target).
		[]byte(`{"messages":[{"text":"a"}],"messages":[{}]}`),
		[]byte(`{"messages":[{"text":"x","quickReply":{"items":[{"action":{"type":"message","text":"hi"}}]},"quickReply":{"items":[]}}]}`),
	}
	files, _ := filepath.Glob("../../adapters/line/testdata/flex/*.json")
	files = append(files, "../../adapters/line/testdata/quickreply.golden")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return bodies
}

func TestLineReplyScannerReadsWhatEncodingJSONReads(t *testing.T) {
	bodies := lineBodies(t)
	if len(bodies) < 25 {
		t.Fatalf("only %d bodies: the LINE adapter's goldens moved?", len(bodies))
	}
	for _, b := range bodies {
		checkLineReply(t, b)
		// Every cut of a real body is malformed: both must reject it.
		if len(b) > 200 {
			for n := 0; n < len(b)-1; n += 7 {
				checkLineReply(t, b[:n])
			}
		}
	}
}

func checkLineReply(t testing.TB, b []byte) {
	t.Helper()
	want, werr := referenceLineReply(b)
	got, gerr := parseLineReply(b)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%.80q: scanner error %v, encoding/json error %v", b, gerr, werr)
	}
	if werr == nil && !repeatsKey(b) && !reflect.DeepEqual(got, want) {
		t.Fatalf("%.80q:\nscanner       %+v\nencoding/json %+v", b, got, want)
	}
}

func FuzzLineReplyScanner(f *testing.F) {
	for _, b := range lineBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := referenceLineReply(b)
		got, gerr := parseLineReply(b)
		if werr == nil && gerr != nil {
			t.Fatalf("scanner rejects what encoding/json reads: %v", gerr)
		}
		// A repeated key is undefined in JSON (RFC 8259 §4) and sswbot never
		// sends one; encoding/json then decodes into the earlier slice
		// elements and pointers, which the scanner does not imitate.
		if werr == nil && gerr == nil && !repeatsKey(b) && !reflect.DeepEqual(got, want) {
			t.Fatalf("scanner %+v, encoding/json %+v", got, want)
		}
	})
}

// repeatsKey reports whether some object in b (valid JSON) has two keys
// encoding/json would take for the same field: equal under Unicode case
// folding.
func repeatsKey(b []byte) bool {
	type frame struct {
		object, atKey bool
		keys          map[string]bool
	}
	var stack []frame
	d := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.object && top.atKey {
			if k, ok := tok.(string); ok {
				if top.keys[fold(k)] {
					return true
				}
				top.keys[fold(k)] = true
				top.atKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, atKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object wants a key next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].atKey = true
		}
	}
}

// fold maps each rune to the smallest of its case-folding orbit, so that
// fold(a) == fold(b) exactly when strings.EqualFold(a, b).
func fold(s string) string {
	var out []rune
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		out = append(out, m)
	}
	return string(out)
}

func BenchmarkLineReplyScanner(b *testing.B) {
	body, err := os.ReadFile("../../adapters/line/testdata/flex/ja-summary.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("scanner", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseLineReply(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := referenceLineReply(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestRepeatsKey(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, false},
		{`{"a":1,"A":2}`, true},
		{`{"messages":[],"meſſages":[]}`, true}, // ſ folds to s
		{`{"x":{"k":1,"\u212a":2}}`, true},      // the Kelvin sign folds to k
		{`[{"a":[1,{"b":1}],"b":2},{"a":1}]`, false},
		{`[{"a":[1,{"b":1}],"b":2,"a":1}]`, true},
		{`{"a":"b","b":"a"}`, false},
	} {
		if got := repeatsKey([]byte(c.in)); got != c.want {
			t.Errorf("repeatsKey(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
