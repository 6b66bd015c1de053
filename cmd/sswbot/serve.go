package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/internal/gcfloor"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/metrics"
	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/redisstore"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address [SSWBOT_ADDR]")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", cfg.AdminAddr, `admin listener with /metrics; "off" = none [SSWBOT_ADMIN_ADDR]`)
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error [SSWBOT_LOG_LEVEL]")
	cfg.storeFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot serve [flags]\n\nServes GET /healthz, /readyz, /metrics, POST /line/webhook, POST /telegram/webhook\n(or long polling) and the staff console under /console/. Channels whose variables are\nempty are off; with nothing configured the health endpoints still run.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, envHelp)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	redisstore.LogTo(log)
	kb, err := cfg.loadKnowledge()
	if err != nil {
		return fmt.Errorf("load content:\n%w", err)
	}
	if !kb.ReviewBy.IsZero() && time.Now().After(kb.ReviewBy) {
		log.Warn("content is past its review date", "review_by", kb.ReviewBy.Format(time.DateOnly))
	}
	tuneGC(cfg, getenv)
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	var closer io.Closer = st
	defer func() { closer.Close() }()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerStoreMetrics(reg, st)
	m := metrics.New(reg)
	// Every commit and erase feeds the console's live view, in every process.
	ns := bot.Notifying(st, st, log)
	closer = ns // publishes the queued changes, then closes st
	// The Telegram adapter is made after the bot (it calls the bot); the
	// invite link asks it for the bot's username when an invite is made.
	var ta *telegram.Adapter
	// LINE's pushes count against the channel's monthly quota: near it,
	// case notifications wait for the employer's next (free) reply.
	var quota *bot.PushQuota
	if cfg.LineSecret != "" {
		quota = bot.NewPushQuota(bot.LINE, st, cfg.LinePushLimit, float64(cfg.LinePushNear)/100, nil, m)
	}
	// The in-memory store's Claim costs no round trip: kept snapshots
	// (bot.ClaimCommitter) would only cost memory there.
	recent := 0
	if cfg.RedisURL == "" {
		recent = -1
	}
	svc, err := bot.New(ns, kb, bot.Options{Logger: log, Metrics: m, SessionTTL: cfg.SessionTTL, MaxStoredText: cfg.MaxStoredText, EventLease: cfg.EventLease,
		Cases: st, InviteTTL: cfg.InviteTTL, InviteLink: inviteLink(cfg, &ta), InviteImage: inviteImage(cfg.PublicURL),
		PushQuota: quota, ReplyFits: replyFits, RecentConversations: recent})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(pctx); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /qr/{file}", qrHandler(st, inviteLink(cfg, &ta), log))
	// /metrics goes on the admin listener (loopback by default), not the
	// public one: it tells strangers nothing about our traffic.
	admin := http.NewServeMux()
	admin.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	// Profiles too: the admin listener is loopback unless told otherwise,
	// and the speed work (BENCHMARKS.md) reads serve's CPU profile under load.
	admin.HandleFunc("GET /debug/pprof/", pprof.Index)
	admin.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	admin.HandleFunc("GET /debug/pprof/trace", pprof.Trace)

	push := &pusher{}
	var la *line.Adapter
	if cfg.LineSecret != "" {
		la, err = line.New(line.Config{
			ChannelSecret: cfg.LineSecret, AccessToken: cfg.LineToken, APIBaseURL: cfg.LineBaseURL,
			Logger: log.With("channel", "line"), Metrics: m, RichMenus: true, Pushes: quota,
		}, svc)
		if err != nil {
			return fmt.Errorf("line: %w", err)
		}
		mux.Handle("/line/webhook", la)
		push.line = la
		log.Info("LINE channel on", "path", "/line/webhook")
	}
	if cfg.TelegramToken != "" {
		ta, err = telegram.New(telegram.Config{
			Token: cfg.TelegramToken, APIBaseURL: cfg.TelegramBaseURL,
			WebhookURL: cfg.TelegramWebhookURL, WebhookSecret: cfg.TelegramSecret,
			WebhookReplyByAPI: cfg.TelegramReply == "api",
			Logger:            log.With("channel", "telegram"), Metrics: m, Commands: telegramCommands(kb),
		}, svc, st)
		if err != nil {
			return fmt.Errorf("telegram: %w", err)
		}
		if cfg.TelegramWebhookURL != "" {
			mux.Handle("/telegram/webhook", ta)
		}
		push.telegram = ta
	}
	notifiers := map[bot.Platform]bot.Notifier{}
	if la != nil {
		notifiers[bot.LINE] = la
	}
	if ta != nil {
		notifiers[bot.Telegram] = ta
	}
	cons, err := mountConsole(mux, cfg, kb, svc, st, push, quota, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cons != nil {
		srv.RegisterOnShutdown(cons.Close) // ends the console's live streams
	}
	var adminSrv *http.Server
	var adminLn net.Listener
	if cfg.AdminAddr != "off" && cfg.AdminAddr != "" {
		// Without metrics the bot still answers: a taken admin port (a
		// second process on one host) is logged, not fatal.
		if adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			log.Error("admin listener (/metrics) off: cannot listen; set SSWBOT_ADMIN_ADDR", "addr", cfg.AdminAddr, "err", err)
			adminLn = nil
		} else {
			if !isLoopback(cfg.AdminAddr) {
				log.Warn("the admin listener (/metrics) is not on a loopback address", "addr", adminLn.Addr().String())
			}
			adminSrv = &http.Server{Handler: admin, ReadHeaderTimeout: 5 * time.Second, ErrorLog: srv.ErrorLog}
		}
	}

	// runCtx ends every background task; a failing task ends it too.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	if adminSrv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := adminSrv.Serve(adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	if ta != nil {
		// One attempt before announcing readiness, so a healthy start has
		// its webhook and commands registered; later attempts run behind.
		first := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runTelegram(runCtx, ta, cfg.TelegramWebhookURL == "", log, first); err != nil {
				errc <- err
			}
		}()
		select {
		case <-first:
		case <-time.After(15 * time.Second):
		}
	}
	// The shared cases' notifications: at once after a commit here, and
	// every outboxPoll for those another process could not send.
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.RunOutbox(runCtx, notifiers, outboxPoll)
	}()
	if la != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pollLINEQuota(runCtx, la, quota, cfg.LineQuotaPoll, log)
		}()
	}
	adminAt := "off"
	if adminLn != nil {
		adminAt = "http://" + adminLn.Addr().String()
	}
	fmt.Fprintf(stdout, "sswbot serving on http://%s (store: %s, content %s, admin %s)\n", ln.Addr(), storeName(cfg), kb.Version, adminAt)
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// One shutdown path: stop the poller from fetching more, stop accepting
	// requests and let in-flight events finish, let LINE's background sends
	// finish, wait for every task, and only then close the store (deferred).
	log.Info("shutting down")
	stopRun()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second) // a Telegram webhook update may take 25 s
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		log.Warn("http shutdown", "err", serr)
	}
	if adminSrv != nil {
		_ = adminSrv.Shutdown(sctx)
	}
	if la != nil {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lineDrain)
		defer cancel()
		if serr := la.Shutdown(lctx); serr != nil {
			log.Warn("line shutdown", "err", serr)
		}
	}
	wg.Wait()
	return err
}

// outboxPoll is how often the outbox is read for notifications a process
// committed and could not send (its send failed, or it died); a process
// sends its own at once. (Once blamed for stalling the console's live
// view across processes; the cause was the console's feed reader starting
// at the feed's end, see console/live.go.)
const outboxPoll = 3 * time.Second

// inviteLink builds the Telegram deep link of an invite code: the bot's
// username from SSWBOT_TELEGRAM_USERNAME, else as getMe reported it.
func inviteLink(cfg Config, ta **telegram.Adapter) func(string) string {
	return func(code string) string {
		name := strings.TrimPrefix(cfg.TelegramUsername, "@")
		if name == "" && *ta != nil {
			name = (*ta).BotName()
		}
		if name == "" {
			return ""
		}
		return "https://t.me/" + name + "?start=" + code
	}
}

// lineDrain is how long shutdown waits for LINE replies still being sent
// after their webhook was acknowledged.
const lineDrain = line.SendTimeout + 5*time.Second

// runTelegram registers the commands and the webhook (retrying while the
// Bot API is unreachable, so LINE and the console keep running), then polls
// when no webhook is configured. A rejected token ends it with an error.
// first is closed after the first attempt.
func runTelegram(ctx context.Context, ta *telegram.Adapter, poll bool, log *slog.Logger, first chan<- struct{}) error {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := ta.Setup(ctx)
		if first != nil {
			close(first)
			first = nil
		}
		if err == nil {
			break
		}
		var ae *telegram.APIError
		if errors.As(err, &ae) && (ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound) {
			return fmt.Errorf("telegram: the Bot API rejected the token: %w", err)
		}
		log.Error("telegram setup failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
	if !poll {
		log.Info("Telegram channel on (webhook)", "path", "/telegram/webhook")
		return nil
	}
	log.Info("Telegram channel on (long polling)")
	if err := ta.Run(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("telegram polling: %w", err)
	}
	return nil
}

func storeName(cfg Config) string {
	if cfg.RedisURL == "" {
		return "in-memory"
	}
	return "redis"
}

// mountConsole serves the staff console when staff users are configured.
func mountConsole(mux *http.ServeMux, cfg Config, kb *knowledge.Base, svc *bot.Service, st storage, push console.Pusher, quota *bot.PushQuota, log *slog.Logger) (*console.Console, error) {
	spec := cfg.ConsoleUsers
	if cfg.ConsoleUsersFile != "" {
		b, err := os.ReadFile(cfg.ConsoleUsersFile)
		if err != nil {
			return nil, fmt.Errorf("console users file: %w", err)
		}
		spec = strings.TrimSpace(spec + "\n" + string(b))
	}
	if strings.TrimSpace(spec) == "" {
		log.Info("staff console off: no staff users configured (SSWBOT_CONSOLE_USERS)")
		mux.Handle("/console/", console.Off())
		return nil, nil
	}
	users, err := console.ParseUsers(spec)
	if err != nil {
		return nil, fmt.Errorf("console users: %w", err)
	}
	loc, zones, err := cfg.consoleZones()
	if err != nil {
		return nil, err
	}
	proxies, err := console.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("SSWBOT_TRUSTED_PROXIES: %w", err)
	}
	deps := console.Deps{Bot: svc, Index: st, Pusher: push, Feed: st, Notes: st, LINEPreview: line.Preview, TelegramPreview: telegramPreview, Cases: st}
	if quota != nil {
		deps.PushUsage = quota.Usage
	}
	c, err := console.New(console.Config{
		Users: users, SecureCookies: cfg.secureCookies(), TrustedProxies: proxies, Routes: routeSteps(kb),
		Location: loc, Zones: zones, Canned: cannedReplies(kb), Meanings: meanings(kb),
		Logger: log.With("component", "console"),
	}, deps)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	mux.Handle("/console/", c)
	log.Info("staff console on", "path", "/console/", "users", len(users))
	return c, nil
}

func routeSteps(kb *knowledge.Base) map[string][]string {
	out := map[string][]string{}
	for _, c := range kb.Countries {
		for _, r := range c.Routes {
			if _, seen := out[r.ID]; seen {
				continue // the funnel groups by route id; the first country names its steps
			}
			for _, s := range r.Steps {
				out[r.ID] = append(out[r.ID], s.ID)
			}
		}
	}
	return out
}

// pusher sends staff messages through the user's platform.
type pusher struct {
	line     *line.Adapter
	telegram *telegram.Adapter
}

func (p *pusher) Push(ctx context.Context, id bot.ConversationID, text string) error {
	switch {
	case id.Platform() == bot.LINE && p.line != nil:
		return p.line.Push(ctx, id.UserID(), text)
	case id.Platform() == bot.Telegram && p.telegram != nil:
		return p.telegram.Push(ctx, id.UserID(), text)
	}
	return fmt.Errorf("no channel to reach %s users", id.Platform())
}

// telegramCommands builds the per-language command menus from the content.
func telegramCommands(kb *knowledge.Base) map[string][]telegram.Command {
	names := []string{"start", "help", "lang", "restart", "contacts", "staff", "forget"}
	out := map[string][]telegram.Command{}
	for _, lang := range append([]string{""}, knowledge.Languages...) {
		l := lang
		if l == "" {
			l = "en"
		}
		for _, n := range names {
			out[lang] = append(out[lang], telegram.Command{Name: n, Description: kb.UIText("cmd_"+n, l)})
		}
	}
	return out
}

// tuneGC sets Go's collector for a server whose turns make ~11 KB of
// garbage each and keep little:
//
//   - With Redis the live heap is a few MB. The heap may grow to a floor
//     of 32 MiB, or twice the live heap when that is more (gcfloor): a
//     collection every few tenths of a second at full load. A larger heap
//     (it was 256 MiB) is collected less often, but its first growth
//     faults in every page once, at 12–16 µs a page on a host with shadow
//     page tables, and walks memory the caches no longer hold: 8–14 % more
//     CPU per request in a 10 s window (BENCHMARKS.md).
//   - With the in-memory store the live heap is the store: GOGC=400, under
//     a limit that keeps the store's bound meaningful (near it the
//     collector works harder instead of the heap growing).
//
// GOGC or GOMEMLIMIT in the environment turn this off. It returns the
// floor it started, if any.
func tuneGC(cfg Config, getenv func(string) string) *gcfloor.Floor {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return nil
	}
	if cfg.RedisURL != "" {
		return gcfloor.Start(redisHeapFloor, 100)
	}
	bound := cfg.MemoryMaxBytes
	if bound <= 0 {
		bound = memstore.DefaultMaxBytes
	}
	debug.SetMemoryLimit(max(512<<20, 2*bound+256<<20))
	debug.SetGCPercent(400)
	return nil
}

// redisHeapFloor is the heap serve may grow to with Redis (tuneGC).
const redisHeapFloor = 32 << 20

// newLogger logs JSON unless stderr is a terminal.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// registerStoreMetrics exports what the store's bounds report: the size of
// the in-memory store and what its caps removed (Redis reports only the
// transcript entries this process dropped; its size is Redis's own INFO).
func registerStoreMetrics(reg prometheus.Registerer, st storage) {
	if ms, ok := st.(*memstore.Store); ok {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sswbot_memstore_bytes", Help: "Estimated size of the in-memory store (bounded by SSWBOT_MEMORY_MAX_BYTES)."},
				func() float64 { return float64(ms.Stats().Bytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sswbot_memstore_conversations", Help: "Conversations in the in-memory store."},
				func() float64 { return float64(ms.Stats().Conversations) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_memstore_trimmed_entries_total", Help: "Older transcript entries of idle conversations dropped to stay within SSWBOT_MEMORY_MAX_BYTES (before any conversation is evicted)."},
				func() float64 { return float64(ms.Stats().TrimmedEntries) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_memstore_evictions_total", Help: "Conversations evicted (idle the longest) to stay within SSWBOT_MEMORY_MAX_BYTES."},
				func() float64 { return float64(ms.Stats().Evicted) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_transcript_entries_dropped_total", Help: "Oldest transcript entries dropped to keep SSWBOT_TRANSCRIPT_MAX_ENTRIES."},
				func() float64 { return float64(ms.Stats().DroppedEntries) }),
		)
	}
	if rs, ok := st.(*redisstore.Store); ok {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_transcript_entries_dropped_total", Help: "Oldest transcript entries dropped to keep SSWBOT_TRANSCRIPT_MAX_ENTRIES."},
			func() float64 { return float64(rs.Dropped()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_redis_pipelines_total", Help: "Pipelines the turns sent to Redis (concurrent turns' calls share one)."},
				func() float64 { n, _ := rs.Pipelines(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_redis_pipelined_calls_total", Help: "Store calls (claim, commit, delivery mark, change feed) sent in those pipelines."},
				func() float64 { _, n := rs.Pipelines(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sswbot_redis_side_writes_failed_total", Help: "Console index and funnel updates (merged per 100 ms) Redis did not take; a conversation's next commit repairs its index entry."},
				func() float64 { return float64(rs.SideWriteFailures()) }))
	}
}

// telegramPreview gives the console the Telegram adapter's messages for
// replies (the console may not import the adapter).
func telegramPreview(replies []bot.Reply) []console.TelegramMessage {
	ms := telegram.Format(replies)
	out := make([]console.TelegramMessage, len(ms))
	for i, m := range ms {
		out[i].HTML = m.HTML
		for _, row := range m.Keyboard {
			var r []console.TelegramButton
			for _, b := range row {
				r = append(r, console.TelegramButton{Text: b.Text, URL: b.URL})
			}
			out[i].Keyboard = append(out[i].Keyboard, r)
		}
	}
	return out
}

// replyFits: a LINE reply of more than one request pushes the rest, so
// held notifications join a reply only when it stays one request.
func replyFits(p bot.Platform, replies []bot.Reply) bool {
	return p != bot.LINE || line.FitsOneReply(replies)
}

// pollLINEQuota reads LINE's own numbers at start and every poll: other
// tools of the channel push too, and LINE's limit may be lower than ours.
// A failed read keeps our own count.
func pollLINEQuota(ctx context.Context, la *line.Adapter, q *bot.PushQuota, poll time.Duration, log *slog.Logger) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		used, limit, err := la.Quota(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Warn("line: quota not read; counting our own pushes only", "err", err)
		} else if err == nil {
			q.Report(used, limit)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
