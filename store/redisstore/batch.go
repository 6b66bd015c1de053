package redisstore

import (
	"context"
	"errors"

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
type batcher struct {
	rdb   redis.UniversalClient
	calls chan *call
	quit  chan struct{}
}

type call struct {
	queue func(redis.Pipeliner)
	done  chan struct{}
}

// maxBatch bounds one pipeline, so one batch cannot hold a sender for long.
const maxBatch = 128

// errClosed answers a call made after Close.
var errClosed = errors.New("redisstore: closed")

// newBatcher starts senders goroutines, each sending one batch at a time.
// More senders mean more pipelines in flight at once (lower latency while
// one is slow) and smaller batches (more CPU per call).
func newBatcher(rdb redis.UniversalClient, senders int) *batcher {
	b := &batcher{rdb: rdb, calls: make(chan *call), quit: make(chan struct{})}
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

func (b *batcher) run() {
	batch := make([]*call, 0, maxBatch)
	for {
		select {
		case c := <-b.calls:
			batch = append(batch[:0], c)
		case <-b.quit:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break fill
			}
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

// close stops the senders after their current batch; later calls fail.
func (b *batcher) close() { close(b.quit) }
