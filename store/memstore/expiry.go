package memstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// The case, invite, quota and staff tables expire lazily: a read drops what
// it finds expired, and a table that can grow without reads is swept when
// it is written. These helpers are that one rule, so the tables cannot
// disagree on the boundary (a value expires at its expiry time, not after).

// expired reports whether something that ends at exp is gone at now.
func expired(exp, now time.Time) bool { return !now.Before(exp) }

// liveIn returns m[k] unless it is missing or expired at now; an expired
// value is dropped on the way. s.mu (or the table's own lock) is held.
func liveIn[K comparable, V any](m map[K]V, k K, now time.Time, exp func(V) time.Time) (V, bool) {
	v, ok := m[k]
	if ok && expired(exp(v), now) {
		delete(m, k)
		ok = false
	}
	if !ok {
		var zero V
		return zero, false
	}
	return v, true
}

// sweep drops every value of m expired at now.
func sweep[K comparable, V any](m map[K]V, now time.Time, exp func(V) time.Time) {
	for k, v := range m {
		if expired(exp(v), now) {
			delete(m, k)
		}
	}
}

// versioned is a record stored encoded, so a caller's copy never aliases
// the store's, with a version for optimistic writes: a case or a
// recipient's held notifications.
type versioned struct {
	data    []byte
	version int64
	exp     time.Time
}

func versionedExp(v *versioned) time.Time { return v.exp }

// encode and decode give a record's JSON errors their context ("case",
// "held").
func encode(what string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("memstore: encode %s: %w", what, err)
	}
	return b, nil
}

func decode(what string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("memstore: decode %s: %w", what, err)
	}
	return nil
}
