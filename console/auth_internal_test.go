package console

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestFailureCountersStayBounded(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := newAuth(Config{Users: map[string]string{"aiko": string(h)}, Now: func() time.Time { return now }})

	// An attacker with endless names and addresses, one try each.
	for i := range maxFailureKeys {
		now = now.Add(time.Millisecond)
		a.fail("guess"+strconv.Itoa(i), "2001:db8::"+strconv.FormatInt(int64(i), 16))
	}
	if got := a.failureKeys(); got > maxFailureKeys {
		t.Errorf("%d counters, want at most %d", got, maxFailureKeys)
	}
	// A real brute force against one name is still caught in the flood.
	for range maxFailures {
		now = now.Add(time.Millisecond)
		a.fail("aiko", "203.0.113.9")
	}
	if !a.locked("aiko", "198.51.100.1") || !a.locked("bek", "203.0.113.9") {
		t.Error("the latest attack is not locked after the cap pruned older counters")
	}
	// Expired counters go on the next failure, not only on the next check.
	now = now.Add(lockWindow)
	a.fail("bek", "198.51.100.2")
	if got, want := a.failureKeys(), 2; got != want {
		t.Errorf("%d counters after the window, want %d", got, want)
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		trust  bool
		header []string
		want   string
	}{
		{"without a proxy the peer counts", false, []string{"203.0.113.7"}, "192.0.2.1"},
		{"behind a proxy its address counts", true, []string{"203.0.113.7"}, "203.0.113.7"},
		{"addresses the client sent before the proxy's do not count", true, []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"of repeated headers the proxy's last one counts", true, []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"an IPv6 address is kept", true, []string{"2001:db8::1"}, "2001:db8::1"},
		{"an IPv4-mapped address is unmapped", true, []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a missing header falls back to the peer", true, nil, "192.0.2.1"},
		{"garbage falls back to the peer", true, []string{"203.0.113.7, <script>"}, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/console/login", nil)
			r.RemoteAddr = "192.0.2.1:5555"
			for _, v := range tt.header {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.trust); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
