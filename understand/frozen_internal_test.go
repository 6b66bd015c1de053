package understand

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestPostingsAnswerAsTheMap(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 100, 5000} {
		m := map[string][]int32{}
		for i := range n {
			k := fmt.Sprintf("ключ%d", i)
			m[k] = []int32{int32(i), int32(i * 7)}
		}
		if n > 0 {
			m["ab"] = []int32{42} // a short key among long ones
		}
		p := freeze(m)
		for k, want := range m {
			if got := p.get(k); !slices.Equal(got, want) {
				t.Fatalf("n=%d: get(%q) = %v, want %v", n, k, got, want)
			}
			if got := p.getBytes([]byte(k)); !slices.Equal(got, want) {
				t.Fatalf("n=%d: getBytes(%q) = %v, want %v", n, k, got, want)
			}
		}
		for _, k := range []string{"", "a", "ключ", "ключ-1", fmt.Sprintf("ключ%d", n)} {
			if got := p.get(k); got != nil {
				t.Errorf("n=%d: get(%q) = %v, want nil", n, k, got)
			}
			if got := p.getBytes([]byte(k)); got != nil {
				t.Errorf("n=%d: getBytes(%q) = %v, want nil", n, k, got)
			}
		}
		// A list cannot be appended to over its neighbour's ids.
		if n > 1 {
			l := p.get("ключ0")
			_ = append(l, 99)
			if got := p.get("ключ0"); !slices.Equal(got, m["ключ0"]) {
				t.Fatalf("a caller's append changed the index: %v", got)
			}
		}
	}
	x := freezeIDs(map[string]int32{"один": 1, "two": 2})
	if id, ok := x.get("один"); !ok || id != 1 {
		t.Errorf("ids.get = %d, %v", id, ok)
	}
	if _, ok := x.getBytes([]byte("three")); ok {
		t.Error("ids.getBytes found a missing key")
	}
	pk := pack([][]int32{{1, 2}, nil, {3}})
	if !slices.Equal(pk.at(0), []int32{1, 2}) || len(pk.at(1)) != 0 || !slices.Equal(pk.at(2), []int32{3}) {
		t.Errorf("packed: %v %v %v", pk.at(0), pk.at(1), pk.at(2))
	}
	ss := []string{"alpha", "", "бета"}
	oneString(ss)
	if !slices.Equal(ss, []string{"alpha", "", "бета"}) {
		t.Errorf("oneString changed the strings: %q", ss)
	}
}

// The point of the frozen indexes: arrays the collector does not walk.
// A field with a pointer here brings back a walk of every slot.
func TestFrozenIndexesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[slot](), reflect.TypeFor[int32]()} {
		if hasPointers(typ) {
			t.Errorf("%v holds pointers", typ)
		}
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.String, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Array:
		return hasPointers(t.Elem())
	}
	return false
}
