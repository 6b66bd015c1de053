package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// StaffStore is console.StaffStore (the suite may not import the console):
// staff logins, failed-login counters and the audit log.
type StaffStore interface {
	PutStaffSession(ctx context.Context, key string, record []byte, ttl time.Duration) error
	StaffSession(ctx context.Context, key string) ([]byte, error)
	DeleteStaffSession(ctx context.Context, key string) error
	AddLoginFailure(ctx context.Context, key string, now time.Time, keep time.Duration) (int, error)
	LoginFailures(ctx context.Context, key string) (int, time.Time, error)
	ClearLoginFailures(ctx context.Context, key string) error
	AddAudit(ctx context.Context, line []byte, keep int) error
	Audit(ctx context.Context, n int) ([][]byte, error)
}

// RunStaff runs the staff part of the suite. newStore returns two handles
// on one empty store (for Redis: two clients, as two console processes
// have) and advance, which moves the store's clock (see Factory).
func RunStaff(t *testing.T, newStore func(t *testing.T) (a, b StaffStore, advance func(time.Duration))) {
	t.Run("a login stored by one handle is read by the other until it expires or ends", func(t *testing.T) {
		a, b, advance := newStore(t)
		testStaffSessions(t, a, b, advance)
	})
	t.Run("failed logins count across handles and clear", func(t *testing.T) {
		a, b, advance := newStore(t)
		testLoginFailures(t, a, b, advance)
	})
	t.Run("concurrent failures all count", func(t *testing.T) {
		a, b, _ := newStore(t)
		testConcurrentFailures(t, a, b)
	})
	t.Run("the audit log keeps the newest lines of every handle", func(t *testing.T) {
		a, b, _ := newStore(t)
		testAudit(t, a, b)
	})
}

func testStaffSessions(t *testing.T, a, b StaffStore, advance func(time.Duration)) {
	ctx := t.Context()
	if got, err := b.StaffSession(ctx, "k1"); err != nil || got != nil {
		t.Fatalf("unknown session = %q, %v; want nil, nil", got, err)
	}
	if err := a.PutStaffSession(ctx, "k1", []byte(`{"staff":"aiko"}`), 800*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := a.PutStaffSession(ctx, "k2", []byte(`{"staff":"bek"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := b.StaffSession(ctx, "k1"); err != nil || string(got) != `{"staff":"aiko"}` {
		t.Fatalf("session via the other handle = %q, %v", got, err)
	}
	// A rewrite (a flash message) replaces the record.
	if err := b.PutStaffSession(ctx, "k2", []byte(`{"staff":"bek","flash":1}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.StaffSession(ctx, "k2"); string(got) != `{"staff":"bek","flash":1}` {
		t.Errorf("rewritten session = %q", got)
	}
	if err := b.DeleteStaffSession(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.StaffSession(ctx, "k2"); got != nil {
		t.Errorf("ended session still there: %q", got)
	}
	advance(1200 * time.Millisecond)
	if got, _ := b.StaffSession(ctx, "k1"); got != nil {
		t.Errorf("expired session still there: %q", got)
	}
}

func testLoginFailures(t *testing.T, a, b StaffStore, advance func(time.Duration)) {
	ctx := t.Context()
	if n, last, err := a.LoginFailures(ctx, "u:x"); err != nil || n != 0 || !last.IsZero() {
		t.Fatalf("no failures = %d, %v, %v", n, last, err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		n, err := []StaffStore{a, b}[i%2].AddLoginFailure(ctx, "u:x", t0.Add(time.Duration(i)*time.Second), 800*time.Millisecond)
		if err != nil || n != i+1 {
			t.Fatalf("failure %d: count %d, %v", i+1, n, err)
		}
	}
	n, last, err := b.LoginFailures(ctx, "u:x")
	if err != nil || n != 3 || !last.Equal(t0.Add(2*time.Second)) {
		t.Errorf("failures = %d, last %v, %v; want 3, %v", n, last, err, t0.Add(2*time.Second))
	}
	if n, _, _ := a.LoginFailures(ctx, "u:y"); n != 0 {
		t.Errorf("another key has %d failures", n)
	}
	if err := a.ClearLoginFailures(ctx, "u:x"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := b.LoginFailures(ctx, "u:x"); n != 0 {
		t.Errorf("%d failures after clearing", n)
	}
	if _, err := a.AddLoginFailure(ctx, "u:z", t0, 800*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	advance(1200 * time.Millisecond)
	if n, _, _ := b.LoginFailures(ctx, "u:z"); n != 0 {
		t.Errorf("%d failures after keep ran out", n)
	}
}

func testConcurrentFailures(t *testing.T, a, b StaffStore) {
	const n = 40
	var wg sync.WaitGroup
	now := time.Now()
	for i := range n {
		wg.Go(func() {
			if _, err := []StaffStore{a, b}[i%2].AddLoginFailure(t.Context(), "a:203.0.113.9", now, time.Hour); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _, err := a.LoginFailures(t.Context(), "a:203.0.113.9"); err != nil || got != n {
		t.Errorf("%d failures counted (%v), want %d", got, err, n)
	}
}

func testAudit(t *testing.T, a, b StaffStore) {
	ctx := t.Context()
	if got, err := a.Audit(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("empty audit = %q, %v", got, err)
	}
	for i := range 7 {
		if err := []StaffStore{a, b}[i%2].AddAudit(ctx, []byte(fmt.Sprint("line ", i)), 5); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"line 6", "line 5", "line 4", "line 3", "line 2"}
	if len(got) != len(want) {
		t.Fatalf("audit = %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("audit[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	if got, _ := a.Audit(ctx, 2); len(got) != 2 || string(got[0]) != "line 6" {
		t.Errorf("Audit(2) = %q", got)
	}
}
