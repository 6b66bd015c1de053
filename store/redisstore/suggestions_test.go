package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
	"example.com/sswbot/store/storetest"
)

func TestSuggestionsConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunSuggestions(t, func(t *testing.T) storetest.SuggestionStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("s%d:", n.Add(1))})
	})
}
