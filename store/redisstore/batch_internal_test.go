package redisstore

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/store/redisstore/redistest"
)

// pipelines counts the pipelines a client sends.
type pipelines struct{ n atomic.Int64 }

func (p *pipelines) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (p *pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (p *pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p.n.Add(1)
		return next(ctx, cmds)
	}
}

func TestLaterCallsRideInTheNextBatch(t *testing.T) {
	srv := redistest.Start(t)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	var count pipelines
	rdb.AddHook(&count)
	b := newBatcher(rdb, 1)
	ctx := t.Context()
	// A new connection's setup is a pipeline too: make it first.
	if err := b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }); err != nil {
		t.Fatal(err)
	}
	count.n.Store(0)

	// A later call alone goes after lazyDelay, in a batch of its own.
	var set *redis.StatusCmd
	if err := b.later(ctx, func(p redis.Pipeliner) { set = p.Set(ctx, "k0", "v", 0) }); err != nil || set.Err() != nil {
		t.Fatalf("later alone: %v, %v", err, set.Err())
	}
	if got := count.n.Load(); got != 1 {
		t.Errorf("a later call alone took %d pipelines, want 1", got)
	}

	// Later calls made before a turn's call ride in its batch. Their timer
	// is held back, or on a loaded machine it fires before all ten are
	// queued and the wait below never ends.
	b.mu.Lock()
	b.delay = time.Hour
	b.mu.Unlock()
	count.n.Store(0)
	var wg sync.WaitGroup
	cmds := make([]*redis.StatusCmd, 10)
	for i := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.later(ctx, func(p redis.Pipeliner) { cmds[i] = p.Set(ctx, "k"+string(rune('a'+i)), "v", 0) }); err != nil {
				t.Error(err)
			}
		}()
	}
	// Wait until all ten are queued.
	for {
		b.mu.Lock()
		n := len(b.lazy)
		b.mu.Unlock()
		if n == len(cmds) {
			break
		}
		runtime.Gosched()
	}
	var get *redis.StringCmd
	if err := b.do(ctx, func(p redis.Pipeliner) { get = p.Get(ctx, "k0") }); err != nil || get.Val() != "v" {
		t.Fatalf("do: %v, %q", err, get.Val())
	}
	wg.Wait()
	for i, c := range cmds {
		if c == nil || c.Err() != nil {
			t.Errorf("later call %d not sent", i)
		}
	}
	if got := count.n.Load(); got != 1 {
		t.Errorf("ten later calls and one call took %d pipelines, want 1", got)
	}

	// Close ends the later calls still waiting.
	done := make(chan error)
	go func() { done <- b.later(ctx, func(p redis.Pipeliner) { p.Set(ctx, "kz", "v", 0) }) }()
	for {
		b.mu.Lock()
		n := len(b.lazy)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	b.close()
	if err := <-done; err != nil && !errors.Is(err, errClosed) {
		t.Errorf("a later call at close: %v, want nil or errClosed", err)
	}
	if err := b.later(ctx, func(redis.Pipeliner) {}); !errors.Is(err, errClosed) {
		t.Errorf("a later call after close: %v, want errClosed", err)
	}
}
