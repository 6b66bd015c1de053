package console

import (
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"example.com/sswbot/store/memstore"
)

func TestLockoutGrowsPerNameAndAddress(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := newAuth(Config{Users: map[string]string{"aiko": string(h)}, Now: clock, Logger: slog.New(slog.DiscardHandler)},
		memstore.New(memstore.Options{Now: clock}))
	ctx := t.Context()
	wait := func(name, ip string) time.Duration {
		t.Helper()
		d, err := a.lockedFor(ctx, name, ip)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for range lockAfter - 1 {
		if err := a.fail(ctx, "aiko", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
	}
	if d := wait("aiko", "203.0.113.9"); d != 0 {
		t.Fatalf("locked for %v after %d failures, want not yet", d, lockAfter-1)
	}
	// The growing delays: 1, 2, 4 … minutes after each further failure.
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		_ = a.fail(ctx, "aiko", "203.0.113.9")
		if d := wait("aiko", "203.0.113.9"); d != want {
			t.Errorf("after failure %d locked for %v, want %v", lockAfter+i, d, want)
		}
		now = now.Add(want) // wait it out, then fail again
	}
	// Knowing the name is not enough to lock aiko out elsewhere.
	_ = a.fail(ctx, "aiko", "203.0.113.9")
	if d := wait("aiko", "198.51.100.1"); d != 0 {
		t.Errorf("aiko locked from another address for %v", d)
	}
	if d := wait("bek", "203.0.113.9"); d != 0 {
		t.Errorf("another name locked from the attacker's address for %v after %d failures", d, lockAfter+3)
	}
	// Many names from one address lock that address.
	for i := range lockAfterAddr {
		_ = a.fail(ctx, "guess"+strconv.Itoa(i), "192.0.2.50")
	}
	if d := wait("aiko", "192.0.2.50"); d != lockFirst {
		t.Errorf("an address that tried %d names is locked for %v, want %v", lockAfterAddr, d, lockFirst)
	}
	// The cap.
	if got := lockDelay(1000, lockAfter); got != lockMax {
		t.Errorf("lockDelay(1000) = %v, want %v", got, lockMax)
	}
}

func TestClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		peer   string
		header []string
		want   string
	}{
		{"a peer that is no proxy counts, whatever the header says", "198.51.100.9:5555", []string{"203.0.113.7"}, "198.51.100.9"},
		{"behind a trusted proxy its entry counts", "192.0.2.1:5555", []string{"203.0.113.7"}, "203.0.113.7"},
		{"addresses the client sent before the proxy's do not count", "192.0.2.1:5555", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies is walked from the end", "192.0.2.1:5555", []string{"198.51.100.1, 203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"of repeated headers the last one counts", "192.0.2.1:5555", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"an IPv6 address is kept", "192.0.2.1:5555", []string{"2001:db8::1"}, "2001:db8::1"},
		{"an IPv4-mapped address is unmapped", "192.0.2.1:5555", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a missing header leaves the proxy", "192.0.2.1:5555", nil, "192.0.2.1"},
		{"garbage stops the walk at the last address read", "192.0.2.1:5555", []string{"203.0.113.7, <script>"}, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/console/login", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.header {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, proxies); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, proxy.local"); err == nil {
		t.Error("a host name was taken as a proxy address")
	}
}
