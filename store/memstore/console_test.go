package memstore_test

import (
	"testing"

	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(*testing.T) storetest.ConsoleStore { return memstore.New(memstore.Options{}) })
}
