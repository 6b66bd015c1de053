package bot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
)

func newRedisService(tb testing.TB, srv *redistest.Server) (*bot.Service, *redisstore.Store) {
	tb.Helper()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: srv.URL()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	svc, err := bot.New(st, mustKB(tb), bot.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return svc, st
}

func TestRedisConcurrentEventsForOneUser(t *testing.T) {
	srv := redistest.Start(t)
	svc, st := newRedisService(t, srv)
	if _, err := svc.Handle(context.Background(), bot.Event{Platform: bot.LINE, UserID: "U1", EventID: "start", Kind: bot.KindStart}); err != nil {
		t.Fatal(err)
	}
	sendConcurrently(t, svc, bot.LINE, "U1", 200)
	checkInterleaving(t, st, bot.ConversationOf(bot.LINE, "U1"), 201, 200)
}

func TestRedisOutageAndRecovery(t *testing.T) {
	srv := redistest.Start(t)
	svc, st := newRedisService(t, srv)
	ctx := context.Background()
	send := func(id string, p string) (bot.Outcome, error) {
		return svc.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: "7", EventID: id, Kind: bot.KindChoice, Text: p})
	}
	if _, err := svc.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: "7", EventID: "e0", Kind: bot.KindStart, Lang: "ru"}); err != nil {
		t.Fatal(err)
	}
	if _, err := send("e1", "r:worker"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := send("e2", "w:kg"); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("during the outage err = %v, want ErrUnavailable", err)
	}
	srv.Restart()
	// The platform redelivers e2; then the user goes on.
	if _, err := send("e2", "w:kg"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	// A copy while the replies are (as far as the store knows) still being
	// sent is refused; once they are delivered it is a delivered duplicate.
	if _, err := send("e2", "w:kg"); !errors.Is(err, bot.ErrInFlight) {
		t.Fatalf("a second delivery of e2 while sending: err = %v, want ErrInFlight", err)
	}
	if err := svc.MarkDelivered(ctx, bot.ConversationOf(bot.Telegram, "7"), "e2"); err != nil {
		t.Fatal(err)
	}
	out, err := send("e2", "w:kg")
	if err != nil || !out.Duplicate || !out.Delivered {
		t.Fatalf("a second delivery of e2: duplicate = %v, delivered = %v, err = %v", out.Duplicate, out.Delivered, err)
	}
	if _, err := send("e3", "rt:direct"); err != nil {
		t.Fatal(err)
	}
	m, err := st.Meta(ctx, bot.ConversationOf(bot.Telegram, "7"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Turns != 4 || m.Route != "direct" || m.StepN != 1 {
		t.Fatalf("after recovery: turns %d, route %q, step %d; want 4, direct, 1", m.Turns, m.Route, m.StepN)
	}
}

// BenchmarkHandleRedis reports, besides wall time, the CPU each event costs
// this process (cpu-µs/event: the turn and go-redis) and redis-server
// (redis-cpu-µs/event, from INFO cpu): on a shared machine the CPU is the
// steadier measure, and redis-server's share is part of the bill.
// "parallel" runs 64 goroutines at once, as concurrent webhooks do, so
// their calls share pipelines, and records each event as delivered after
// it, as the adapters do once they have sent the replies. With
// SSWBOT_BENCH_REDIS=unix the store reaches redis-server over its unix
// socket instead of loopback TCP.
func BenchmarkHandleRedis(b *testing.B) {
	srv := redistest.Start
	if os.Getenv("SSWBOT_BENCH_REDIS") == "unix" {
		srv = redistest.StartUnix
	}
	benchHandleRedis(b, srv(b))
}

func benchHandleRedis(b *testing.B, srv *redistest.Server) {
	for _, users := range []int{1, 10000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("bench%d:", users)})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			benchHandle(b, st, users, func() func() {
				cpu := startCPU(b, srv)
				return func() { cpu.report(b) }
			})
		})
	}
	b.Run("users=10000/parallel", func(b *testing.B) {
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: srv.URL(), Prefix: "benchp:"})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		svc := benchService(b, st, 10000)
		ctx := context.Background()
		run := benchRuns.Add(1)
		cpu := startCPU(b, srv)
		b.ReportAllocs()
		b.SetParallelism(32) // × GOMAXPROCS goroutines
		var n atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				id := bot.ConversationOf(bot.Telegram, fmt.Sprint(i%10000))
				ev := fmt.Sprintf("p%d-%d", run, i)
				_, err := svc.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: fmt.Sprint(i % 10000), EventID: ev, Kind: bot.KindChoice, Text: "r:worker"})
				if err == nil { // sent: the adapters' last step
					err = svc.MarkDelivered(ctx, id, ev)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		cpu.report(b)
	})
}

// cpuMeter measures the CPU this process and a redis-server spent.
type cpuMeter struct {
	srv         *redistest.Server
	self, redis time.Duration
}

func startCPU(b *testing.B, srv *redistest.Server) *cpuMeter {
	if os.Getenv("SSWBOT_BENCH_COMMANDSTATS") != "" {
		opt, _ := redis.ParseURL(srv.URL())
		rdb := redis.NewClient(opt)
		rdb.ConfigSet(context.Background(), "slowlog-log-slower-than", "0")
		rdb.ConfigSet(context.Background(), "slowlog-max-len", "2000")
		rdb.SlowLogReset(context.Background())
		rdb.ConfigResetStat(context.Background())
		rdb.Close()
	}
	return &cpuMeter{srv: srv, self: selfCPU(), redis: redisCPU(b, srv)}
}

func (m *cpuMeter) report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric(float64(selfCPU()-m.self)/n/1e3, "cpu-µs/event")
	b.ReportMetric(float64(redisCPU(b, m.srv)-m.redis)/n/1e3, "redis-cpu-µs/event")
	if out := os.Getenv("SSWBOT_BENCH_COMMANDSTATS"); out != "" {
		opt, _ := redis.ParseURL(m.srv.URL())
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		info, _ := rdb.Info(context.Background(), "commandstats").Result()
		if sl, err := rdb.SlowLogGet(context.Background(), 2000).Result(); err == nil {
			agg := map[string][2]int64{}
			for _, e := range sl {
				k := strings.ToLower(e.Args[0])
				if k == "evalsha" {
					k += " " + e.Args[1] + " nargs=" + strconv.Itoa(len(e.Args))
				}
				a := agg[k]
				a[0]++
				a[1] += e.Duration.Microseconds()
				agg[k] = a
			}
			for k, a := range agg {
				info += fmt.Sprintf("slow %s: n=%d avg=%.1fµs\n", k, a[0], float64(a[1])/float64(a[0]))
			}
		}
		_ = os.WriteFile(out, []byte(fmt.Sprintf("N=%d\n%s", b.N, info)), 0o644)
		rdb.ConfigResetStat(context.Background())
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is redis-server's user + system CPU from INFO cpu.
func redisCPU(b *testing.B, srv *redistest.Server) time.Duration {
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// TestRedisMemoryOfARealConversation walks a whole route through the real
// bot and reports what each of the conversation's keys costs in Redis.
func TestRedisMemoryOfARealConversation(t *testing.T) {
	srv := redistest.Start(t)
	svc, _ := newRedisService(t, srv)
	ctx := context.Background()
	user := "U4af4980629d8d64d2b1cd8c2d3b8ffb1"
	steps := []bot.Event{{Kind: bot.KindStart}, {Kind: bot.KindChoice, Text: "r:employer"}, {Kind: bot.KindChoice, Text: "w:kg"},
		{Kind: bot.KindChoice, Text: "rt:agency"}}
	for _, id := range []string{"A.3.1", "A.3.2", "A.3.3", "A.4", "A.5"} {
		steps = append(steps, bot.Event{Kind: bot.KindChoice, Text: "n:" + id})
	}
	steps = append(steps, bot.Event{Kind: bot.KindChoice, Text: "fin:A.6"})
	for i, ev := range steps {
		ev.Platform, ev.UserID, ev.EventID = bot.LINE, user, fmt.Sprintf("01JQ7ZP0F5XKM3V6W8N2R4T%03d", i)
		if _, err := svc.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "sswbot:{line:"+user+"}*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var idle, transcript, dedupe int64
	for _, k := range keys {
		n, err := rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(k, ":s"), strings.HasSuffix(k, ":m"):
			idle += n
		case strings.HasSuffix(k, ":t"):
			transcript += n
		default:
			dedupe += n
		}
	}
	t.Logf("a finished conversation (%d turns): session + meta %d B; transcript %d B (kept for the retention); dedupe records %d B in all (kept 48 h)",
		len(steps), idle, transcript, dedupe)
	if idle >= 1024 {
		t.Errorf("session + meta take %d bytes, want under 1 KB", idle)
	}
}

// quiet drops go-redis's log lines: the outage test would print dozens of
// expected dial failures.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	m.Run()
}

// TestRedisTwoProcessesTakeTurns hands one user's events alternately to two
// services on one Redis, as two replicas behind a load balancer would: each
// one's kept snapshot (the one-step commit) goes stale at every turn, and
// a take-over by staff in the other one must still silence the bot. The
// replies are those of one service alone.
func TestRedisTwoProcessesTakeTurns(t *testing.T) {
	srv := redistest.Start(t)
	a, st := newRedisService(t, srv)
	b, _ := newRedisService(t, srv)
	alone := newHarness(t)
	ctx := context.Background()
	id := bot.ConversationOf(bot.Telegram, "u1")
	shown := func(out bot.Outcome) string {
		var b strings.Builder
		for _, r := range out.Replies {
			fmt.Fprintf(&b, "%s %v %v\n", r.Text, r.Choices, r.Links)
		}
		return b.String()
	}
	evs := []bot.Event{{Kind: bot.KindStart, Lang: "ru"}, press("r:worker"), press("w:kg"), press("rt:agency")}
	var last bot.Outcome
	for i := 0; i < len(evs) || i < 9; i++ {
		if i >= len(evs) {
			evs = append(evs, press(choiceFor(t, last, "n:")))
		}
		ev := evs[i]
		svc := []*bot.Service{a, b}[i%2]
		ev.Platform, ev.UserID, ev.EventID = bot.Telegram, "u1", "e"+strconv.Itoa(i)
		got, err := svc.Handle(ctx, ev)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		want := alone.send(t, ev)
		if shown(got) != shown(want) {
			t.Fatalf("event %d (%s): replies\n%s\nwant those of one service alone\n%s", i, ev.Text, shown(got), shown(want))
		}
		last = got
		if err := svc.MarkDelivered(ctx, id, ev.EventID); err != nil {
			t.Fatal(err)
		}
		// The same event through the other service: a delivered duplicate.
		if dup, err := []*bot.Service{b, a}[i%2].Handle(ctx, ev); err != nil || !dup.Duplicate {
			t.Fatalf("event %d again through the other service: duplicate %v, err %v", i, dup.Duplicate, err)
		}
	}
	// Staff take over in b; a's next turn must see it, though a committed
	// the turn before last and b the last one.
	if _, err := b.TakeOver(ctx, id, "aiko"); err != nil {
		t.Fatal(err)
	}
	out, err := a.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: "u1", EventID: "e-owned", Kind: bot.KindText, Text: "где посольство?"})
	if err != nil || !out.Silent || len(out.Replies) != 0 {
		t.Fatalf("the bot spoke while a person owns the conversation: %+v, %v", out, err)
	}
	es, err := st.Transcript(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ins int
	for _, e := range es {
		if e.Dir == bot.In {
			ins++
		}
	}
	if ins != len(evs)+1 {
		t.Errorf("%d incoming entries in the transcript, want %d: each event once", ins, len(evs)+1)
	}
}

// TestRedisAKnownUsersEventIsOneScript: the turn after one this process
// committed is claimed and committed by one script (one round trip); the
// first turn of a process takes the claim path (two).
func TestRedisAKnownUsersEventIsOneScript(t *testing.T) {
	srv := redistest.Start(t)
	svc, _ := newRedisService(t, srv)
	rdb := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(srv.URL(), "redis://")})
	defer rdb.Close()
	ctx := context.Background()
	scripts := func(ev bot.Event) int {
		t.Helper()
		if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		ev.Platform, ev.UserID = bot.LINE, "U1"
		if _, err := svc.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		info, err := rdb.Info(ctx, "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range strings.Split(info, "\n") {
			if rest, ok := strings.CutPrefix(l, "cmdstat_evalsha:calls="); ok {
				n, _ = strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			}
		}
		return n
	}
	scripts(bot.Event{EventID: "e0", Kind: bot.KindStart}) // also loads the scripts
	if n := scripts(bot.Event{EventID: "e1", Kind: bot.KindChoice, Text: "r:employer"}); n != 1 {
		t.Errorf("a known user's event ran %d scripts, want 1", n)
	}
	other, _ := newRedisService(t, srv) // another process: no snapshot kept
	svc = other
	if n := scripts(bot.Event{EventID: "e2", Kind: bot.KindChoice, Text: "w:kg"}); n != 2 {
		t.Errorf("the first event in another process ran %d scripts, want 2 (claim, commit)", n)
	}
}
