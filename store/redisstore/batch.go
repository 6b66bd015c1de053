package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher is a small auto-pipeline: the commands of calls made at the same
// time by many goroutines (one per webhook) go to Redis in one pipeline, so
// concurrent turns share a round trip, and both sswbot and redis-server pay
// one write and one read for a batch instead of one per call. go-redis has
// none built in.
//
// A batch is whatever is queued when a sender is free: nothing waits for a
// batch to fill, so a lone call goes at once. Each call gets its own
// commands back with their own errors; a conversation's calls are made one
// after the other by its turn, so their order is kept. A Cluster client
// splits the pipeline by node itself.
//
// Calls nothing waits on (later: MarkDelivered and the change feed, made
// after the webhook is answered) start no batch of their own: they ride in
// the next batch a turn's call starts, or go after lazyDelay when none
// comes. Under load that is at once; they made a third of the batches,
// and each batch costs both processes a write, a read and a wake-up.
type batcher struct {
	rdb   redis.UniversalClient
	calls chan *call
	quit  chan struct{}

	mu    sync.Mutex
	lazy  []*call     // later's calls waiting for a batch
	timer *time.Timer // sends them when no batch came for delay
	delay time.Duration
	shut  bool
}

// lazyDelay is the longest a later call waits for a turn's batch to ride
// in: it holds up nothing a user waits for (the lease of a delivered
// event ends that much later, the console's live view sees a change that
// much later).
const lazyDelay = time.Millisecond

// flush is a call with nothing to queue: it wakes a sender for the lazy
// calls.
var flush = &call{queue: func(redis.Pipeliner) {}}

type call struct {
	queue func(redis.Pipeliner)
	done  chan struct{}
	err   error // set before done is closed when the call was not sent
}

// maxBatch bounds one pipeline, so one batch cannot hold a sender for long.
const maxBatch = 128

// errClosed answers a call made after Close.
var errClosed = errors.New("redisstore: closed")

// newBatcher starts senders goroutines, each sending one batch at a time.
// More senders mean more pipelines in flight at once (lower latency while
// one is slow) and smaller batches (more CPU per call).
func newBatcher(rdb redis.UniversalClient, senders int) *batcher {
	b := &batcher{rdb: rdb, calls: make(chan *call), quit: make(chan struct{}), delay: lazyDelay}
	b.timer = time.AfterFunc(time.Hour, func() {
		select {
		case b.calls <- flush:
		case <-b.quit:
		}
	})
	b.timer.Stop()
	for range senders {
		go b.run()
	}
	return b
}

// do has queue's commands sent in the next batch and returns when they have
// their answers (then their errors are theirs to read), or when ctx ends or
// the batcher is closed (then their values must not be read).
func (b *batcher) do(ctx context.Context, queue func(redis.Pipeliner)) error {
	c := &call{queue: queue, done: make(chan struct{})}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return errClosed
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// later is do for a call whose caller waits for nothing else: its
// commands go in the next batch started by another call, at the latest
// after lazyDelay.
func (b *batcher) later(ctx context.Context, queue func(redis.Pipeliner)) error {
	c := &call{queue: queue, done: make(chan struct{})}
	b.mu.Lock()
	if b.shut {
		b.mu.Unlock()
		return errClosed
	}
	b.lazy = append(b.lazy, c)
	if len(b.lazy) == 1 {
		b.timer.Reset(b.delay)
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeLazy appends the waiting later calls to batch, as many as fit.
func (b *batcher) takeLazy(batch []*call) []*call {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.lazy), maxBatch+maxBatch/2-len(batch))
	if n <= 0 {
		return batch
	}
	batch = append(batch, b.lazy[:n]...)
	rest := copy(b.lazy, b.lazy[n:])
	clear(b.lazy[rest:])
	b.lazy = b.lazy[:rest]
	if rest == 0 {
		b.timer.Stop()
	} else {
		b.timer.Reset(0) // more than one batch's worth: another batch now
	}
	return batch
}

func (b *batcher) run() {
	batch := make([]*call, 0, maxBatch+maxBatch/2)
	for {
		select {
		case c := <-b.calls:
			batch = batch[:0]
			if c != flush {
				batch = append(batch, c)
			}
		case <-b.quit:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.calls:
				if c != flush {
					batch = append(batch, c)
				}
			default:
				break fill
			}
		}
		if batch = b.takeLazy(batch); len(batch) == 0 {
			continue
		}
		// Errors are per command, read by each call; the context is the
		// batch's, since no single call's deadline may cut the others'.
		_, _ = b.rdb.Pipelined(context.Background(), func(p redis.Pipeliner) error {
			for _, c := range batch {
				c.queue(p)
			}
			return nil
		})
		for _, c := range batch {
			close(c.done)
		}
	}
}

// close stops the senders after their current batch; later calls fail,
// and later calls still waiting end with errClosed.
func (b *batcher) close() {
	b.mu.Lock()
	b.shut = true
	b.timer.Stop()
	lazy := b.lazy
	b.lazy = nil
	b.mu.Unlock()
	close(b.quit)
	for _, c := range lazy {
		c.err = errClosed
		close(c.done)
	}
}
