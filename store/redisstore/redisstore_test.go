package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
	"example.com/sswbot/store/storetest"
)

// quiet drops go-redis's log lines; the outage tests would print dozens of
// expected dial failures.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	// Redis's TTLs run on its real clock: 3× the waits keep the expiry
	// tests' margins wide when the machine is busy.
	storetest.Slowdown = 3
	m.Run()
}

func mustNew(tb testing.TB, opt redisstore.Options) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.New(tb.Context(), opt)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	conformance(t, redistest.Start(t))
}

// The same store over a unix socket (unix:// URL), as a Redis on the bot's
// host is reached: the suite is mostly waiting for TTLs, so it runs beside
// the TCP one.
func TestConformanceOverUnixSocket(t *testing.T) {
	t.Parallel()
	srv := redistest.StartUnix(t)
	if !strings.HasPrefix(srv.URL(), "unix:///") {
		t.Fatalf("URL %q is not a socket's", srv.URL())
	}
	conformance(t, srv)
}

func conformance(t *testing.T, srv *redistest.Server) {
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T, o storetest.Options) (storetest.Store, func(time.Duration)) {
		// One server; a prefix per store keeps the tests apart.
		s := mustNew(t, redisstore.Options{
			URL: srv.URL(), Prefix: fmt.Sprintf("t%d:", n.Add(1)),
			SessionTTL: o.SessionTTL, TranscriptRetention: o.TranscriptRetention, DedupeTTL: o.DedupeTTL, LeaseTTL: o.LeaseTTL, MaxEntries: o.MaxEntries,
		})
		return s, time.Sleep
	})
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  redisstore.Options
		want string // in the error
	}{
		{"an http URL", redisstore.Options{URL: "http://localhost:6379"}, "must start with redis://, rediss:// or unix://"},
		{"an empty URL", redisstore.Options{}, "must start with"},
		{"a bad port", redisstore.Options{URL: "redis://:secret@localhost:port"}, "parse URL"},
		{"a prefix with a hash tag", redisstore.Options{URL: "redis://localhost:6379", Prefix: "{x}:"}, "prefix"},
		{"a relative socket path", redisstore.Options{URL: "unix://redis.sock"}, "absolute path"},
		{"a socket without a path", redisstore.Options{URL: "unix://:secret@"}, "absolute path"},
		{"a Cluster over a socket", redisstore.Options{URL: "unix://:secret@/run/redis.sock?addr=n2:6379"}, "Cluster or Sentinel"},
		{"Sentinel over a socket", redisstore.Options{URL: "unix:///run/redis.sock?master_name=main"}, "Cluster or Sentinel"},
		{"an unknown socket option", redisstore.Options{URL: "unix://:secret@/run/redis.sock?pool=3"}, "unexpected option: pool"},
		{"a bad socket db", redisstore.Options{URL: "unix:///run/redis.sock?db=x"}, "database number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.New(t.Context(), tt.opt)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestNewWithoutRedisIsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	_, err := redisstore.New(t.Context(), redisstore.Options{URL: srv.URL() + "?max_retries=-1"})
	if !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("New error = %v, want ErrUnavailable", err)
	}
}

// TestOutage stops Redis between events: every call fails with
// ErrUnavailable and writes nothing; after a restart the redelivered event
// is processed once and an old one is still a duplicate.
func TestOutage(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL() + "?max_retries=-1"})
	ctx := t.Context()
	id := bot.ConversationOf(bot.Telegram, "42")
	for i := 1; i <= 20; i++ {
		if err := storetest.Handle(ctx, s, id, fmt.Sprint("ev", i)); err != nil {
			t.Fatal(err)
		}
	}
	base, err := s.Load(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	calls := []struct {
		name string
		call func() error
	}{
		{"Handle", func() error { return storetest.Handle(ctx, s, id, "ev21") }},
		{"Load", func() error { _, err := s.Load(ctx, id, "ev21"); return err }},
		{"Commit", func() error {
			return s.Commit(ctx, id, base, bot.Commit{EventID: "ev21", Session: []byte("21"), Entries: []bot.Entry{{Text: "21"}}})
		}},
		{"MarkDelivered", func() error { return s.MarkDelivered(ctx, id, "ev20") }},
		{"Forget", func() error { return s.Forget(ctx, id) }},
		{"List", func() error { _, _, err := s.List(ctx, bot.Filter{}); return err }},
		{"Transcript", func() error { _, err := s.Transcript(ctx, id); return err }},
		{"Meta", func() error { _, err := s.Meta(ctx, id); return err }},
		{"Ping", func() error { return s.Ping(ctx) }},
		{"LoadOffset", func() error { _, err := s.LoadOffset(ctx, "tg"); return err }},
		{"SaveOffset", func() error { return s.SaveOffset(ctx, "tg", 1) }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s while Redis is down: %v, want ErrUnavailable", c.name, err)
		}
	}

	srv.Restart()
	// The platform redelivers until it gets an answer; the first try may
	// still meet a connection from before the restart.
	redeliver(t, s, id, "ev21")
	redeliver(t, s, id, "ev20")
	checkCounter(t, s, id, 21)
}

// TestRestartMidRun stops and restarts Redis while four workers handle 200
// events for one user, redelivering on errors as the platforms do: every
// event is applied exactly once.
func TestRestartMidRun(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL() + "?max_retries=-1&dial_timeout=200ms"})
	id := bot.ConversationOf(bot.LINE, "Ubusy")
	const n = 200
	events := make(chan string)
	var done, failures atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ev := range events {
				for {
					err := storetest.Handle(t.Context(), s, id, ev)
					if err == nil {
						break
					}
					if !errors.Is(err, bot.ErrUnavailable) {
						t.Errorf("%s: %v, want only ErrUnavailable", ev, err)
						return
					}
					failures.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				done.Add(1)
			}
		})
	}
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		for done.Load() < n/4 {
			time.Sleep(time.Millisecond)
		}
		srv.Stop()
		time.Sleep(300 * time.Millisecond)
		srv.Restart()
	}()
	for i := 1; i <= n; i++ {
		events <- fmt.Sprint("ev", i)
	}
	close(events)
	wg.Wait()
	<-restarted
	t.Logf("%d failed attempts during the outage", failures.Load())
	checkCounter(t, s, id, n)
}

func redeliver(t *testing.T, s *redisstore.Store, id bot.ConversationID, ev string) {
	t.Helper()
	var err error
	for range 50 {
		if err = storetest.Handle(t.Context(), s, id, ev); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s after the restart: %v", ev, err)
}

// checkCounter checks that the storetest.Handle counter and the transcript
// show events 1..n, each once, in order.
func checkCounter(t *testing.T, s *redisstore.Store, id bot.ConversationID, n int) {
	t.Helper()
	snap, err := s.Load(t.Context(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(snap.Session); got != strconv.Itoa(n) {
		t.Errorf("counter = %s, want %d", got, n)
	}
	es, err := s.Transcript(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != n {
		t.Fatalf("%d transcript entries, want %d", len(es), n)
	}
	seen := map[string]bool{}
	for i, e := range es {
		if e.Text != strconv.Itoa(i+1) || seen[e.EventID] {
			t.Fatalf("entry %d: %q for %s (seen before: %t)", i, e.Text, e.EventID, seen[e.EventID])
		}
		seen[e.EventID] = true
	}
}

func TestKeysShareTheConversationsSlot(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "U1")
	if err := storetest.Handle(ctx, s, id, "ev1"); err != nil {
		t.Fatal(err)
	}
	// A restarted Redis has lost its scripts; the commit sends them again.
	if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := storetest.Handle(ctx, s, id, "ev2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOffset(ctx, "telegram", 7); err != nil {
		t.Fatal(err)
	}
	// Ends ev1's lease: its record is written again as delivered (the
	// lease key Claim took is left to its TTL, a delivered record has no
	// lease).
	if err := s.MarkDelivered(ctx, id, "ev1"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	// The index is sharded: this conversation's shard is {5}.
	want := []string{"sswbot:idx:{5}", "sswbot:offset:telegram", "sswbot:{line:U1}:e:ev1", "sswbot:{line:U1}:e:ev2",
		"sswbot:{line:U1}:l:ev1", "sswbot:{line:U1}:l:ev2", "sswbot:{line:U1}:m", "sswbot:{line:U1}:s", "sswbot:{line:U1}:t"}
	if !slices.Equal(got, want) {
		t.Errorf("keys = %q, want %q", got, want)
	}
	if snap, _ := s.Load(ctx, id, ""); string(snap.Session) != "2" {
		t.Errorf("counter = %s after a script flush, want 2", snap.Session)
	}
}

// counter is a go-redis hook counting round trips: one per command sent
// alone, one per pipeline or transaction. A pipeline of index and funnel
// updates alone is not counted: it carries those of every commit of the
// last 100 ms (side.go), and on a busy process it rides with a turn's.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !slices.ContainsFunc(cmds, func(c redis.Cmder) bool {
			switch c.Name() {
			case "zadd", "pfadd", "pexpire", "zremrangebyscore":
				return false
			}
			return true
		}) {
			return next(ctx, cmds)
		}
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

func TestAnEventTakesTwoRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	var c counter
	s.Client().AddHook(&c)
	id := bot.ConversationOf(bot.LINE, "U1")
	// The first commit also sends the script to Redis's cache.
	if err := storetest.Handle(t.Context(), s, id, "warm-up"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		id   bot.ConversationID
	}{
		{"a known user", id},
		{"a new user", bot.ConversationOf(bot.LINE, "U2")},
	} {
		c.n.Store(0)
		if err := storetest.Handle(t.Context(), s, tt.id, "ev-"+tt.name); err != nil {
			t.Fatal(err)
		}
		got := c.n.Load()
		t.Logf("%s: %d round trips for Load and Commit", tt.name, got)
		if got == 0 || got > 2 {
			t.Errorf("%s: %d round trips for Load and Commit, want 1 or 2", tt.name, got)
		}
	}
}

func TestIdleSessionMemory(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "U4af4980629d8d64d2b1cd8c2d3b8ffb1") // a LINE user id is 33 characters
	// A session as bot encodes it: state, route, answers, language, history.
	session := `{"v":1,"state":"e.visa.docs","lang":"ja","route":"E","answers":{"industry":"kaigo","headcount":"3","location":"aichi","timing":"2026-10","housing":"yes"},"back":["e.start","e.industry","e.headcount","e.location"],"misses":0,"since":"2026-04-01T09:00:00Z"}`
	now := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)
	meta := bot.Meta{ID: id, Platform: bot.LINE, DisplayName: "山田 太郎", Lang: "ja", Role: "employer", Location: "愛知県",
		Route: "E", State: "e.visa.docs", Step: "E.5", StepN: 5, StepTotal: 9, Turns: 14,
		Started: now.Add(-30 * time.Minute), LastActive: now}
	base, err := s.Load(ctx, id, "ev1")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, id, base, bot.Commit{EventID: "01JQ7ZP0F5XKM3V6W8N2R4T9YB", Session: []byte(session), Meta: meta, Now: now,
		Entries: []bot.Entry{{Time: now, Dir: bot.In, Text: "はい", EventID: "01JQ7ZP0F5XKM3V6W8N2R4T9YB"}},
		Outcome: []byte(`[{"text":"在留資格の申請に必要な書類は次のとおりです。"}]`)})
	if err != nil {
		t.Fatal(err)
	}
	sessionKey, metaKey, transcriptKey, eventKey := s.Keys(id, "01JQ7ZP0F5XKM3V6W8N2R4T9YB")
	usage := func(key string) int64 {
		n, err := s.Client().MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	idle := usage(sessionKey) + usage(metaKey)
	t.Logf("idle session: %d bytes (session %d B JSON, meta %d B); per turn: transcript entry %d B, dedupe record %d B",
		idle, len(session), usage(metaKey), usage(transcriptKey), usage(eventKey))
	if idle >= 1024 {
		t.Errorf("an idle session takes %d bytes, want under 1 KB", idle)
	}
}

func BenchmarkCommit(b *testing.B) {
	srv := redistest.Start(b)
	for _, convs := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("conversations=%d", convs), func(b *testing.B) {
			s := mustNew(b, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("b%d:", convs)})
			ids := make([]bot.ConversationID, convs)
			for i := range ids {
				ids[i] = bot.ConversationOf(bot.Telegram, fmt.Sprint(i))
			}
			for i := 0; b.Loop(); i++ {
				if err := storetest.Handle(b.Context(), s, ids[i%convs], fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	// Many users at once, as in production: throughput, not latency.
	b.Run("conversations=10000/parallel", func(b *testing.B) {
		s := mustNew(b, redisstore.Options{URL: srv.URL(), Prefix: "bp:"})
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if err := storetest.Handle(b.Context(), s, bot.ConversationOf(bot.Telegram, fmt.Sprint(i%10_000)), fmt.Sprint(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// A browser that kept a position from before the feed was sharded (one
// stream id) resumes from it in every stream; a cursor of another size is
// refused, not misread.
func TestFeedReadsAnOldPosition(t *testing.T) {
	s := mustNew(t, redisstore.Options{URL: redistest.Start(t).URL()})
	ctx := t.Context()
	for i := range 3 {
		if err := s.Publish(ctx, bot.Change{Conversation: bot.ConversationOf(bot.LINE, fmt.Sprint("Uold", i)), Kind: bot.ChangeTurn}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Changes(ctx, "0-0", 0); err != nil || len(got) != 3 {
		t.Errorf("from 0-0: %+v, %v; want all three", got, err)
	}
	if got, err := s.Changes(ctx, "99999999999999-0", 0); err != nil || len(got) != 0 {
		t.Errorf("from the future: %+v, %v; want none", got, err)
	}
	if _, err := s.Changes(ctx, "1-0.2-0", 0); err == nil {
		t.Error("a cursor of two streams was accepted")
	}
}

// A dedupe record written before large outcomes got their own key (the
// whole outcome inside the record) still loads: a rolling deploy.
func TestRecordWithItsOutcomeInsideLoads(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Uold")
	_, _, _, eventKey := s.Keys(id, "ev1")
	outcome := "\x01" + strings.Repeat("a card's text ", 200)
	if err := s.Client().Set(ctx, eventKey, "0tok1\n"+outcome, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"Load", "Claim"} {
		var snap bot.Snapshot
		var err error
		if how == "Load" {
			snap, err = s.Load(ctx, id, "ev1")
		} else {
			snap, err = s.Claim(ctx, id, "ev1", "h1")
		}
		if err != nil {
			t.Fatal(err)
		}
		if r := snap.Recorded; r == nil || string(r.Outcome) != outcome || r.ReplyToken != "tok1" || r.Delivered {
			t.Errorf("%s: Recorded = %+v, want the old record's outcome and token, sending", how, r != nil)
		}
	}
}

// TestClaimCommitNeedsTheSameStateNotOnlyTheVersion: after Redis lost
// acknowledged writes (a failover to a lagging replica) another process may
// commit the same version number anew; a snapshot kept from the lost commit
// must not pass for it.
func TestClaimCommitNeedsTheSameStateNotOnlyTheVersion(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Ulagged")
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	commit := func(ev, session string) bot.Commit {
		return bot.Commit{EventID: ev, Holder: "h-" + ev, Session: []byte(session), Now: now,
			Meta: bot.Meta{ID: id, Platform: bot.LINE, State: session, Started: now, LastActive: now}}
	}
	c1 := commit("ev1", "one")
	if err := s.ClaimCommit(ctx, id, bot.Snapshot{}, c1); err != nil {
		t.Fatal(err)
	}
	kept := bot.Snapshot{Session: c1.Session, Version: 1, Meta: &c1.Meta}
	session, meta, _, _ := s.Keys(id, "")
	rdb := s.Client()
	for _, tt := range []struct {
		name string
		key  string
		val  func() string
	}{
		{"another session at version 1", session, func() string { return "other" }},
		{"another meta at version 1", meta, func() string {
			raw := rdb.Get(ctx, meta).Val()
			return strings.Replace(raw, "one", "two", 1)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := rdb.Get(ctx, tt.key).Val()
			if err := rdb.Set(ctx, tt.key, tt.val(), 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimCommit(ctx, id, kept, commit("ev2", "two")); !errors.Is(err, bot.ErrConflict) {
				t.Errorf("ClaimCommit from the kept snapshot: %v, want ErrConflict", err)
			}
			rdb.Set(ctx, tt.key, old, 0)
		})
	}
	if err := s.ClaimCommit(ctx, id, kept, commit("ev3", "three")); err != nil {
		t.Errorf("ClaimCommit once the state is the kept one again: %v", err)
	}
}

// TestTranscriptExpiryIsRenewedOncePerPeriod: a turn sets its transcript's
// expiry (the retention plus one period, a day) when the list is new or it
// is the conversation's first turn of a new day, and leaves it otherwise.
func TestTranscriptExpiryIsRenewedOncePerPeriod(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL(), TranscriptRetention: 180 * 24 * time.Hour})
	ctx := t.Context()
	rdb := s.Client()
	id := bot.ConversationOf(bot.LINE, "Urenew")
	_, _, transcript, _ := s.Keys(id, "")
	want := (180 + 1) * 24 * time.Hour
	day1 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	var snap bot.Snapshot
	at := func(ev string, now time.Time, entries int) {
		t.Helper()
		c := bot.Commit{EventID: ev, Holder: ev, Session: []byte(ev), Now: now,
			Meta: bot.Meta{ID: id, Platform: bot.LINE, Started: day1, LastActive: now}}
		for range entries {
			c.Entries = append(c.Entries, bot.Entry{Time: now, Dir: bot.In, Text: ev})
		}
		if err := s.Commit(ctx, id, snap, c); err != nil {
			t.Fatalf("commit %s: %v", ev, err)
		}
		var err error
		if snap, err = s.Load(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	ttl := func() time.Duration {
		t.Helper()
		d, err := rdb.PTTL(ctx, transcript).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cut := func() {
		t.Helper()
		if err := rdb.PExpire(ctx, transcript, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	at("ev1", day1, 1)
	if d := ttl(); d < want-time.Minute || d > want {
		t.Fatalf("a new transcript's TTL = %v, want %v", d, want)
	}
	cut()
	at("ev2", day1.Add(2*time.Hour), 2)
	if d := ttl(); d > time.Hour {
		t.Errorf("a later turn of the same day set the TTL again: %v", d)
	}
	at("ev3", day1.Add(24*time.Hour), 0)
	if d := ttl(); d < want-time.Minute {
		t.Errorf("the first turn of the next day (with no entry) left the TTL at %v, want %v", d, want)
	}
	// A list that is gone (cut by hand here) is created with its expiry.
	if err := rdb.Del(ctx, transcript).Err(); err != nil {
		t.Fatal(err)
	}
	at("ev4", day1.Add(25*time.Hour), 1)
	if d := ttl(); d < want-time.Minute {
		t.Errorf("a list created by a turn of the same day has TTL %v, want %v", d, want)
	}
}

// TestADeliveredEventKeepsOneKey: the one-step claim and commit keeps the
// lease inside the dedupe record, and MarkDelivered by the process that
// committed rewrites the record, so a delivered event leaves its record
// alone; a process that did not commit it (here: restarted) marks it with
// a mark key, as before.
func TestADeliveredEventKeepsOneKey(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Uone")
	rdb := s.Client()
	now := time.Now()
	commit := func(base bot.Snapshot, ev string) {
		t.Helper()
		c := bot.Commit{EventID: ev, Holder: "h-" + ev, ReplyToken: "tok-" + ev, Session: []byte(ev), Now: now,
			Outcome: []byte(`[{"text":"` + ev + `"}]`), Meta: bot.Meta{ID: id, Platform: bot.LINE, Started: now, LastActive: now}}
		if err := s.ClaimCommit(ctx, id, base, c); err != nil {
			t.Fatalf("ClaimCommit %s: %v", ev, err)
		}
	}
	eventKeys := func() []string {
		t.Helper()
		got, err := rdb.Keys(ctx, "sswbot:{line:Uone}:[el]:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	commit(bot.Snapshot{}, "ev1")
	if got, want := eventKeys(), []string{"sswbot:{line:Uone}:e:ev1"}; !slices.Equal(got, want) {
		t.Errorf("while sending: keys %q, want %q (the lease inside the record)", got, want)
	}
	if err := s.MarkDelivered(ctx, id, "ev1"); err != nil {
		t.Fatal(err)
	}
	if got, want := eventKeys(), []string{"sswbot:{line:Uone}:e:ev1"}; !slices.Equal(got, want) {
		t.Errorf("delivered: keys %q, want %q", got, want)
	}
	_, _, _, ev1 := s.Keys(id, "ev1")
	if ttl := rdb.PTTL(ctx, ev1).Val(); ttl < 47*time.Hour {
		t.Errorf("the rewritten record's TTL is %v, want the dedupe TTL kept", ttl)
	}
	snap, err := s.Claim(ctx, id, "ev1", "other")
	if err != nil {
		t.Fatal(err)
	}
	if r := snap.Recorded; r == nil || !r.Delivered || r.ReplyToken != "tok-ev1" || string(r.Outcome) != `[{"text":"ev1"}]` {
		t.Errorf("Recorded = %+v, want delivered with its token and outcome", r)
	}

	// Another process (this one, restarted) marks with a mark key.
	commit(snap, "ev2")
	s2 := mustNew(t, redisstore.Options{URL: srv.URL()})
	if err := s2.MarkDelivered(ctx, id, "ev2"); err != nil {
		t.Fatal(err)
	}
	if snap, err := s2.Claim(ctx, id, "ev2", "other"); err != nil || snap.Recorded == nil || !snap.Recorded.Delivered {
		t.Errorf("after the other process's mark: %+v, %v; want delivered", snap.Recorded, err)
	}
	// The first process's mark of ev2 finds its record delivered already.
	if err := s.MarkDelivered(ctx, id, "ev2"); err != nil {
		t.Fatal(err)
	}
	// A record that is gone is not made again by a mark.
	commit(mustLoadSnap(t, s, id), "ev3")
	_, _, _, ev3 := s.Keys(id, "ev3")
	rdb.Del(ctx, ev3)
	if err := s.MarkDelivered(ctx, id, "ev3"); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, ev3).Val(); n != 0 {
		t.Errorf("MarkDelivered made the lost record again")
	}
}

func mustLoadSnap(t *testing.T, s *redisstore.Store, id bot.ConversationID) bot.Snapshot {
	t.Helper()
	snap, err := s.Load(t.Context(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
