package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"example.com/sswbot/internal/apiclient"
)

// config of one load run.
type config struct {
	Targets   []string // bot base URLs; one user's events go round-robin over them
	Platform  string   // "line" or "telegram"
	Users     int
	C         int // concurrent requests (never two of one user at once)
	Duration  time.Duration
	Warmup    time.Duration // load before the measured window
	Events    int           // stop after this many events (0 = by time)
	Mode      string        // "text": every event is the text "1"; "walk": follow, then press the first button shown
	API       string        // listen address of the fake platform APIs
	Secret    string        // LINE channel secret (signs the webhook)
	Token     string        // LINE channel access token the fake API accepts
	TGToken   string        // Telegram bot token the fake API accepts
	TGSecret  string        // Telegram webhook secret token
	Redeliver int           // times a failed request is sent again, like the platforms' redelivery
	Drain     time.Duration // wait for answers sent after the acknowledgement
	PIDs      []int
	Label     string
	JSON      bool
	Check     bool   // exit with an error when anything was lost, doubled or wrong
	Profile   string // write sswload's own CPU profile of the whole run here
	// Latencies names a file for every measured 2xx request's start (Unix
	// ns) and latency (ns), one "start latency" line each, for gctail.
	Latencies string
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	// The load tool shares its core with the fake APIs: fewer collections
	// for a few more MB of heap leave more of it to the measuring.
	debug.SetGCPercent(400)
	if cfg.Profile != "" {
		f, err := os.Create(cfg.Profile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := load(ctx, cfg, nil)
	if err != nil {
		return err
	}
	if cfg.JSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(b))
	} else {
		rep.print(stdout)
	}
	if cfg.Check {
		if p := rep.problems(); p != "" {
			return errors.New("check failed: " + p)
		}
	}
	return nil
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("sswload run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("target", "http://127.0.0.1:8080", "bot base URL(s), comma-separated; one user's events are spread round-robin over them")
	fs.StringVar(&c.Platform, "platform", "line", "line or telegram")
	fs.IntVar(&c.Users, "users", 997, "simulated users")
	fs.IntVar(&c.C, "c", 16, "concurrent webhook requests")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured window")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "load before the measured window")
	fs.IntVar(&c.Events, "events", 0, "stop after this many events (0 = run for -warmup + -duration)")
	fs.StringVar(&c.Mode, "mode", "text", `"text": every event is the text "1" (the echo peer can answer it); "walk": follow, then press the first button of the last answer`)
	fs.StringVar(&c.API, "api", "127.0.0.1:18090", "listen address of the fake LINE Messaging API and Telegram Bot API")
	fs.StringVar(&c.Secret, "secret", "testsecret", "LINE channel secret")
	fs.StringVar(&c.Token, "token", "test-token", "LINE channel access token")
	fs.StringVar(&c.TGToken, "tg-token", "123456:test-token", "Telegram bot token")
	fs.StringVar(&c.TGSecret, "tg-secret", "test-secret", "Telegram webhook secret token")
	fs.IntVar(&c.Redeliver, "redeliver", 0, "how often a failed request is sent again (LINE redelivery, Telegram retries)")
	fs.DurationVar(&c.Drain, "drain", time.Second, "wait after the load for answers sent after the acknowledgement")
	pids := fs.String("pids", "", "comma-separated process ids whose CPU time is reported per request")
	fs.StringVar(&c.Label, "label", "", "name of this run in the report")
	fs.BoolVar(&c.JSON, "json", false, "print the report as one JSON line")
	fs.StringVar(&c.Profile, "cpuprofile", "", "write sswload's own CPU profile (go tool pprof) to this file, to see what the load tool itself costs")
	fs.StringVar(&c.Latencies, "latencies", "", `write each measured request's start (Unix ns) and latency (ns) to this file, a line each (for "sswload gctail")`)
	fs.BoolVar(&c.Check, "check", false, "fail when an answer was lost, doubled, out of order, or a reply was malformed")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.Targets = strings.Split(*targets, ",")
	for _, p := range strings.Split(*pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return c, fmt.Errorf("bad pid %q", p)
		}
		c.PIDs = append(c.PIDs, n)
	}
	switch {
	case c.Platform != "line" && c.Platform != "telegram":
		return c, fmt.Errorf("unknown platform %q", c.Platform)
	case c.Mode != "text" && c.Mode != "walk":
		return c, fmt.Errorf("unknown mode %q", c.Mode)
	case c.Users < 1 || c.C < 1:
		return c, errors.New("-users and -c must be at least 1")
	}
	c.C = min(c.C, c.Users)
	return c, nil
}

// generator builds and posts events.
type generator struct {
	cfg    config
	l      *ledger
	nonce  uint32
	client *http.Client
	evSeq  atomic.Int64

	measuring atomic.Bool
	mu        sync.Mutex
	lat       []time.Duration // of measured requests
	starts    []int64         // their starts (Unix ns), with cfg.Latencies only
	ok        int64           // measured requests answered 2xx
	failed    int64           // measured requests answered otherwise or not at all
	redeliv   atomic.Int64    // redeliveries sent (whole run)
	gaveUp    atomic.Int64    // events never answered 2xx (whole run)
	macs      sync.Pool       // of HMAC-SHA256 keyed with the channel secret
	sent      atomic.Int64    // events sent (whole run)
}

// load runs one measurement. ready, when not nil, is called once the fake
// APIs listen (tests start the bot then).
func load(ctx context.Context, cfg config, ready func(apiURL string)) (*report, error) {
	var nb [4]byte
	_, _ = rand.Read(nb[:])
	g := &generator{cfg: cfg, nonce: binary.BigEndian.Uint32(nb[:])}
	g.macs.New = func() any { return hmac.New(sha256.New, []byte(cfg.Secret)) }
	g.l = newLedger(cfg.Users, cfg.Token, cfg.TGToken, g.nonce)
	srv, ln, err := g.l.serve(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("fake API: %w", err)
	}
	defer srv.Close()
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	// Like LINE's and Telegram's senders: connections are kept alive and
	// reused, one pool entry per concurrent request. serve's own client
	// (apiclient) sends on the caller's goroutine: net/http's Transport
	// cost the load tool two goroutine hand-offs per request, and its core
	// is what limits the fastest peers (BENCHMARKS.md). A silent peer is
	// cut off by the transport's 30 s wait for response headers.
	g.client = apiclient.Untimed(apiclient.New(cfg.C*2, 30*time.Second))
	defer g.client.CloseIdleConnections()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The measured window: after the warm-up, or (with -events) all of it,
	// begun before the first event so that every request counts.
	cores := loadCores()
	var cpu0 map[int]float64
	var self0 coreSample
	var start time.Time
	begin := func() {
		cpu0, self0, start = cpuMillis(cfg.PIDs), sampleCores(cores), time.Now()
		g.measuring.Store(true)
	}
	if cfg.Events > 0 {
		begin()
	}
	idle := make(chan int, cfg.Users)
	for i := range cfg.Users {
		idle <- i
	}
	var wg sync.WaitGroup
	for range cfg.C {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var u int
				select {
				case <-runCtx.Done():
					return
				case u = <-idle:
				}
				if cfg.Events > 0 && g.sent.Add(1) > int64(cfg.Events) {
					cancel()
					return
				} else if cfg.Events == 0 {
					g.sent.Add(1)
				}
				g.event(u)
				idle <- u
			}
		}()
	}
	if cfg.Events == 0 {
		if !sleep(runCtx, cfg.Warmup) {
			return nil, ctx.Err()
		}
		begin()
		sleep(runCtx, cfg.Duration)
		cancel()
	}
	wg.Wait()
	window := time.Since(start)
	g.measuring.Store(false)
	cpu1, self1 := cpuMillis(cfg.PIDs), sampleCores(cores)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	sleep(ctx, cfg.Drain)
	if cfg.Latencies != "" {
		if err := g.writeLatencies(cfg.Latencies); err != nil {
			return nil, err
		}
	}
	r := g.report(window, cpu0, cpu1)
	r.loadCost(cores, self0, self1, window)
	return r, nil
}

// writeLatencies writes the measured requests' starts and latencies.
func (g *generator) writeLatencies(name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, 0, 24*len(g.starts))
	for i, t := range g.starts {
		b = strconv.AppendInt(b, t, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(g.lat[i]), 10)
		b = append(b, '\n')
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("latencies: %w", err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// event sends user u's next event, and sends it again after a failure as
// the platform would, each time to the next target.
func (g *generator) event(i int) {
	u := g.l.users[i]
	u.mu.Lock()
	u.seq++
	seq, next := u.seq, u.next
	u.mu.Unlock()
	body, token, auth := g.build(i, seq, next, false)
	if token != "" {
		g.l.tokens.Store(token, tokenInfo{user: i, seq: seq})
	}
	for attempt := 0; ; attempt++ {
		target := g.cfg.Targets[(i+seq+attempt)%len(g.cfg.Targets)]
		t0 := time.Now()
		status, err := g.post(target, body, auth)
		d := time.Since(t0)
		ok := err == nil && status/100 == 2
		if g.measuring.Load() {
			g.mu.Lock()
			if ok {
				g.ok++
				g.lat = append(g.lat, d)
				if g.cfg.Latencies != "" {
					g.starts = append(g.starts, t0.UnixNano())
				}
			} else {
				g.failed++
			}
			g.mu.Unlock()
		}
		if ok {
			u.mu.Lock()
			u.acked[seq] = true
			u.mu.Unlock()
			return
		}
		// Like the platform, keep redelivering a failed event after the
		// window has ended, up to the limit.
		if attempt >= g.cfg.Redeliver {
			g.gaveUp.Add(1)
			return
		}
		g.redeliv.Add(1)
		time.Sleep(min(100*time.Millisecond<<min(attempt, 4), time.Second))
		if g.cfg.Platform == "line" {
			body, _, auth = g.build(i, seq, next, true)
		}
	}
}

func (g *generator) post(target string, body []byte, auth string) (int, error) {
	path, authHeader := "/line/webhook", "X-Line-Signature"
	if g.cfg.Platform == "telegram" {
		path, authHeader = "/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token"
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(target, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = http.Header{"Content-Type": {"application/json"}, authHeader: {auth}}
	res, err := apiclient.Do(g.client, req)
	if err != nil {
		return 0, err
	}
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if g.cfg.Platform == "telegram" && res.StatusCode == http.StatusOK && len(answer) > 0 {
		g.performAnswer(answer)
	}
	return res.StatusCode, nil
}

// performAnswer does what Telegram does with a method in a webhook's
// response: it calls it. Here the fake Bot API checks and records it like
// any sendMessage.
func (g *generator) performAnswer(body []byte) {
	var m map[string]json.RawMessage
	var method string
	if json.Unmarshal(body, &m) != nil || json.Unmarshal(m["method"], &method) != nil || method == "" {
		return
	}
	delete(m, "method")
	params, _ := json.Marshal(m)
	req := httptest.NewRequest(http.MethodPost, "/bot"+g.l.tgToken+"/"+method, bytes.NewReader(params))
	req.Header.Set("Content-Type", "application/json")
	g.l.telegram(httptest.NewRecorder(), req)
}

func lineUserID(nonce uint32, i int) string { return fmt.Sprintf("U%08x%024x", nonce, i) }

// build returns the request body for user i's event seq, its reply token
// (LINE), and the value of its authentication header: the LINE signature
// or the Telegram secret token. The event id stays the same for a
// redelivery. The body is appended by hand, not marshalled from maps: it
// runs on the load core for every event.
func (g *generator) build(i, seq int, next string, redelivery bool) ([]byte, string, string) {
	kind, arg, _ := strings.Cut(next, ":")
	if g.cfg.Mode == "text" || next == "" {
		kind, arg = "text", "1"
	}
	if g.cfg.Platform == "telegram" {
		return g.buildTelegram(i, seq, kind, arg), "", g.cfg.TGSecret
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"destination":"Uab012345678901234567890123456789","events":[{"replyToken":"`...)
	start := len(b)
	b = appendHex8(b, g.nonce)
	b = appendHex8(b, uint32(i))
	b = appendHex8(b, uint32(seq))
	b = appendHex8(b, g.nonce^uint32(seq*2654435761))
	token := string(b[start:])
	b = append(b, `","mode":"active","timestamp":`...)
	b = strconv.AppendInt(b, time.Now().UnixMilli(), 10)
	b = append(b, `,"source":{"type":"user","userId":"`...)
	b = append(b, g.l.lineIDs[i]...)
	b = append(b, `"},"webhookEventId":"`...)
	b = append(b, webhookEventID(g.nonce, i, seq)...)
	b = append(b, `","deliveryContext":{"isRedelivery":`...)
	b = strconv.AppendBool(b, redelivery)
	b = append(b, `},"type":`...)
	switch {
	case g.cfg.Mode == "walk" && seq == 1:
		b = append(b, `"follow","follow":{"isUnblocked":false}`...)
	case kind == "postback":
		b = append(b, `"postback","postback":{"data":`...)
		b = appendJSONString(b, arg)
		b = append(b, '}')
	default:
		b = append(b, `"message","message":{"id":"`...)
		b = strconv.AppendInt(b, int64(seq), 10)
		b = append(b, `","type":"text","text":`...)
		b = appendJSONString(b, arg)
		b = append(b, `,"quoteToken":"q"}`...)
	}
	b = append(b, "}]}"...)
	mac := g.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(b)
	var sum [sha256.Size]byte
	sig := base64.StdEncoding.EncodeToString(mac.Sum(sum[:0]))
	g.macs.Put(mac)
	return b, token, sig
}

// webhookEventID is like fmt.Sprintf("01L%08X%07X%08X", nonce, i, seq).
func webhookEventID(nonce uint32, i, seq int) string {
	b := make([]byte, 0, 26)
	b = append(b, "01L"...)
	b = appendHex(b, uint64(nonce), 8, hexUpper)
	b = appendHex(b, uint64(i), 7, hexUpper)
	b = appendHex(b, uint64(seq), 8, hexUpper)
	return string(b)
}

const hexLower, hexUpper = "0123456789abcdef", "0123456789ABCDEF"

// appendHex8 appends v as 8 lower-case hex digits (like %08x).
func appendHex8(b []byte, v uint32) []byte { return appendHex(b, uint64(v), 8, hexLower) }

// appendHex appends v in hex, zero-padded to width digits (like %0*x).
func appendHex(b []byte, v uint64, width int, digits string) []byte {
	n := 1
	for x := v >> 4; x > 0; x >>= 4 {
		n++
	}
	for ; width > n; width-- {
		b = append(b, '0')
	}
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		b = append(b, digits[v>>uint(shift)&0xf])
	}
	return b
}

// appendJSONString appends s as a JSON string: plain ASCII as is, anything
// else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// buildTelegram builds an update; the update id is the same for a retry
// because the body is reused.
func (g *generator) buildTelegram(i, seq int, kind, arg string) []byte {
	chat := g.l.chatBase + int64(i)
	from := map[string]any{"id": chat, "is_bot": false, "first_name": "Load", "language_code": "ru"}
	chatObj := map[string]any{"id": chat, "first_name": "Load", "type": "private"}
	u := map[string]any{"update_id": g.evSeq.Add(1)}
	switch {
	case g.cfg.Mode == "walk" && seq == 1:
		u["message"] = map[string]any{"message_id": seq, "from": from, "chat": chatObj, "date": time.Now().Unix(), "text": "/start",
			"entities": []any{map[string]any{"type": "bot_command", "offset": 0, "length": 6}}}
	case kind == "callback":
		u["callback_query"] = map[string]any{"id": fmt.Sprintf("%d%06d", chat, seq), "from": from, "chat_instance": "1", "data": arg,
			"message": map[string]any{"message_id": 1, "chat": chatObj, "date": time.Now().Unix(), "text": "?"}}
	default:
		u["message"] = map[string]any{"message_id": seq, "from": from, "chat": chatObj, "date": time.Now().Unix(), "text": arg}
	}
	b, _ := json.Marshal(u)
	return b
}
