package line

import (
	"sync"
	"testing"
	"time"
)

func TestWorkersRunEverythingAndKeepFewWaiting(t *testing.T) {
	w := newWorkers()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	const n = 500
	for range n {
		wg.Add(1)
		w.run(func() {
			defer wg.Done()
			time.Sleep(time.Millisecond) // many at once: more than maxIdleWorkers goroutines
			mu.Lock()
			ran++
			mu.Unlock()
		})
	}
	wg.Wait()
	if ran != n {
		t.Fatalf("ran %d of %d", ran, n)
	}
	// The goroutines settle: at most maxIdleWorkers wait for work.
	deadline := time.Now().Add(5 * time.Second)
	for w.idle.Load() > maxIdleWorkers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := w.idle.Load(); got > maxIdleWorkers {
		t.Fatalf("%d workers wait, want at most %d", got, maxIdleWorkers)
	}

	// A waiting worker takes the next function.
	done := make(chan struct{})
	w.run(func() { close(done) })
	<-done

	// stop ends the waiting ones (one still on its way to wait is ended
	// by the next stop); run still works after it.
	for w.stop(); w.idle.Load() > 0 && time.Now().Before(deadline); w.stop() {
		time.Sleep(time.Millisecond)
	}
	if got := w.idle.Load(); got != 0 {
		t.Fatalf("%d workers still wait after stop", got)
	}
	done = make(chan struct{})
	w.run(func() { close(done) })
	<-done
}
