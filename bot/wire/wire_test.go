package wire

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var b []byte
	ints := []int64{0, 1, -1, 63, -64, 1 << 40, math.MaxInt64, math.MinInt64}
	uints := []uint64{0, 1, 127, 128, 1 << 35, math.MaxUint64}
	strs := []string{"", "a", "ステップ 2/4", string(make([]byte, 300))}
	for _, v := range ints {
		b = AppendInt(b, v)
	}
	for _, v := range uints {
		b = AppendUint(b, v)
	}
	for _, s := range strs {
		b = AppendString(b, s)
	}
	b = AppendBool(AppendBool(b, true), false)
	r := NewReader(string(b))
	for _, want := range ints {
		if got := r.Int(); got != want {
			t.Errorf("Int = %d, want %d", got, want)
		}
	}
	for _, want := range uints {
		if got := r.Uint(); got != want {
			t.Errorf("Uint = %d, want %d", got, want)
		}
	}
	for _, want := range strs {
		if got := r.String(); got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	}
	if !r.Bool() || r.Bool() {
		t.Error("bools")
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	// The hand-written varint reads what encoding/binary reads.
	for _, v := range uints {
		if got := NewReader(string(binary.AppendUvarint(nil, v))).Uint(); got != v {
			t.Errorf("Uint(%d) = %d", v, got)
		}
	}
}

func TestBadRecords(t *testing.T) {
	for name, rec := range map[string]string{
		"string longer than the record": string(AppendUint(nil, 5)) + "ab",
		"count larger than the record":  string(AppendUint(nil, 1000)),
		"varint runs off the end":       "\xff\xff",
		"varint too long":               "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
		"bytes left over":               string(AppendString(nil, "a")) + "x",
	} {
		r := NewReader(rec)
		_ = r.String()
		r.Count()
		if r.Err() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add("\x03abc\x01")
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(s)
		for r.err == nil && r.s != "" {
			n := r.Count()
			for range n {
				_ = r.String()
			}
			r.Int()
		}
	})
}
