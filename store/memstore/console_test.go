package memstore_test

import (
	"fmt"
	"testing"
	"time"

	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(*testing.T) storetest.ConsoleStore { return memstore.New(memstore.Options{}) })
}

func TestStaffConformance(t *testing.T) {
	storetest.RunStaff(t, func(*testing.T) (a, b storetest.StaffStore, advance func(time.Duration)) {
		clk := &clock{now: time.Now()}
		s := memstore.New(memstore.Options{Now: clk.Now})
		return s, s, clk.Advance
	})
}

func TestLoginFailureCountersStayBounded(t *testing.T) {
	s := memstore.New(memstore.Options{})
	ctx := t.Context()
	now := time.Now()
	// An attacker with endless names and addresses, one try each.
	for i := range memstore.MaxStaffKeys + 10 {
		now = now.Add(time.Millisecond)
		if _, err := s.AddLoginFailure(ctx, fmt.Sprint("u:", i), now, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.StaffKeys(); got > memstore.MaxStaffKeys {
		t.Errorf("%d counters, want at most %d", got, memstore.MaxStaffKeys)
	}
	// The newest counter, part of the running attack, is kept.
	if n, _, _ := s.LoginFailures(ctx, fmt.Sprint("u:", memstore.MaxStaffKeys+9)); n != 1 {
		t.Errorf("the newest counter has %d failures, want 1", n)
	}
}
