package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

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
