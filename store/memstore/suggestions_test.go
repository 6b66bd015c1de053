package memstore_test

import (
	"testing"

	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/storetest"
)

func TestSuggestionsConformance(t *testing.T) {
	storetest.RunSuggestions(t, func(t *testing.T) storetest.SuggestionStore {
		return memstore.New(memstore.Options{})
	})
}
