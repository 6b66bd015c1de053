package understand_test

import (
	"runtime"
	"runtime/metrics"
	"testing"

	"example.com/sswbot/understand"
)

var keepModel *understand.Model

// The model's indexes are built once and read at every message; the
// collector should mark them as a few large objects, not walk them
// (BENCHMARKS.md, the model's indexes): most of the model's bytes are not
// scanned.
func TestTheModelIsMostlyNotScanned(t *testing.T) {
	c := mustCorpus(t)
	scan0, live0 := heapScan()
	m, err := understand.New(c)
	if err != nil {
		t.Fatal(err)
	}
	keepModel = m
	scan1, live1 := heapScan()
	keepModel = nil
	scan, live := int64(scan1)-int64(scan0), int64(live1)-int64(live0)
	t.Logf("the model: %d KB live, %d KB scanned", live>>10, scan>>10)
	if live <= 0 || scan > live/3 {
		t.Errorf("the collector scans %d of the model's %d bytes", scan, live)
	}
}

func heapScan() (scan, live uint64) {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
