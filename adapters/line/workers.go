package line

import "sync/atomic"

// workers runs each request's sends on a goroutine that outlives the
// request. A goroutine started per request cost its start, its end and a
// stack grown anew by the send path every time: about 2 % of the CPU per
// event. Up to maxIdleWorkers goroutines wait for the next request's
// sends; more end when their work is done.
type workers struct {
	work chan func()
	idle atomic.Int32
}

// maxIdleWorkers bounds the goroutines kept waiting, each with its stack.
const maxIdleWorkers = 64

func newWorkers() *workers { return &workers{work: make(chan func())} }

// run runs f on a waiting goroutine, or on a new one when none waits.
func (w *workers) run(f func()) {
	select {
	case w.work <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	for f != nil {
		f()
		if w.idle.Add(1) > maxIdleWorkers {
			w.idle.Add(-1)
			return
		}
		f = <-w.work
		w.idle.Add(-1)
	}
}

// stop ends the goroutines waiting now (a nil f ends its worker); run
// still works after it.
func (w *workers) stop() {
	for {
		select {
		case w.work <- nil:
		default:
			return
		}
	}
}
