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
