package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
	"example.com/sswbot/store/storetest"
)

func TestCasesConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunCases(t, func(t *testing.T) bot.CaseStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("c%d:", n.Add(1))})
	})
}

func TestQuotaConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunQuota(t, func(t *testing.T) bot.QuotaStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("q%d:", n.Add(1))})
	})
}
