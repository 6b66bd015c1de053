package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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

func BenchmarkHandleRedis(b *testing.B) {
	srv := redistest.Start(b)
	for _, users := range []int{1, 10000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("bench%d:", users)})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			benchHandle(b, st, users)
		})
	}
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
