package memstore_test

import (
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/storetest"
)

func TestCasesConformance(t *testing.T) {
	storetest.RunCases(t, func(t *testing.T) bot.CaseStore { return memstore.New(memstore.Options{}) })
}

func TestQuotaConformance(t *testing.T) {
	storetest.RunQuota(t, func(t *testing.T) bot.QuotaStore { return memstore.New(memstore.Options{}) })
}
