package main

import (
	"math"
	"runtime/debug"
	"testing"

	"example.com/sswbot/internal/gcfloor"
)

// TestTuneGC checks the collector settings serve picks for each store (with
// Redis the floor, as the test's live heap is small), and
// that GOGC or GOMEMLIMIT in the environment leave Go's own in place.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	noEnv := func(string) string { return "" }
	only := func(key string) func(string) string { // an environment with key set
		return func(k string) string {
			if k == key {
				return "1"
			}
			return ""
		}
	}
	tests := []struct {
		name        string
		cfg         Config
		getenv      func(string) string
		wantPercent int
		wantLimit   int64
	}{
		{"redis", Config{RedisURL: "redis://127.0.0.1:6379"}, noEnv, gcfloor.Percent, redisHeapFloor},
		{"memory, default bound", Config{}, noEnv, 400, 2*256<<20 + 256<<20},
		{"memory, small bound", Config{MemoryMaxBytes: 64 << 20}, noEnv, 400, 512 << 20},
		{"memory, large bound", Config{MemoryMaxBytes: 1 << 30}, noEnv, 400, 2<<30 + 256<<20},
		{"GOGC set", Config{RedisURL: "redis://x"}, only("GOGC"), 100, math.MaxInt64},
		{"GOMEMLIMIT set", Config{}, only("GOMEMLIMIT"), 100, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			if f := tuneGC(tt.cfg, tt.getenv); f != nil {
				f.Stop()
			}
			gotPercent := debug.SetGCPercent(100)
			gotLimit := debug.SetMemoryLimit(math.MaxInt64)
			if gotPercent != tt.wantPercent || gotLimit != tt.wantLimit {
				t.Errorf("GOGC %d, limit %d; want %d, %d", gotPercent, gotLimit, tt.wantPercent, tt.wantLimit)
			}
		})
	}
}
