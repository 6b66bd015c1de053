package redisstore

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher is a small auto-pipeline: the commands of calls made at the same
// time by many goroutines (one per webhook) go to Redis in one pipeline, so
// concurrent turns share a round trip, and both sswbot and redis-server pay
// one write, one read and one wake-up for a batch instead of one per call.
// (go-redis's own AutoPipeline is experimental and per command; a turn's
// call is a script with the commands pipelined with it.)
//
// Calls wait in one queue, in the order they were made. A sender takes
// everything queued (up to maxBatch) as one batch, and when its answers
// are in, whatever was queued meanwhile, without waiting: a woken sender
// only first lets the goroutines that are ready to run go ahead of it (one
// runtime.Gosched), so the turns about to make their calls make them into
// its batch. Nothing waits for a batch to fill or on a timer (a lone call
// goes as soon as its core has nothing else ready). An idle sender is woken
// for a call when no batch is in flight, or the one in flight was sent
// overlapAfter ago or more. overlapAfter is 0, so up to senders batches
// fly at once: keeping one in flight and letting the calls collect
// behind it (tried, 2 ms) made a fifth fewer batches but cost both
// processes more CPU per event (BENCHMARKS.md, the auto-pipeline).
//
// Each call gets its own commands back with their own errors; a
// conversation's calls are made one after the other by its turn, and the
// queue keeps their order. A Cluster client splits the pipeline by node
// itself.
//
// Calls nothing waits on (later: MarkDelivered and the change feed, made
// after the webhook is answered) wake no sender: they ride in the next
// batch a turn's call starts, or go after lazyDelay when none comes. Under
// load that is at once; they made a third of the batches, and each batch
// costs both processes a write, a read and a wake-up.
type batcher struct {
	rdb     redis.UniversalClient
	senders int

	mu      sync.Mutex
	wake    sync.Cond   // an idle sender waits on it, with mu
	queue   []*call     // waiting to be sent, oldest first
	eager   int         // calls in queue made by do (a sender goes for them)
	due     bool        // the lazy calls in queue go now (lazyDelay passed)
	idle    int         // senders waiting on wake
	woken   int         // of them, signalled and not yet running
	flying  int         // batches in flight
	since   time.Time   // when the oldest batch in flight was sent (flying == 1)
	timer   *time.Timer // sets due when no batch came for delay
	delay   time.Duration
	overlap time.Duration // overlapAfter, or a test's
	shut    bool

	batches atomic.Int64 // pipelines sent (see Store.Pipelines)
	sent    atomic.Int64 // calls sent in them
}

// lazyDelay is the longest a later call waits for a turn's batch to ride
// in: it holds up nothing a user waits for (the lease of a delivered
// event ends that much later, the console's live view sees a change that
// much later).
const lazyDelay = time.Millisecond

// overlapAfter is how long a batch is in flight before another sender may
// send the calls made meanwhile (see batcher): 0, at once.
const overlapAfter = 0

// maxBatch bounds one pipeline, so one batch cannot hold a sender for long.
const maxBatch = 128

// errClosed answers a call made after Close.
var errClosed = errors.New("redisstore: closed")

// call is one do or later. It is reused (calls): done is signalled exactly
// once per use, by a send into its buffer of one, so no channel is made
// per call; a caller that stopped waiting (its ctx ended) leaves its call
// to the collector instead of putting it back.
type call struct {
	queue func(redis.Pipeliner)
	done  chan struct{} // cap 1
	lazy  bool
	err   error // set before done when the call was not sent
}

var calls = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// newBatcher starts senders goroutines, each sending one batch at a time.
func newBatcher(rdb redis.UniversalClient, senders int) *batcher {
	b := &batcher{rdb: rdb, senders: max(senders, 1), delay: lazyDelay, overlap: overlapAfter}
	b.wake.L = &b.mu
	b.timer = time.AfterFunc(time.Hour, func() {
		b.mu.Lock()
		if len(b.queue) > 0 {
			b.due = true
			b.signal()
		}
		b.mu.Unlock()
	})
	b.timer.Stop()
	for range b.senders {
		go b.run()
	}
	return b
}

// signal wakes an idle sender when the queue should go now: when no
// batch is in flight (its sender would take the queue on return), or the
// one in flight is slow. With mu held.
func (b *batcher) signal() {
	if b.idle == b.woken {
		return
	}
	if b.flying+b.woken == 0 || b.woken == 0 && b.flying < b.senders && time.Since(b.since) >= b.overlap {
		b.woken++
		b.wake.Signal()
	}
}

// do has queue's commands sent in the next batch and returns when they have
// their answers (then their errors are theirs to read), or when ctx ends or
// the batcher is closed (then their values must not be read).
func (b *batcher) do(ctx context.Context, queue func(redis.Pipeliner)) error {
	return b.enqueue(ctx, queue, false)
}

// later is do for a call whose caller waits for nothing else: its
// commands go in the next batch started by another call, at the latest
// after lazyDelay.
func (b *batcher) later(ctx context.Context, queue func(redis.Pipeliner)) error {
	return b.enqueue(ctx, queue, true)
}

func (b *batcher) enqueue(ctx context.Context, queue func(redis.Pipeliner), lazy bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := calls.Get().(*call)
	c.queue, c.lazy, c.err = queue, lazy, nil
	b.mu.Lock()
	if b.shut {
		b.mu.Unlock()
		c.queue = nil
		calls.Put(c)
		return errClosed
	}
	b.queue = append(b.queue, c)
	switch {
	case !lazy:
		b.eager++
		b.signal()
	case b.eager == 0 && !b.due && len(b.queue) == 1:
		b.timer.Reset(b.delay)
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		err := c.err
		c.queue = nil
		calls.Put(c)
		return err
	case <-ctx.Done():
		if b.withdraw(c) {
			c.queue = nil
			calls.Put(c)
		}
		// Else a sender has it: done comes into its buffer and the call
		// goes to the collector, not back to calls.
		return ctx.Err()
	}
}

// withdraw takes c out of the queue if no sender has taken it yet, and
// reports whether it did.
func (b *batcher) withdraw(c *call) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.queue, c)
	if i < 0 {
		return false
	}
	b.queue = slices.Delete(b.queue, i, i+1)
	if !c.lazy {
		b.eager--
		if b.eager == 0 && len(b.queue) > 0 {
			// The lazy calls behind it may have no timer running.
			b.due = true
			b.signal()
		}
	}
	return true
}

// ready says whether a sender should take the queue now. With mu held.
func (b *batcher) ready() bool {
	return len(b.queue) > 0 && (b.eager > 0 || b.due)
}

// take moves up to maxBatch queued calls into batch. With mu held.
func (b *batcher) take(batch []*call) []*call {
	n := min(len(b.queue), maxBatch)
	batch = append(batch[:0], b.queue[:n]...)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	for _, c := range batch {
		if !c.lazy {
			b.eager--
		}
	}
	if rest == 0 {
		b.due = false
		b.timer.Stop()
	} else if b.eager == 0 {
		b.due = true // more than one batch's worth: another batch now
	}
	return batch
}

func (b *batcher) run() {
	batch := make([]*call, 0, maxBatch)
	// One pipeline per sender, reused: Exec empties it.
	p := b.rdb.Pipeline()
	b.mu.Lock()
	for {
		for !b.shut && !b.ready() {
			b.idle++
			b.wake.Wait()
			b.idle--
			b.woken = max(b.woken-1, 0)
		}
		if b.shut {
			b.mu.Unlock()
			return
		}
		if len(b.queue) < maxBatch {
			// Let the goroutines that are ready to run go first, so their
			// calls join this batch. A woken goroutine runs next on its
			// core: without this, on one core the sender took the one
			// call that woke it and left the turns about to queue theirs
			// for the next batch (3 calls a batch at 16 concurrent
			// webhooks; with it, 10, and both processes spend a sixth less
			// CPU per event: BENCHMARKS.md).
			b.mu.Unlock()
			runtime.Gosched()
			b.mu.Lock()
			if b.shut || !b.ready() {
				continue
			}
		}
		batch = b.take(batch)
		if b.flying == 0 {
			b.since = time.Now()
		}
		b.flying++
		b.mu.Unlock()

		for _, c := range batch {
			c.queue(p)
		}
		// Errors are per command, read by each call; the context is the
		// batch's, since no single call's deadline may cut the others'.
		_, _ = p.Exec(context.Background())
		b.batches.Add(1)
		b.sent.Add(int64(len(batch)))
		for i, c := range batch {
			c.done <- struct{}{}
			batch[i] = nil
		}

		b.mu.Lock()
		b.flying--
		if b.flying > 0 {
			// The other batch is the older one; how old is not known, so
			// it counts from now.
			b.since = time.Now()
		}
	}
}

// close stops the senders after their current batch; calls still queued
// and calls made later end with errClosed.
func (b *batcher) close() {
	b.mu.Lock()
	b.shut = true
	b.timer.Stop()
	queue := b.queue
	b.queue, b.eager, b.due = nil, 0, false
	b.wake.Broadcast()
	b.mu.Unlock()
	for _, c := range queue {
		c.err = errClosed
		c.done <- struct{}{}
	}
}
