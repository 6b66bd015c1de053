package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
	"example.com/sswbot/store/storetest"
)

func TestConsoleConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("c%d:", n.Add(1))})
	})
}

func TestStaffConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunStaff(t, func(t *testing.T) (a, b storetest.StaffStore, advance func(time.Duration)) {
		prefix := fmt.Sprintf("st%d:", n.Add(1))
		// Two clients, as two console processes have.
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: prefix}),
			mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: prefix}), time.Sleep
	})
}
