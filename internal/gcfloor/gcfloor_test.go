package gcfloor_test

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"example.com/sswbot/internal/gcfloor"
)

var keep []byte

// TestFloorFollowsTheLiveHeap checks the limit is the floor while little
// is live, rises with a large live heap, and comes back when it is freed.
func TestFloorFollowsTheLiveHeap(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	const floor = 32 << 20
	f := gcfloor.Start(floor, 100)
	t.Cleanup(func() { f.Stop(); debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	if got := debug.SetGCPercent(gcfloor.Percent); got != gcfloor.Percent {
		t.Errorf("GC percent %d, want %d", got, gcfloor.Percent)
	}
	if got := debug.SetMemoryLimit(-1); got != floor || f.Limit() != floor {
		t.Fatalf("limit %d (Limit %d), want the floor %d", got, f.Limit(), floor)
	}

	keep = make([]byte, 100<<20)
	waitFor(t, "a limit above twice the live heap", func() bool { return f.Limit() >= 200<<20 })
	if got := debug.SetMemoryLimit(-1); got != f.Limit() {
		t.Errorf("runtime's limit %d, Limit says %d", got, f.Limit())
	}

	keep = nil
	waitFor(t, "the floor again", func() bool { return f.Limit() == floor })
}

// waitFor collects until ok holds: the limit is set after a collection, in
// the runtime's cleanup goroutine. It gives up after a generous bound
// (correctness, not speed, is checked here).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		if ok() {
			return
		}
	}
	t.Fatalf("no %s", what)
}
