package redisstore

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

// sideFlush is how long this process collects the console index and funnel
// updates of its commits before writing them, merged: one ZADD per index
// shard and one PFADD per funnel counter instead of one command per commit
// (each a go-redis Cmd here and a parsed command in redis-server, a real
// share of both processes' CPU per event).
//
// What a crash of this process loses is the last sideFlush of them: index
// scores of conversations already in the index (a later commit repairs
// them; a new conversation's first commit writes its entry inline, see
// commit) and some funnel members (HyperLogLog counts are estimates
// anyway).
const sideFlush = 100 * time.Millisecond

// sideRefresh is how much newer than the score this process last wrote
// for a conversation a commit must be to write it again. The score only
// decides whether the conversation is still within TranscriptRetention
// (List's cutoff and the pruning, both widened by sideRefresh): the list
// is ordered by the meta's last activity, read with it. So a conversation
// active all day costs one index update per sideRefresh, not one per turn.
const sideRefresh = 10 * time.Minute

// sideMax pending updates start a flush at once, so a burst does not pile
// up a large pipeline.
const sideMax = 1024

// funnelDay is a funnel counter, its day as days since 1970-01-01 (UTC):
// comparable, so collecting a commit's stages builds no key string.
type funnelDay struct {
	k   bot.FunnelKey
	day int64
}

// pending is one round of collected updates. Its maps are kept between
// flushes (two rounds take turns), so a steady load allocates no map.
type pending struct {
	index  [indexShards]map[string]int64     // member → newest score (Unix ms)
	funnel map[funnelDay]map[string]struct{} // counter → members
	n      int                               // entries in both
}

func newPending() *pending {
	p := &pending{funnel: map[funnelDay]map[string]struct{}{}}
	for i := range p.index {
		p.index[i] = map[string]int64{}
	}
	return p
}

// sideWrites collects a Store's index and funnel updates and writes them
// every sideFlush, through the Store's batcher. Every read of the index or
// the funnel in this process flushes first (flush), so the process reads
// its own writes; Forget drops the conversation's pending index entry
// (drop), so no flush after its ZREM brings the entry back.
type sideWrites struct {
	s *Store

	mu   sync.Mutex
	cur  *pending // collecting, under mu
	kick chan struct{}
	full chan struct{}

	// written is the score this process last sent per member (see
	// sideRefresh); it is emptied every sideRefresh, so it holds the
	// conversations of about that long. Under mu.
	written      map[string]int64
	writtenSince int64 // Unix ms when written was last emptied

	// flushing is held for a whole flush, until Redis answered, so a
	// reader's flush returns only once the updates of every commit before
	// it are written, and drop waits for one in flight.
	flushing sync.Mutex
	spare    *pending // the round not collecting; with flushing held

	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
	failed  atomic.Int64 // updates a flush failed to write
}

func newSideWrites(s *Store) *sideWrites {
	w := &sideWrites{s: s, cur: newPending(), spare: newPending(), written: map[string]int64{},
		kick: make(chan struct{}, 1), full: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// added accounts for a new entry. With mu held.
func (w *sideWrites) added() {
	w.cur.n++
	switch w.cur.n {
	case 1:
		signal(w.kick)
	case sideMax:
		signal(w.full)
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// index queues id's index entry at ms, keeping the newest (ZADD GT does
// the same in Redis), unless this process wrote one less than sideRefresh
// older.
func (w *sideWrites) index(id bot.ConversationID, ms int64) {
	w.mu.Lock()
	if last, ok := w.written[string(id)]; ok && ms-last < sideRefresh.Milliseconds() {
		w.mu.Unlock()
		return
	}
	m := w.cur.index[shardOf(id)]
	if old, ok := m[string(id)]; !ok {
		m[string(id)] = ms
		w.added()
	} else if ms > old {
		m[string(id)] = ms
	}
	w.mu.Unlock()
}

// funnelMark is what one commit adds to the funnel. It is small, so
// commit's batch function holds a copy: capturing the whole bot.Commit
// moved it (about 500 bytes) to the heap on every turn.
type funnelMark struct {
	stages   []string
	platform bot.Platform
	lang     string
	day      int64 // days since the Unix epoch
}

func markOf(c bot.Commit) funnelMark {
	return funnelMark{stages: c.Stages, platform: c.Meta.Platform, lang: c.Meta.Lang, day: c.Now.Unix() / 86400}
}

// funnel queues the funnel updates of m: for each stage it reached, id
// counts in its language and in all.
func (w *sideWrites) funnel(id bot.ConversationID, m funnelMark) {
	if len(m.stages) == 0 {
		return
	}
	w.mu.Lock()
	for _, st := range m.stages {
		for _, lang := range [...]string{m.lang, bot.AllLangs} {
			fd := funnelDay{bot.FunnelKey{Platform: m.platform, Lang: lang, Stage: st}, m.day}
			ms := w.cur.funnel[fd]
			if ms == nil {
				ms = map[string]struct{}{}
				w.cur.funnel[fd] = ms
			}
			if _, ok := ms[string(id)]; !ok {
				ms[string(id)] = struct{}{}
				w.added()
			}
		}
	}
	w.mu.Unlock()
}

// drop forgets id's pending index entry, after any flush in flight.
func (w *sideWrites) drop(id bot.ConversationID) {
	w.flushing.Lock()
	w.mu.Lock()
	delete(w.written, string(id))
	m := w.cur.index[shardOf(id)]
	if _, ok := m[string(id)]; ok {
		delete(m, string(id))
		w.cur.n--
	}
	w.mu.Unlock()
	w.flushing.Unlock()
}

func (w *sideWrites) run() {
	defer close(w.done)
	t := time.NewTimer(sideFlush)
	t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		t.Reset(sideFlush)
		select {
		case <-w.stop:
			t.Stop()
			return
		case <-t.C:
		case <-w.full:
			t.Stop()
		}
		// Nothing waits for it: it rides in the next batch of the turns'
		// commands (at the latest after lazyDelay).
		w.flush(context.Background(), true)
	}
}

// flush writes what is pending and returns once Redis answered (or the
// batcher is closed). A failed update is counted, not returned: the index
// and the funnel are derived, and the next commit of the conversation
// repairs its entry. lazy lets the write wait for the next batch of turns.
func (w *sideWrites) flush(ctx context.Context, lazy bool) {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	w.mu.Lock()
	p := w.cur
	if p.n == 0 {
		w.mu.Unlock()
		return
	}
	w.cur, w.spare = w.spare, p
	// The members about to be written count as written from now: a commit
	// meanwhile is covered by this ZADD. A failed one is taken back below.
	now := time.Now()
	nowMs := now.UnixMilli()
	if nowMs-w.writtenSince >= sideRefresh.Milliseconds() {
		clear(w.written)
		w.writtenSince = nowMs
	}
	for _, m := range p.index {
		for id, ms := range m {
			w.written[id] = ms
		}
	}
	w.mu.Unlock()

	// The commands are made whole here, before the batcher has them:
	// they own their arguments, so p can be cleared for reuse whatever
	// happens to the batch.
	s := w.s
	cmds := make([]redis.Cmder, 0, 2*indexShards+2*len(p.funnel))
	weights := make([]int, 0, cap(cmds))
	for shard, m := range p.index {
		if len(m) == 0 {
			continue
		}
		key := s.shardKey(shard)
		args := make([]any, 0, 3+2*len(m))
		args = append(args, "zadd", key, "gt")
		for id, ms := range m {
			args = append(args, ms, id)
		}
		cmds = append(cmds, redis.NewIntCmd(ctx, args...))
		weights = append(weights, len(m))
		clear(m)
		if c := s.pruneCmd(ctx, shard, now); c != nil {
			cmds = append(cmds, c)
			weights = append(weights, 0)
		}
	}
	for fd, m := range p.funnel {
		if len(m) == 0 {
			// Not used for a whole round: an earlier day's.
			delete(p.funnel, fd)
			continue
		}
		key := s.funnelKey(fd.k, time.Unix(fd.day*86400, 0).UTC().Format(time.DateOnly))
		args := make([]any, 0, 2+len(m))
		args = append(args, "pfadd", key)
		for id := range m {
			args = append(args, id)
		}
		cmds = append(cmds, redis.NewIntCmd(ctx, args...))
		weights = append(weights, len(m))
		clear(m)
		if set, ok := s.expiring.Load(key); !ok || nowMs-set.(int64) >= expiryAgain.Milliseconds() {
			s.expiring.Store(key, nowMs)
			cmds = append(cmds, redis.NewBoolCmd(ctx, "pexpire", key, (s.opt.TranscriptRetention+24*time.Hour).Milliseconds()))
			weights = append(weights, 0)
		}
	}
	s.forgetExpiries(nowMs)
	p.n = 0

	queue := func(pl redis.Pipeliner) {
		for _, c := range cmds {
			_ = pl.Process(ctx, c)
		}
	}
	// The flush waits for Redis's answer even when its caller's context
	// ends: returning earlier would let a later Forget's ZREM overtake its
	// ZADD (the batcher may send two batches at once).
	bctx := context.WithoutCancel(ctx)
	var err error
	if lazy {
		err = s.batch.later(bctx, queue)
	} else {
		err = s.batch.do(bctx, queue)
	}
	var lost int
	for i, c := range cmds {
		if err != nil || c.Err() != nil {
			lost += weights[i]
			if args := c.Args(); args[0] == "zadd" {
				w.mu.Lock()
				for j := 4; j < len(args); j += 2 {
					delete(w.written, args[j].(string))
				}
				w.mu.Unlock()
			}
			if err == nil {
				err = c.Err()
			}
		}
	}
	if err != nil {
		w.failed.Add(int64(lost))
		_ = s.unavailable("index and funnel", err) // a Cluster reads its slots again
	}
}

// close stops the flushes and writes what is pending, waiting at most
// timeout (Redis may be gone: then the flush ends when the client is
// closed). The batcher must still run.
func (w *sideWrites) close(timeout time.Duration) {
	w.closing.Do(func() {
		close(w.stop)
		<-w.done
		flushed := make(chan struct{})
		go func() {
			defer close(flushed)
			w.flush(context.Background(), false)
		}()
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-flushed:
		case <-t.C:
		}
	})
}

// indexCutoff is the lowest index score of a conversation whose meta may
// still be there at now: its last commit may be up to sideRefresh newer.
func (s *Store) indexCutoff(now time.Time) int64 {
	return now.Add(-s.opt.TranscriptRetention - sideRefresh).UnixMilli()
}

// pruneCmd is the command pruning index shard of the members whose meta has
// surely expired, when this process did not prune it for pruneEvery; else
// nil.
func (s *Store) pruneCmd(ctx context.Context, shard int, now time.Time) redis.Cmder {
	last := s.pruned[shard].Load()
	if now.UnixMilli()-last < pruneEvery.Milliseconds() || !s.pruned[shard].CompareAndSwap(last, now.UnixMilli()) {
		return nil
	}
	return redis.NewIntCmd(ctx, "zremrangebyscore", s.shardKey(shard), "-inf",
		"("+strconv.FormatInt(s.indexCutoff(now), 10))
}

// SideWriteFailures returns how many index and funnel updates this process
// failed to write (Redis unreachable at a flush): the index entries are
// repaired by the conversations' next commits.
func (s *Store) SideWriteFailures() int64 { return s.side.failed.Load() }
