// Package gcfloor sets the Go collector's memory limit after every
// collection, so that the heap may grow to a fixed floor while the live
// heap is small and in proportion to it above that: a server whose live
// heap is a few MB, making its garbage fast, is collected a few times a
// second within the same few tens of MB, instead of walking a heap many
// times its live size (each page of which the kernel faults in once, at
// 12–16 µs a page on a virtual machine with shadow page tables: BENCHMARKS.md),
// and its limit never sits below what it keeps alive (a fixed limit there
// makes the collector run back to back).
//
// It owns nothing but the runtime's GC percent and memory limit; it must
// not know who allocates.
package gcfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Percent is the GC percent set while a Floor runs: high enough that the
// memory limit, not the percent, sets each collection's goal.
const Percent = 4000

// Floor is a running limit setter (Start).
type Floor struct {
	floor, percent int64
	stopped        atomic.Bool
	limit          atomic.Int64 // last set; read by Limit from anywhere

	// samples is tune's alone: tune runs in Start and then in the cleanup
	// of the one sentinel armed at a time, never two at once.
	samples []metrics.Sample
}

// Start sets the GC percent to Percent and, now and after every collection,
// the memory limit to the larger of floor and what the runtime holds besides
// the heap plus the live heap grown by percent (100 = twice the live heap).
// The limit and percent stay as they are after Stop.
func Start(floor int64, percent int) *Floor {
	f := &Floor{floor: floor, percent: int64(percent), samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}}
	f.tune()
	debug.SetGCPercent(Percent)
	f.arm()
	return f
}

// sentinel is an object made unreachable at once, whose cleanup runs after
// the collection that found it so: then it tunes and arms the next. It is
// larger than 16 bytes and has a pointer, so that the tiny allocator does
// not share its block with other objects (which would delay its cleanup).
type sentinel struct {
	_ [3]uintptr
	_ *byte
}

func (f *Floor) arm() {
	runtime.AddCleanup(new(sentinel), func(f *Floor) {
		if f.stopped.Load() {
			return
		}
		f.tune()
		f.arm()
	}, f)
}

// tune sets the limit from the runtime's numbers after the last collection.
func (f *Floor) tune() {
	metrics.Read(f.samples)
	v := func(i int) int64 {
		if f.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(min(f.samples[i].Value.Uint64(), math.MaxInt64/4))
	}
	live := v(0)
	other := v(1) - v(2) - v(3) - v(4) - v(5) // stacks, GC metadata, buffers: counted by the limit too
	limit := max(f.floor, other+live+live*f.percent/100)
	if limit != f.limit.Load() {
		debug.SetMemoryLimit(limit)
		f.limit.Store(limit)
	}
}

// Limit returns the memory limit last set.
func (f *Floor) Limit() int64 { return f.limit.Load() }

// Stop ends the tuning (at the next collection); the limit and percent
// stay as they are.
func (f *Floor) Stop() { f.stopped.Store(true) }
