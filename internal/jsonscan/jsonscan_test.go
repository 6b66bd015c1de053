package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// check holds Skip, Str, Int and Bool to encoding/json on one input: Skip
// takes exactly the valid JSON values; Str, Int and Bool read what
// encoding/json reads into a string, int64 and bool (Int and Bool may refuse
// more: a fraction, an exponent, an int64 overflow).
func check(t *testing.T, b []byte) {
	t.Helper()
	s := New(b)
	if got, want := s.Skip() && s.End(), json.Valid(b); got != want {
		t.Fatalf("%q: Skip %v, json.Valid %v", b, got, want)
	}

	var ws string
	werr := json.Unmarshal(b, &ws)
	s = New(b)
	v, ok := s.Str()
	ok = ok && s.End()
	isNull := bytes.Equal(bytes.TrimSpace(b), []byte("null")) // encoding/json takes null for a string
	switch {
	case ok != (werr == nil) && !isNull:
		t.Fatalf("%q: Str %v, encoding/json %v", b, ok, werr)
	case ok && string(v) != ws:
		t.Fatalf("%q: Str %q, encoding/json %q", b, v, ws)
	}

	var wn int64
	s = New(b)
	if n, ok := s.Int(); ok && s.End() {
		if err := json.Unmarshal(b, &wn); err != nil || n != wn {
			t.Fatalf("%q: Int %d, encoding/json %d (%v)", b, n, wn, err)
		}
	}

	var wb bool
	s = New(b)
	if v, ok := s.Bool(); ok && s.End() {
		if err := json.Unmarshal(b, &wb); err != nil || v != wb {
			t.Fatalf("%q: Bool %v, encoding/json %v (%v)", b, v, wb, err)
		}
	}
}

var samples = []string{
	`"plain"`, `"a\nb \"q\" \\ \/ \t \b \f \r"`, `"\u00e9\u65E5"`, `"\ud83d\ude00"`,
	`"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83dx"`, "\"\xff\xfe ok\"", "\"\xe6\x97\"",
	`"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", `"abc`, `"\`,
	`0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e5`, `1E+5`, `1e`, `-12.5e-3`, `9223372036854775807`, `9223372036854775808`,
	`true`, `false`, `null`, `tru`, `truex`, `nul`,
	` {"a":[1,{"b":null},true,"\u00e9"],"c":{}} `, `{"a":1,}`, `[1,]`, `[`, `{`, `{"a"}`, `{"a":}`, `[1 2]`, `{} x`, `{"\u0065":1}`,
	` "x" `, ``, ` `,
}

func TestAgainstEncodingJSON(t *testing.T) {
	for _, c := range samples {
		check(t, []byte(c))
	}
}

// FuzzAgainstEncodingJSON holds the string, skip and number primitives to
// encoding/json.
func FuzzAgainstEncodingJSON(f *testing.F) {
	for _, c := range samples {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { check(t, b) })
}

func TestObjectArray(t *testing.T) {
	for _, tc := range []struct {
		in    string
		depth int
		want  string // the keys and elements read, or "refused"
	}{
		{`{"a": "x", "b": [1, "y"], "c\u0021": {}}`, 0, "a=x b=[1 y] c!=skipped"},
		{`{}`, 0, ""},
		{`{"a":"x",}`, 0, "refused"},
		{`{"a":"x"} x`, 0, "refused"},
		{`{"a":[[[1]]]}`, 3, "refused"}, // four levels deep
		{`{"a":[[1]]}`, 3, "a=skipped"},
	} {
		s := New([]byte(tc.in))
		s.MaxDepth = tc.depth
		var got []string
		ok := s.Object(func(key []byte) bool {
			switch string(key) {
			case "a":
				if v, ok := s.Str(); ok {
					got = append(got, "a="+string(v))
					return true
				}
				got = append(got, "a=skipped")
				return s.Skip()
			case "b":
				var el []string
				ok := s.Array(func() bool {
					if n, ok := s.Int(); ok {
						el = append(el, string(rune('0'+n)))
						return true
					}
					v, ok := s.Str()
					el = append(el, string(v))
					return ok
				})
				got = append(got, "b="+"["+strings.Join(el, " ")+"]")
				return ok
			}
			got = append(got, string(key)+"=skipped")
			return s.Skip()
		})
		res := strings.Join(got, " ")
		if !ok || !s.End() {
			res = "refused"
		}
		if res != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, res, tc.want)
		}
	}
}
