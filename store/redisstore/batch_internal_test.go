package redisstore

import (
	"context"
	"errors"
	"runtime"
	"strconv"
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
		n := len(b.queue)
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
		n := len(b.queue)
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

// gate holds every pipeline a client sends until it is opened, while held
// is set; entered says that one is held.
type gate struct {
	held    atomic.Bool
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), open: make(chan struct{})} }

func (g *gate) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (g *gate) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (g *gate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if g.held.Load() {
			g.entered <- struct{}{}
			<-g.open
		}
		return next(ctx, cmds)
	}
}

// testBatcher starts a batcher with senders on a client of its own, counting
// its pipelines and with a gate before them, connected already (a new
// connection's setup is a pipeline too).
func testBatcher(t *testing.T, senders int) (*batcher, *pipelines, *gate) {
	t.Helper()
	srv := redistest.Start(t)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	var count pipelines
	g := newGate()
	rdb.AddHook(&count)
	rdb.AddHook(g)
	b := newBatcher(rdb, senders)
	t.Cleanup(b.close)
	ctx := t.Context()
	var wg sync.WaitGroup
	for range senders * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	count.n.Store(0)
	b.batches.Store(0)
	b.sent.Store(0)
	return b, &count, g
}

// waitQueued waits until n calls are queued.
func waitQueued(b *batcher, n int) {
	for {
		b.mu.Lock()
		q := len(b.queue)
		b.mu.Unlock()
		if q >= n {
			return
		}
		runtime.Gosched()
	}
}

func TestCallsMadeWhileABatchIsInFlightGoTogetherInTheNext(t *testing.T) {
	b, count, g := testBatcher(t, 2)
	b.mu.Lock()
	b.overlap = time.Hour // however slow this machine is
	b.mu.Unlock()
	ctx := t.Context()
	// The first call's batch is held in flight.
	g.held.Store(true)
	first := make(chan error)
	go func() { first <- b.do(ctx, func(p redis.Pipeliner) { p.Set(ctx, "first", "1", 0) }) }()
	<-g.entered
	g.held.Store(false)
	// Ten calls meanwhile (the batch in flight is young: no second sender).
	var wg sync.WaitGroup
	incr := make([]*redis.IntCmd, 10)
	for i := range incr {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.do(ctx, func(p redis.Pipeliner) { incr[i] = p.Incr(ctx, "n") }); err != nil {
				t.Error(err)
			}
		}()
	}
	waitQueued(b, len(incr))
	close(g.open)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, c := range incr {
		if c.Err() != nil {
			t.Fatal(c.Err())
		}
		seen[c.Val()] = true
	}
	if len(seen) != len(incr) {
		t.Errorf("INCR answers %v: each call must get its own", seen)
	}
	if got := count.n.Load(); got != 2 {
		t.Errorf("one call and ten made while it was in flight took %d pipelines, want 2", got)
	}
	if got := b.sent.Load(); got != 11 {
		t.Errorf("%d calls sent, want 11", got)
	}
}

func TestASlowBatchDoesNotHoldTheOthers(t *testing.T) {
	b, _, g := testBatcher(t, 2)
	b.mu.Lock()
	b.overlap = time.Millisecond
	b.mu.Unlock()
	ctx := t.Context()
	g.held.Store(true)
	slow := make(chan error)
	go func() { slow <- b.do(ctx, func(p redis.Pipeliner) { p.Set(ctx, "slow", "1", 0) }) }()
	<-g.entered
	g.held.Store(false)
	time.Sleep(2 * time.Millisecond)
	// The slow batch is still in flight; this call goes with the other sender.
	var get *redis.StringCmd
	if err := b.do(ctx, func(p redis.Pipeliner) { get = p.Get(ctx, "slow") }); err != nil || !errors.Is(get.Err(), redis.Nil) {
		t.Fatalf("a call while the slow batch is held: %v, %v (want redis.Nil: the slow SET is not sent yet)", err, get.Err())
	}
	close(g.open)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestEachCallGetsItsOwnErrorsAndAConversationsOrderIsKept(t *testing.T) {
	b, _, _ := testBatcher(t, 2)
	ctx := t.Context()
	if err := b.do(ctx, func(p redis.Pipeliner) { p.Set(ctx, "text", "not a number", 0) }); err != nil {
		t.Fatal(err)
	}
	// 32 conversations, each making 50 calls one after the other; every
	// fourth call's command fails (INCR on text) in a batch shared with the
	// others' calls.
	var wg sync.WaitGroup
	for u := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "list" + strconv.Itoa(u)
			for i := range 50 {
				var push *redis.IntCmd
				var bad *redis.IntCmd
				err := b.do(ctx, func(p redis.Pipeliner) {
					push = p.RPush(ctx, key, i)
					if i%4 == 0 {
						bad = p.Incr(ctx, "text")
					}
				})
				if err != nil || push.Err() != nil || push.Val() != int64(i+1) {
					t.Errorf("%s call %d: %v, %v, length %d", key, i, err, push.Err(), push.Val())
					return
				}
				if i%4 == 0 && bad.Err() == nil {
					t.Errorf("%s call %d: INCR of text did not fail", key, i)
				}
			}
		}()
	}
	wg.Wait()
	got, err := b.rdb.LRange(ctx, "list7", 0, -1).Result()
	if err != nil || len(got) != 50 || got[0] != "0" || got[49] != "49" {
		t.Errorf("list7 = %v, %v: want 0…49 in order", got, err)
	}
}

func TestACallWhoseContextEndsWhileQueuedIsNotSent(t *testing.T) {
	b, _, g := testBatcher(t, 1)
	ctx := t.Context()
	g.held.Store(true)
	first := make(chan error)
	go func() { first <- b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }) }()
	<-g.entered
	g.held.Store(false)
	b.mu.Lock()
	b.delay = time.Hour // the later call below must go without its timer
	b.mu.Unlock()
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error)
	go func() { gone <- b.do(cctx, func(p redis.Pipeliner) { p.Set(ctx, "gone", "1", 0) }) }()
	waitQueued(b, 1)
	// A later call queued behind it sets no timer (a sender goes for the
	// call before it); once that call is gone, it must still go.
	late := make(chan error)
	go func() { late <- b.later(ctx, func(p redis.Pipeliner) { p.Set(ctx, "late", "1", 0) }) }()
	waitQueued(b, 2)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled call: %v, want context.Canceled", err)
	}
	close(g.open)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	if n, err := b.rdb.Exists(ctx, "gone").Result(); err != nil || n != 0 {
		t.Errorf("the cancelled call's SET was sent (%d, %v)", n, err)
	}
	if err := b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }); err != nil {
		t.Errorf("a call after a cancelled one: %v", err)
	}
}

func TestCloseEndsQueuedCalls(t *testing.T) {
	b, _, g := testBatcher(t, 1)
	ctx := t.Context()
	g.held.Store(true)
	first := make(chan error)
	go func() { first <- b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }) }()
	<-g.entered
	g.held.Store(false)
	queued := make(chan error)
	go func() { queued <- b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }) }()
	waitQueued(b, 1)
	b.close()
	if err := <-queued; !errors.Is(err, errClosed) {
		t.Errorf("a call queued at close: %v, want errClosed", err)
	}
	close(g.open)
	if err := <-first; err != nil {
		t.Errorf("the batch in flight at close: %v, want it answered", err)
	}
	if err := b.do(ctx, func(p redis.Pipeliner) { p.Ping(ctx) }); !errors.Is(err, errClosed) {
		t.Errorf("a call after close: %v, want errClosed", err)
	}
}

// BenchmarkBatcher: calls from 64 goroutines; allocs/op are the batcher's
// and go-redis's per call (one PING each), batches/op how many calls share a
// pipeline.
func BenchmarkBatcher(b *testing.B) {
	srv := redistest.Start(b)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	var count pipelines
	rdb.AddHook(&count)
	bt := newBatcher(rdb, 2)
	defer bt.close()
	ctx := context.Background()
	queue := func(p redis.Pipeliner) { p.Ping(ctx) }
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bt.do(ctx, queue); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(count.n.Load())/float64(b.N), "batches/op")
}
