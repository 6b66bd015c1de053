package understand_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"example.com/sswbot/understand"
)

// BenchmarkRead reads one message of 20 words against the whole corpus.
// Target: < 50 µs and a bounded number of allocations.
func BenchmarkRead(b *testing.B) {
	m := mustModel(b)
	q := understand.Query{
		Text:   "Hello, we are a small Japanese company in Osaka and we want to hire a worker who is still in Bishkek",
		Lang:   "en",
		Expect: []string{"role"},
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		m.Read(q)
	}
	reportCPU(b, start)
}

// BenchmarkReadLatinKyrgyz reads a message that needs transliteration.
func BenchmarkReadLatinKyrgyz(b *testing.B) {
	m := mustModel(b)
	q := understand.Query{Text: "salam men azyr bishkekte jashaim japoniyada ishtegim kelet agenttik arkyluu kantip baram", Lang: "ky"}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		m.Read(q)
	}
	reportCPU(b, start)
}

// BenchmarkReadColdLatinKyrgyz reads it with words never seen before: no
// cached transliteration, stem or typo variant (the first time a word is
// typed).
func BenchmarkReadColdLatinKyrgyz(b *testing.B) {
	m := mustModel(b)
	q := understand.Query{Text: "salam men azyr bishkekte jashaim japoniyada ishtegim kelet agenttik arkyluu kantip baram", Lang: "ky"}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		understand.ForgetWords(m)
		m.Read(q)
	}
	reportCPU(b, start)
}

// BenchmarkNew builds the model; it reports the heap the model keeps.
// Target: < 200 ms and < 20 MB.
func BenchmarkNew(b *testing.B) {
	c := mustCorpus(b)
	b.ReportAllocs()
	var kept uint64
	start := cpuTime()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err := understand.New(c)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(m)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(kept)/1e6, "MB-kept")
}

// cpuTime is the process's CPU time: on a shared machine wall time per
// operation mostly measures waiting for a core, CPU time what Read costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
