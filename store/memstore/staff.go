package memstore

import (
	"context"
	"slices"
	"sync"
	"time"
)

// maxStaffKeys caps the login sessions and the failed-login counters each:
// every failed login adds counters, and neither the name nor (over IPv6)
// the address costs an attacker anything. Past the cap the entries
// touched longest ago go first.
const maxStaffKeys = 10000

// staffData is what the console keeps (console.StaffStore): logins, failed
// login counters and the audit log. It has its own lock: logins do not
// wait for turns.
type staffData struct {
	mu        sync.Mutex
	sessions  map[string]staffSession
	failures  map[string]failures
	audit     [][]byte // oldest first; the newest auditKeep count
	auditKeep int
}

type staffSession struct {
	record []byte
	exp    time.Time
}

func sessionExp(v staffSession) time.Time { return v.exp }

type failures struct {
	n    int
	last time.Time
	exp  time.Time
}

// PutStaffSession implements console.StaffStore.
func (s *Store) PutStaffSession(_ context.Context, key string, record []byte, ttl time.Duration) error {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sessions == nil {
		d.sessions = map[string]staffSession{}
	}
	now := s.opt.Now()
	d.sessions[key] = staffSession{record: append([]byte(nil), record...), exp: now.Add(ttl)}
	if len(d.sessions) > maxStaffKeys {
		sweep(d.sessions, now, sessionExp)
		trim(d.sessions, func(v staffSession) time.Time { return v.exp })
	}
	return nil
}

// StaffSession implements console.StaffStore.
func (s *Store) StaffSession(_ context.Context, key string) ([]byte, error) {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := liveIn(d.sessions, key, s.opt.Now(), sessionExp)
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v.record...), nil
}

// DeleteStaffSession implements console.StaffStore.
func (s *Store) DeleteStaffSession(_ context.Context, key string) error {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.sessions, key)
	return nil
}

// AddLoginFailure implements console.StaffStore.
func (s *Store) AddLoginFailure(_ context.Context, key string, now time.Time, keep time.Duration) (int, error) {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failures == nil {
		d.failures = map[string]failures{}
	}
	f := d.live(key, s.opt.Now())
	f.n++
	f.last, f.exp = now, s.opt.Now().Add(keep)
	d.failures[key] = f
	if len(d.failures) > maxStaffKeys {
		sweep(d.failures, s.opt.Now(), func(f failures) time.Time { return f.exp })
		trim(d.failures, func(v failures) time.Time { return v.last })
	}
	return f.n, nil
}

// live returns key's counter unless it expired; d.mu is held.
func (d *staffData) live(key string, now time.Time) failures {
	f := d.failures[key]
	if f.n > 0 && !now.Before(f.exp) {
		delete(d.failures, key)
		return failures{}
	}
	return f
}

// LoginFailures implements console.StaffStore.
func (s *Store) LoginFailures(_ context.Context, key string) (int, time.Time, error) {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.live(key, s.opt.Now())
	return f.n, f.last, nil
}

// ClearLoginFailures implements console.StaffStore.
func (s *Store) ClearLoginFailures(_ context.Context, key string) error {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.failures, key)
	return nil
}

// AddAudit implements console.StaffStore.
func (s *Store) AddAudit(_ context.Context, line []byte, keep int) error {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	d.audit = append(d.audit, append([]byte(nil), line...))
	d.auditKeep = keep
	if n := len(d.audit); keep > 0 && n > keep {
		// Copy down now and then rather than on every line.
		if n > keep+keep/4+1 {
			d.audit = append(d.audit[:0:0], d.audit[n-keep:]...)
		}
	}
	return nil
}

// Audit implements console.StaffStore.
func (s *Store) Audit(_ context.Context, n int) ([][]byte, error) {
	d := &s.staff
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.auditKeep > 0 {
		n = min(n, d.auditKeep)
	}
	out := make([][]byte, 0, min(n, len(d.audit)))
	for i := len(d.audit) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, append([]byte(nil), d.audit[i]...))
	}
	return out, nil
}

// trim drops the entries of m with the oldest times down to 90% of
// maxStaffKeys, so the sort is rare.
func trim[V any](m map[string]V, at func(V) time.Time) {
	if len(m) <= maxStaffKeys {
		return
	}
	type kt struct {
		k string
		t time.Time
	}
	all := make([]kt, 0, len(m))
	for k, v := range m {
		all = append(all, kt{k, at(v)})
	}
	slices.SortFunc(all, func(x, y kt) int { return x.t.Compare(y.t) })
	for _, e := range all[:len(all)-maxStaffKeys*9/10] {
		delete(m, e.k)
	}
}
