package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore/redistest"
)

// newQuietStore is a Store on srv whose side writes flush only when asked
// (its background flusher is stopped), so a test sees exactly what one
// flush sends.
func newQuietStore(t *testing.T, srv *redistest.Server) *Store {
	t.Helper()
	s, err := New(t.Context(), Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := s.side
	close(w.stop)
	<-w.done
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	close(w.done) // close finds the flusher gone
	return s
}

// commitTurn commits one turn of id reaching stages, as the bot does.
func commitTurn(t *testing.T, s *Store, id bot.ConversationID, event string, stages ...string) {
	t.Helper()
	ctx := t.Context()
	snap, err := s.Load(ctx, id, event)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := bot.Commit{EventID: event, Session: []byte(event), Now: now, Outcome: []byte("{}"), Stages: stages,
		Meta: bot.Meta{ID: id, Platform: id.Platform(), Lang: "ru", Started: now, LastActive: now}}
	if err := s.Commit(ctx, id, snap, c); err != nil {
		t.Fatal(err)
	}
}

// score is id's score in its index shard, -1 when it is not there.
func score(t *testing.T, s *Store, id bot.ConversationID) int64 {
	t.Helper()
	v, err := s.rdb.ZScore(t.Context(), s.indexKey(id), string(id)).Result()
	if errors.Is(err, redis.Nil) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return int64(v)
}

// cmdCalls is how many times Redis ran cmd since its stats were reset.
func cmdCalls(t *testing.T, s *Store, cmd string) int {
	t.Helper()
	info, err := s.rdb.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// sameShard returns n conversation ids in one index shard.
func sameShard(n int) []bot.ConversationID {
	var ids []bot.ConversationID
	for i := 0; len(ids) < n; i++ {
		id := bot.ConversationOf(bot.Telegram, strconv.Itoa(1000+i))
		if shardOf(id) == 3 {
			ids = append(ids, id)
		}
	}
	return ids
}

// One flush writes a shard's updates as one ZADD with each member's newest
// score, and a counter's members as one PFADD.
func TestSideWritesMerge(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	ctx := t.Context()
	ids := sameShard(3)
	for _, id := range ids {
		commitTurn(t, s, id, "first", bot.StageStarted) // enters the index inline
	}
	if got := score(t, s, ids[0]); got <= 0 {
		t.Fatalf("a new conversation is not in the index after its first commit (score %d)", got)
	}
	s.side.flush(ctx, false)
	if err := s.rdb.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UnixMilli()
	s.side.index(ids[0], base+9)
	s.side.index(ids[0], base+7) // older: base+9 is kept
	s.side.index(ids[1], base+5)
	day := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for _, id := range ids {
		s.side.funnel(id, markOf(bot.Commit{Now: day, Stages: []string{bot.StageRole}, Meta: bot.Meta{Platform: bot.Telegram, Lang: "ky"}}))
	}
	if s.side.cur.n != 2+2*len(ids) {
		t.Errorf("pending = %d, want %d", s.side.cur.n, 2+2*len(ids))
	}
	// Older scores than the pending ones, so ZADD GT takes those.
	old := float64(base - 1000)
	if err := s.rdb.ZAdd(ctx, s.indexKey(ids[0]), redis.Z{Score: old, Member: string(ids[0])}, redis.Z{Score: old, Member: string(ids[1])}).Err(); err != nil {
		t.Fatal(err)
	}
	s.side.flush(ctx, false)
	if got := cmdCalls(t, s, "zadd"); got != 2 { // the test's own and the flush's
		t.Errorf("ZADD ran %d times, want 1 for the flush", got-1)
	}
	if got := cmdCalls(t, s, "pfadd"); got != 2 {
		t.Errorf("PFADD ran %d times, want 2 (the language's counter and all's)", got)
	}
	if a, b := score(t, s, ids[0]), score(t, s, ids[1]); a != base+9 || b != base+5 {
		t.Errorf("scores = now%+d, now%+d; want now+9, now+5", a-base, b-base)
	}
	got, err := s.Funnel(ctx, bot.FunnelQuery{Days: []string{"2026-04-01"}, Platforms: []bot.Platform{bot.Telegram},
		Langs: []string{"ky", bot.AllLangs}, Stages: []string{bot.StageRole}})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ky", bot.AllLangs} {
		if n := got[bot.FunnelKey{Platform: bot.Telegram, Lang: lang, Stage: bot.StageRole}]; n != len(ids) {
			t.Errorf("funnel %s = %d, want %d", lang, n, len(ids))
		}
	}
	if s.side.cur.n != 0 {
		t.Errorf("%d updates pending after a flush", s.side.cur.n)
	}
}

// Reads of the index and the funnel see this process's commits at once:
// they flush what is pending first.
func TestSideReadsItsOwnWrites(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	ctx := t.Context()
	ids := sameShard(2)
	for _, id := range ids {
		commitTurn(t, s, id, "ev1", bot.StageStarted)
	}
	first := score(t, s, ids[1])
	time.Sleep(2 * time.Millisecond) // a later millisecond for the next commit's score
	for _, id := range ids {
		commitTurn(t, s, id, "ev2", bot.StageRole)
	}
	if got := score(t, s, ids[1]); got != first {
		t.Fatalf("the second commit's index update went inline (score %d, first %d)", got, first)
	}
	ms, n, err := s.List(ctx, bot.Filter{})
	if err != nil || n != len(ids) || len(ms) != len(ids) {
		t.Fatalf("List = %d of %d, %v; want %d", len(ms), n, err, len(ids))
	}
	if got := score(t, s, ids[1]); got <= first {
		t.Errorf("after List the index still holds the first commit's score %d", got)
	}
	commitTurn(t, s, ids[0], "ev3", "route:direct")
	got, err := s.Funnel(ctx, bot.FunnelQuery{Days: []string{time.Now().UTC().Format(time.DateOnly)}, Platforms: []bot.Platform{bot.Telegram},
		Langs: []string{bot.AllLangs}, Stages: []string{bot.StageStarted, bot.StageRole, "route:direct"}})
	if err != nil {
		t.Fatal(err)
	}
	for st, want := range map[string]int{bot.StageStarted: 2, bot.StageRole: 2, "route:direct": 1} {
		if n := got[bot.FunnelKey{Platform: bot.Telegram, Lang: bot.AllLangs, Stage: st}]; n != want {
			t.Errorf("funnel %s = %d, want %d", st, n, want)
		}
	}
}

// Forget drops the conversation's pending index update: no flush after its
// ZREM brings the entry back.
func TestForgetDropsThePendingIndexUpdate(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	ctx := t.Context()
	ids := sameShard(2)
	for _, ev := range []string{"ev1", "ev2"} {
		for _, id := range ids {
			commitTurn(t, s, id, ev)
		}
	}
	if err := s.Forget(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	s.side.flush(ctx, false)
	if got := score(t, s, ids[0]); got != -1 {
		t.Errorf("a forgotten conversation is back in the index (score %d)", got)
	}
	if got := score(t, s, ids[1]); got <= 0 {
		t.Errorf("the other conversation of the shard left the index (score %d)", got)
	}
	// Its next first commit enters the index inline again.
	commitTurn(t, s, ids[0], "ev3")
	if got := score(t, s, ids[0]); got <= 0 {
		t.Errorf("a returning conversation is not in the index after its first commit (score %d)", got)
	}
}

// Close writes what is pending before the store stops.
func TestCloseFlushesSideWrites(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	id := sameShard(1)[0]
	commitTurn(t, s, id, "ev1")
	first := score(t, s, id)
	time.Sleep(2 * time.Millisecond)
	commitTurn(t, s, id, "ev2", bot.StageRole)
	if s.side.cur.n == 0 {
		t.Fatal("nothing pending before Close")
	}
	s.Close()
	other, err := New(t.Context(), Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := score(t, other, id); got <= first {
		t.Errorf("after Close the index holds score %d, not the last commit's (first was %d)", got, first)
	}
	got, err := other.Funnel(t.Context(), bot.FunnelQuery{Days: []string{time.Now().UTC().Format(time.DateOnly)},
		Platforms: []bot.Platform{bot.Telegram}, Langs: []string{"ru"}, Stages: []string{bot.StageRole}})
	if err != nil || got[bot.FunnelKey{Platform: bot.Telegram, Lang: "ru", Stage: bot.StageRole}] != 1 {
		t.Errorf("funnel after Close = %v, %v; want role 1", got, err)
	}
}

// A flush that cannot reach Redis counts its updates as failed and
// returns; it does not wait for Redis to come back.
func TestSideFlushWithoutRedisIsCounted(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	ids := sameShard(2)
	for _, ev := range []string{"ev1", "ev2"} {
		for _, id := range ids {
			commitTurn(t, s, id, ev)
		}
	}
	srv.Kill()
	s.side.flush(t.Context(), false)
	if got := s.SideWriteFailures(); got != int64(len(ids)) {
		t.Errorf("SideWriteFailures = %d, want %d", got, len(ids))
	}
	if s.side.cur.n != 0 {
		t.Errorf("%d updates still pending", s.side.cur.n)
	}
}

// Collecting an update allocates nothing once its map entry exists.
func TestSideIndexAllocatesNothing(t *testing.T) {
	w := &sideWrites{cur: newPending(), kick: make(chan struct{}, 1), full: make(chan struct{}, 1)}
	ids := make([]bot.ConversationID, 100)
	for i := range ids {
		ids[i] = bot.ConversationOf(bot.LINE, fmt.Sprintf("U%032d", i))
		w.index(ids[i], 1)
	}
	c := bot.Commit{Now: time.Now(), Stages: []string{bot.StageRole}, Meta: bot.Meta{Platform: bot.LINE, Lang: "ja"}}
	w.funnel(ids[0], markOf(c))
	var i int64
	if n := testing.AllocsPerRun(100, func() {
		i++
		w.index(ids[i%100], i)
		w.funnel(ids[0], markOf(c))
	}); n != 0 {
		t.Errorf("%.1f allocations per update", n)
	}
}

// A commit less than sideRefresh after the score this process wrote does
// not write it again; List's cutoff leaves that much room, so such a
// conversation stays listed until its meta expires.
func TestSideRefreshSkipsRecentScores(t *testing.T) {
	srv := redistest.Start(t)
	s := newQuietStore(t, srv)
	ctx := t.Context()
	id := sameShard(1)[0]
	commitTurn(t, s, id, "ev1") // inline
	commitTurn(t, s, id, "ev2") // pending
	if _, n, err := s.List(ctx, bot.Filter{}); err != nil || n != 1 {
		t.Fatalf("List = %d, %v", n, err)
	}
	written := score(t, s, id)
	commitTurn(t, s, id, "ev3")
	if n := s.side.cur.n; n != 0 {
		t.Errorf("a commit right after the written score queued %d updates, want 0", n)
	}
	// Written longer ago than sideRefresh: the next commit writes again.
	s.side.mu.Lock()
	s.side.written[string(id)] -= sideRefresh.Milliseconds()
	s.side.mu.Unlock()
	commitTurn(t, s, id, "ev4")
	if n := s.side.cur.n; n != 1 {
		t.Errorf("a commit after sideRefresh queued %d updates, want 1", n)
	}
	s.side.flush(ctx, false)
	if got := score(t, s, id); got <= written {
		t.Errorf("score %d after the refresh, not above %d", got, written)
	}

	for _, tt := range []struct {
		age    time.Duration
		listed bool
	}{
		{s.opt.TranscriptRetention + sideRefresh/2, true},
		{s.opt.TranscriptRetention + 2*sideRefresh, false},
	} {
		old := time.Now().Add(-tt.age).UnixMilli()
		if err := s.rdb.ZAdd(ctx, s.indexKey(id), redis.Z{Score: float64(old), Member: string(id)}).Err(); err != nil {
			t.Fatal(err)
		}
		if _, n, err := s.List(ctx, bot.Filter{}); err != nil || (n == 1) != tt.listed {
			t.Errorf("score %v old: listed %d, %v; want listed %v", tt.age, n, err, tt.listed)
		}
	}
}
