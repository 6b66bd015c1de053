package main

// The probes of issue 10's table that TestFaults does not run, from
// outside in the same way: the real serve binary, a real redis-server,
// the fake LINE API of fault_test.go (a reply token is accepted once, a
// retry key once), SIGKILLs, and the counts scraped from the admin
// listener's /metrics. Each prints events, lost, doubled and the events
// without exactly one state change, and fails on any loss or double.
//
// They run as part of TestFaults (SSWBOT_FAULT=1, scripts/test.sh); the
// seed is printed and SSWBOT_FAULT_SEED=<seed> replays a run;
// -run 'TestFaults/probe' runs only them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
)

// runFaultProbes runs the probes as subtests of TestFaults (one build of
// serve for all).
func runFaultProbes(t *testing.T, bin string, seed uint64) {
	probes := []struct {
		name string
		run  func(t *testing.T, bin string, rng *rand.Rand)
	}{
		{"line 500 events then all redelivered shuffled", probeRedeliverAll},
		{"line 200 events each delivered twice at once", probeOverlap},
		{"line redis SIGKILL mid-stream", probeRedisKill},
		{"events without an id", probeNoID},
		{"line transcript cap and long text", probeTranscriptBounds},
		{"memory store 10k events 2k users", probeMemory},
		{"console and admin listener", probeConsole},
	}
	for i, p := range probes {
		t.Run("probe "+p.name, func(t *testing.T) {
			p.run(t, bin, rand.New(rand.NewPCG(seed, uint64(100+i))))
		})
	}
}

// lineRig is serve on LINE (one process, or more on one Redis), with
// Redis (or the memory store when redis is nil), the fake LINE API and its
// ledger.
type lineRig struct {
	t     *testing.T
	l     *ledger
	p     *serveProc   // the first process
	ps    []*serveProc // all of them
	env   []string
	redis *redistest.Server
}

func newLineRig(t *testing.T, bin string, redis *redistest.Server, env ...string) *lineRig {
	l := newLedger()
	fake := httptest.NewServer(http.HandlerFunc(l.lineAPI))
	t.Cleanup(fake.Close)
	env = append(env, "SSWBOT_EVENT_LEASE=2s", "SSWBOT_LOG_LEVEL=warn")
	o := serveOpts{lineAPI: fake.URL}
	if redis != nil {
		o.redis = redis.URL()
	}
	for k, v := range o.environ() {
		env = append(env, k+"="+v)
	}
	r := &lineRig{t: t, l: l, env: env, redis: redis}
	r.p = r.addServe(bin)
	return r
}

// addServe starts one more serve process of the rig.
func (r *lineRig) addServe(bin string) *serveProc {
	t := r.t
	logf, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("serve%d.log", len(r.ps))))
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, bin: bin, env: r.env, addr: freeAddr(t), admin: freeAddr(t), log: logf}
	p.start()
	r.ps = append(r.ps, p)
	t.Cleanup(p.kill)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("%s log (last 4 KiB):\n%s", p.addr, log[max(0, len(log)-4096):])
		}
	})
	return p
}

// event makes user u's k-th event and tells the fake LINE its reply token
// and retry key.
func (r *lineRig) event(u, k int) *faultEvent {
	ev := newFaultEvent("line webhook", u, k)
	r.l.mu.Lock()
	r.l.tokens[ev.token] = &token{event: ev.id, issued: time.Now()}
	r.l.keys[lineRetryKey(ev.id)] = ev.id
	r.l.mu.Unlock()
	return ev
}

// deliver posts body until it is answered 2xx, as LINE redelivers what was
// not (from the second attempt on as a redelivery). It counts the answers
// that were not 2xx.
func (r *lineRig) deliver(ctx context.Context, ev *faultEvent, body []byte, refused *atomic.Int64) bool {
	return r.deliverTo(ctx, r.p, ev, body, refused)
}

// deliverTo is deliver to one process of the rig.
func (r *lineRig) deliverTo(ctx context.Context, p *serveProc, ev *faultEvent, body []byte, refused *atomic.Int64) bool {
	for ctx.Err() == nil {
		if postFault(ctx, p.addr, "line webhook", body, nil) {
			return true
		}
		refused.Add(1)
		body = ev.redelivery
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// settle waits until every event has its answer (LINE's are sent after
// the acknowledgement) and no answer came for a moment.
func (r *lineRig) settle(events []*faultEvent) {
	deadline := time.Now().Add(20 * time.Second)
	last, quiet := -1, 0
	for time.Now().Before(deadline) && quiet < 3 {
		r.l.mu.Lock()
		n, missing := 0, false
		for _, ev := range events {
			for _, gens := range r.l.answers[ev.id] {
				n += len(gens)
			}
			missing = missing || len(r.l.answers[ev.id]) == 0
		}
		r.l.mu.Unlock()
		if n == last && !missing {
			quiet++
		} else {
			quiet = 0
		}
		last = n
		time.Sleep(100 * time.Millisecond)
	}
}

// audit counts, for LINE events of users 0..users-1, lost and doubled
// answers and events that did not change the state exactly once (through
// the store's transcripts, on Redis).
func (r *lineRig) audit(ctx context.Context, events []*faultEvent, users int) (lost, doubled, badState int) {
	r.settle(events)
	lost, doubled, _, badState = auditFaults(ctx, r.t, r.redis.URL(), "line webhook", users, events, r.l)
	return lost, doubled, badState
}

// metrics is the sum of every process's /metrics.
func (r *lineRig) metrics() map[string]float64 {
	r.t.Helper()
	out := map[string]float64{}
	for _, p := range r.ps {
		for k, v := range scrapeMetrics(r.t, p.admin) {
			out[k] += v
		}
	}
	return out
}

// scrapeMetrics reads an admin listener's /metrics: series → value.
func scrapeMetrics(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	res, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sum adds the series of name whose labels contain every one of labels.
func sum(m map[string]float64, name string, labels ...string) float64 {
	var s float64
	for k, v := range m {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(k, l)
		}
		if ok {
			s += v
		}
	}
	return s
}

// parallel runs do for every event, n at once.
func parallel[T any](items []T, n int, do func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for it := range ch {
				do(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// probeRedeliverAll: 500 LINE events (125 users × 4) delivered 16 at once,
// then every one of them delivered again, shuffled, 16 at once, as LINE's
// redelivery does after an outage on its side.
func probeRedeliverAll(t *testing.T, bin string, rng *rand.Rand) {
	const users, per = 125, 4
	r := newLineRig(t, bin, redistest.Start(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var events []*faultEvent
	for k := range per { // a user's events in order, far apart
		for u := range users {
			events = append(events, r.event(u, k))
		}
	}
	var refused atomic.Int64
	parallel(events, 16, func(ev *faultEvent) {
		if !r.deliver(ctx, ev, ev.body, &refused) {
			t.Errorf("event %s never acknowledged", ev.id)
		}
	})
	first := refused.Load()
	again := append([]*faultEvent(nil), events...)
	rng.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
	parallel(again, 16, func(ev *faultEvent) {
		if !r.deliver(ctx, ev, ev.redelivery, &refused) {
			t.Errorf("redelivery of %s never acknowledged", ev.id)
		}
	})
	lost, doubled, bad := r.audit(ctx, events, users)
	m := r.metrics()
	dup := sum(m, "sswbot_events_total", `outcome="duplicate"`)
	possible := sum(m, "sswbot_possible_double_sends_total")
	t.Logf("%d events + %d redeliveries (16 at once; refused for a retry %d, then %d): lost %d, doubled %d, events without exactly one state change %d; metrics: duplicate %v, possible doubles %v",
		len(events), len(again), first, refused.Load()-first, lost, doubled, bad, dup, possible)
	if dup < float64(len(events)) {
		t.Errorf("sswbot_events_total{outcome=\"duplicate\"} = %v, want ≥ %d (every redelivery recognised)", dup, len(events))
	}
	if possible != 0 {
		t.Errorf("sswbot_possible_double_sends_total = %v, want 0", possible)
	}
}

// probeOverlap: 200 LINE events, each posted twice at the same moment to
// two serve processes on one Redis (the lease is shared), 16 copies at once; a copy answered 503
// because the other holds the event is redelivered, as LINE does. A reply
// and a push for one event count as a double.
func probeOverlap(t *testing.T, bin string, rng *rand.Rand) {
	const users, per = 50, 4
	r := newLineRig(t, bin, redistest.Start(t))
	r.addServe(bin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var events []*faultEvent
	for k := range per {
		for u := range users {
			events = append(events, r.event(u, k))
		}
	}
	var refused atomic.Int64
	// The second copy follows the first by 0–3 ms: at once, while the first
	// is handled, or as it is acknowledged and its reply is being sent.
	lag := map[*faultEvent]time.Duration{}
	for _, ev := range events {
		lag[ev] = time.Duration(rng.IntN(4000)) * time.Microsecond
	}
	parallel(events, 8, func(ev *faultEvent) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for c := range 2 {
			wg.Go(func() {
				<-start
				if c == 1 {
					time.Sleep(lag[ev])
				}
				if !r.deliverTo(ctx, r.ps[c], ev, ev.body, &refused) {
					t.Errorf("event %s never acknowledged", ev.id)
				}
			})
		}
		close(start)
		wg.Wait()
	})
	lost, doubled, bad := r.audit(ctx, events, users)
	m := r.metrics()
	inFlight := sum(m, "sswbot_events_total", `outcome="in_flight"`)
	pushes := sum(m, "sswbot_outbound_api_calls_total", `method="push"`)
	t.Logf("%d events × 2 copies at once, one to each of 2 processes: lost %d, doubled %d, events without exactly one state change %d; copies answered 503 for a retry %d (metric in_flight %v), pushes %v",
		len(events), lost, doubled, bad, refused.Load(), inFlight, pushes)
}

// probeRedisKill: 16 chats sending LINE events one after another while Redis is SIGKILLed
// (append-only persistence, as docker-compose.yml runs it) and restarted 3 s
// later: while it is down the webhook answers 5xx and LINE
// redelivers; nothing may be lost or doubled.
func probeRedisKill(t *testing.T, bin string, rng *rand.Rand) {
	const users = 16
	srv := redistest.StartAppendOnly(t)
	r := newLineRig(t, bin, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var events []*faultEvent
	var mu sync.Mutex
	var refused atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for u := range users {
		pace := rand.New(rand.NewPCG(rng.Uint64(), uint64(u))) // a Rand is not safe for concurrent use
		wg.Go(func() {
			for k := 0; !stop.Load(); k++ {
				ev := r.event(u, k)
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
				if !r.deliver(ctx, ev, ev.body, &refused) {
					t.Errorf("event %s never acknowledged", ev.id)
					return
				}
				time.Sleep(time.Duration(20+pace.IntN(40)) * time.Millisecond)
			}
		})
	}
	kills := 0
	for range 2 {
		time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
		srv.Kill()
		kills++
		time.Sleep(3 * time.Second) // longer than go-redis's own retries
		srv.Restart()
	}
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	lost, doubled, bad := r.audit(ctx, events, users)
	m := r.metrics()
	t.Logf("%d events (16 chats), redis SIGKILLed %d times: lost %d, doubled %d, events without exactly one state change %d; answered 5xx for a retry %d (metric store errors %v, possible doubles %v)",
		len(events), kills, lost, doubled, bad, refused.Load(), sum(m, "sswbot_store_errors_total"), sum(m, "sswbot_possible_double_sends_total"))
	if refused.Load() == 0 {
		t.Error("no delivery was refused while Redis was down: the outage was not exercised")
	}
	// go-redis's own complaints about the dead server come through slog
	// too: every line after the banner is a JSON record.
	log, _ := os.ReadFile(r.p.log.Name())
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	redisLines := 0
	for _, line := range lines[1:] {
		if !json.Valid([]byte(line)) {
			t.Errorf("serve logged a line that is not JSON: %.200s", line)
		}
		if strings.Contains(line, `"msg":"go-redis"`) {
			redisLines++
		}
	}
	t.Logf("serve's log: %d lines, all JSON; %d of them go-redis's own", len(lines)-1, redisLines)
}

// probeTranscriptBounds: on Redis with SSWBOT_TRANSCRIPT_MAX_ENTRIES=10 and
// SSWBOT_MAX_STORED_TEXT=100, a user's 12 events leave at most 10
// entries (the dropped ones counted), and a 3,000-character message is
// stored cut with the marker while the bot still answers it.
func probeTranscriptBounds(t *testing.T, bin string, _ *rand.Rand) {
	srv := redistest.Start(t)
	r := newLineRig(t, bin, srv, "SSWBOT_TRANSCRIPT_MAX_ENTRIES=10", "SSWBOT_MAX_STORED_TEXT=100")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var refused atomic.Int64
	var events []*faultEvent
	long := strings.Repeat("働きたいです。", 3000/7) // 3,000 characters
	for k := range 12 {
		ev := r.event(0, k)
		if k == 11 {
			ev.body = bytes.Replace(ev.body, []byte(`"text":"1"`), []byte(`"text":"`+long+`"`), 1)
			ev.redelivery = bytes.Replace(ev.redelivery, []byte(`"text":"1"`), []byte(`"text":"`+long+`"`), 1)
		}
		events = append(events, ev)
		if !r.deliver(ctx, ev, ev.body, &refused) {
			t.Fatalf("event %s never acknowledged", ev.id)
		}
	}
	r.settle(events)
	st, err := redisstore.New(ctx, redisstore.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Transcript(ctx, bot.ConversationID("line:"+faultLineUser(0)))
	if err != nil {
		t.Fatal(err)
	}
	var cut string
	for _, e := range es {
		if e.EventID == events[11].id && e.Dir == bot.In {
			cut = e.Text
		}
	}
	dropped := r.metrics()["sswbot_transcript_entries_dropped_total"]
	t.Logf("12 events, cap 10: %d entries kept, %.0f dropped (metric); a %d-character message stored as %d characters ending %q",
		len(es), dropped, len([]rune(long)), len([]rune(cut)), string([]rune(cut)[max(0, len([]rune(cut))-40):]))
	if len(es) > 10 {
		t.Errorf("%d transcript entries kept, want at most 10", len(es))
	}
	if dropped == 0 {
		t.Error("sswbot_transcript_entries_dropped_total stayed 0")
	}
	if !strings.Contains(cut, "more characters not stored]") || len([]rune(cut)) > 200 {
		t.Errorf("the long message was stored as %d characters: %.80q…", len([]rune(cut)), cut)
	}
	r.l.mu.Lock()
	answered := len(r.l.answers[events[11].id])
	r.l.mu.Unlock()
	if answered == 0 {
		t.Error("the long message was not answered")
	}
}

// probeNoID: a LINE event with an empty webhookEventId sent twice, and
// Telegram updates with update_id 0 and -1, are acknowledged (so they are
// not redelivered forever) but not handled: no answer, no state change,
// counted as outcome="no_id".
func probeNoID(t *testing.T, bin string, _ *rand.Rand) {
	srv := redistest.Start(t)
	r := newLineRig(t, bin, srv)
	ctx := context.Background()
	ev := r.event(0, 0)
	body := bytes.Replace(ev.body, []byte(`"webhookEventId":"`+ev.id+`"`), []byte(`"webhookEventId":""`), 1)
	if bytes.Equal(body, ev.body) {
		t.Fatal("the event's webhookEventId was not emptied")
	}
	for range 2 {
		if !postFault(ctx, r.p.addr, "line webhook", body, nil) {
			t.Error("an event without id was not acknowledged: LINE would redeliver it forever")
		}
	}
	time.Sleep(300 * time.Millisecond)
	r.l.mu.Lock()
	answers := len(r.l.answers[ev.id])
	r.l.mu.Unlock()
	m := r.metrics()
	noID := sum(m, "sswbot_events_total", `outcome="no_id"`, `platform="line"`)
	changes := transcriptEntries(ctx, t, srv.URL(), "line:"+faultLineUser(0))
	t.Logf("LINE: empty webhookEventId sent twice: answers %d, transcript entries %d, counted no_id %v", answers, changes, noID)
	if answers != 0 || changes != 0 {
		t.Errorf("an event without id was handled: %d answers, %d transcript entries", answers, changes)
	}
	if noID != 2 {
		t.Errorf(`sswbot_events_total{platform="line",outcome="no_id"} = %v, want 2`, noID)
	}

	// Telegram's webhook, on its own serve.
	tg := &telegramAPI{l: r.l}
	fake := httptest.NewServer(tg)
	defer fake.Close()
	tg.url = fake.URL
	logf, _ := os.Create(filepath.Join(t.TempDir(), "serve-tg.log"))
	admin := freeAddr(t)
	env := []string{"SSWBOT_ADMIN_ADDR=" + admin, "SSWBOT_LOG_LEVEL=warn"}
	for k, v := range (serveOpts{redis: srv.URL(), tgAPI: fake.URL, webhook: true}).environ() {
		env = append(env, k+"="+v)
	}
	p := &serveProc{t: t, bin: bin, addr: freeAddr(t), log: logf, env: env}
	p.start()
	defer p.kill()
	r.l.mu.Lock()
	r.l.current["7000"] = "tg-no-id"
	r.l.mu.Unlock()
	for _, id := range []int{0, -1, 0} {
		b, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{
			"message_id": 1, "date": time.Now().Unix(), "text": "/start",
			"chat": map[string]any{"id": 7000, "type": "private"},
			"from": map[string]any{"id": 7000, "is_bot": false, "first_name": "F", "language_code": "ru"},
		}})
		if !postFault(ctx, p.addr, "telegram webhook", b, tg) {
			t.Errorf("update_id %d was not acknowledged", id)
		}
	}
	time.Sleep(300 * time.Millisecond)
	r.l.mu.Lock()
	answers = len(r.l.answers["tg-no-id"])
	r.l.mu.Unlock()
	noID = sum(scrapeMetrics(t, admin), "sswbot_events_total", `outcome="no_id"`, `platform="telegram"`)
	changes = transcriptEntries(ctx, t, srv.URL(), "telegram:7000")
	t.Logf("Telegram webhook: update_id 0, -1, 0: answers %d (in the response %d), transcript entries %d, counted no_id %v", answers, tg.answered.Load(), changes, noID)
	if answers != 0 || tg.answered.Load() != 0 || changes != 0 {
		t.Errorf("an update without id was handled: %d answers, %d transcript entries", answers+int(tg.answered.Load()), changes)
	}
	if noID != 3 {
		t.Errorf(`sswbot_events_total{platform="telegram",outcome="no_id"} = %v, want 3`, noID)
	}
}

// probeMemory: 10,000 LINE events from 2,000 users on the in-memory store,
// twice (the same users again): the store's size and the Go heap after GC
// (scraped from the admin listener) stay within the configured bound, the
// transcript cap drops the oldest entries and counts them, and a bound
// below what the users need evicts the idle ones and counts that.
func probeMemory(t *testing.T, bin string, _ *rand.Rand) {
	const users, per = 2000, 5
	const bound = 24 << 20
	r := newLineRig(t, bin, nil, "SSWBOT_MEMORY_MAX_BYTES="+strconv.Itoa(bound), "SSWBOT_TRANSCRIPT_MAX_ENTRIES=12")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	var refused atomic.Int64
	round := func(from int) []*faultEvent {
		var events []*faultEvent
		for k := from; k < from+per; k++ {
			for u := range users {
				events = append(events, r.event(u, k))
			}
		}
		parallel(events, 16, func(ev *faultEvent) {
			if !r.deliver(ctx, ev, ev.body, &refused) {
				t.Errorf("event %s never acknowledged", ev.id)
			}
		})
		r.settle(events[len(events)-users:])
		return events
	}
	type sample struct{ store, heap, convs, dropped, evicted float64 }
	measure := func() sample {
		h := heapAfterGC(t, r.p.admin)
		m := r.metrics()
		return sample{m["sswbot_memstore_bytes"], h, m["sswbot_memstore_conversations"],
			m["sswbot_transcript_entries_dropped_total"], m["sswbot_memstore_evictions_total"]}
	}
	base := measure()
	var s [2]sample
	for i := range 2 {
		round(i * per)
		s[i] = measure()
		t.Logf("after %d events from %d users: store %.1f MiB (bound %d MiB), %.0f conversations (%.1f KiB each), heap after GC %.1f MiB (%.1f MiB before any), transcript entries dropped %.0f, conversations evicted %.0f",
			(i+1)*users*per, users, s[i].store/(1<<20), bound>>20, s[i].convs, s[i].store/max(s[i].convs, 1)/1024,
			s[i].heap/(1<<20), base.heap/(1<<20), s[i].dropped, s[i].evicted)
		if s[i].store > bound {
			t.Errorf("store %.0f bytes > bound %d", s[i].store, bound)
		}
	}
	if s[1].dropped == 0 {
		t.Error("10 events per conversation with a cap of 12 transcript entries dropped none")
	}
	if s[1].heap > s[0].heap*1.5 {
		t.Errorf("heap after GC grew from %.1f MiB to %.1f MiB with the same users", s[0].heap/(1<<20), s[1].heap/(1<<20))
	}
}

// heapAfterGC reads the live heap after a collection from the admin
// listener's heap profile (gc=1 runs one first).
func heapAfterGC(t *testing.T, admin string) float64 {
	t.Helper()
	res, err := http.Get("http://" + admin + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		t.Fatalf("heap profile: %v", err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatal("no HeapAlloc in the heap profile")
	return 0
}

// probeConsole: two serve processes on one Redis, a staff member logging
// in from 127.0.0.1 and someone guessing from 127.0.0.2, over real TCP.
// The guesser's failures on both processes lock the name from their
// address only (not the staff member's); a SIGKILLed and restarted process
// keeps the lockout and the login; the audit log shows what both saw;
// /metrics answers only on the admin listener; cookies are Secure unless
// the listen address is loopback; `sswbot healthcheck` exits 0 for a live
// serve and 1 for a dead one or (--ready) one whose Redis is down.
func probeConsole(t *testing.T, bin string, _ *rand.Rand) {
	srv := redistest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	env := []string{"REDIS_URL=" + srv.URL(), "SSWBOT_CONSOLE_USERS=aiko:" + string(hash), "SSWBOT_LOG_LEVEL=warn"}
	proc := func(addr string) *serveProc {
		logf, _ := os.Create(filepath.Join(t.TempDir(), "serve.log"))
		p := &serveProc{t: t, bin: bin, env: env, addr: addr, admin: freeAddr(t), log: logf}
		p.start()
		t.Cleanup(p.kill)
		return p
	}
	a, b := proc(freeAddr(t)), proc(freeAddr(t))
	staff, guesser := newConsoleClient(t, "127.0.0.1"), newConsoleClient(t, "127.0.0.2")

	if got := staff.login(a.addr, "aiko", "correct horse"); got != http.StatusSeeOther {
		t.Fatalf("login: status %d", got)
	}
	for i := range 5 {
		p := []*serveProc{a, b}[i%2]
		if got := guesser.login(p.addr, "aiko", "guess "+strconv.Itoa(i)); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i+1, got)
		}
	}
	locked := func(p *serveProc, who string) {
		t.Helper()
		got := guesser.login(p.addr, "aiko", "correct horse")
		retry, _ := strconv.Atoi(guesser.last.Get("Retry-After"))
		// The first lockout lasts a minute from the fifth failure; a
		// restart on a loaded machine may take a good part of it.
		if got != http.StatusTooManyRequests || retry < 1 || retry > 60 {
			t.Errorf("%s: the right password from the guesser's address: status %d, Retry-After %d s; want 429 for at most a minute", who, got, retry)
		}
	}
	locked(a, "process A")
	locked(b, "process B")
	if got := newConsoleClient(t, "127.0.0.1").login(b.addr, "aiko", "correct horse"); got != http.StatusSeeOther {
		t.Errorf("aiko from her own address after another address's failures: status %d, want 303 (not locked out)", got)
	}
	a.kill()
	a.start()
	locked(a, "process A after a SIGKILL and restart")
	if got := staff.get(a.addr, "/console/conversations"); got != http.StatusOK {
		t.Errorf("aiko's login on the restarted process: status %d, want 200", got)
	}
	audit := staff.body(b.addr, "/console/audit")
	for _, want := range []string{"login failed", "login refused (locked)", "from 127.0.0.2", "from 127.0.0.1"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
	if n := strings.Count(audit, "login failed"); n != 5 {
		t.Errorf("the audit log shows %d failed logins, want 5 (from both processes)", n)
	}

	// /metrics: the admin listener only.
	if got := staff.get(a.addr, "/metrics"); got != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener: status %d, want 404", got)
	}
	if res, err := http.Get("http://" + a.admin + "/metrics"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics on the admin listener: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// Secure cookies unless loopback: the same binary on all interfaces.
	_, port, _ := strings.Cut(freeAddr(t), ":")
	proc(":" + port)
	for _, c := range []struct {
		addr   string
		secure bool
	}{{a.addr, false}, {"127.0.0.1:" + port, true}} {
		res, err := http.Get("http://" + c.addr + "/console/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		cookies := res.Cookies()
		if len(cookies) == 0 || cookies[0].Secure != c.secure {
			t.Errorf("serve on %s: cookies %v, want Secure %v", c.addr, res.Header["Set-Cookie"], c.secure)
		}
	}

	// sswbot healthcheck's exit codes.
	check := func(want int, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"healthcheck"}, args...)...)
		out, _ := cmd.CombinedOutput()
		if got := cmd.ProcessState.ExitCode(); got != want {
			t.Errorf("sswbot healthcheck %v: exit %d, want %d (%s)", args, got, want, out)
		}
	}
	check(0, "--addr", a.addr)
	check(0, "--ready", "--addr", a.addr)
	srv.Kill()
	check(0, "--addr", a.addr)
	check(1, "--ready", "--addr", a.addr)
	srv.Restart()
	a.kill()
	check(1, "--addr", a.addr)
	if t.Failed() {
		return
	}
	t.Logf("5 failures from 127.0.0.2 on two processes: locked there on both and after a restart, not for 127.0.0.1; login kept across the restart; audit shared; /metrics only on the admin listener; Secure cookies off loopback; healthcheck exit codes as documented")
}

// consoleClient is a browser at a client address (127.0.0.x: all of it is
// loopback on Linux), with its own cookies.
type consoleClient struct {
	t    *testing.T
	c    *http.Client
	last http.Header
}

func newConsoleClient(t *testing.T, from string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &consoleClient{t: t, c: &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *consoleClient) login(addr, name, password string) int {
	c.t.Helper()
	page := c.body(addr, "/console/login")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token on the login page: %.200s", page)
	}
	res, err := c.c.PostForm("http://"+addr+"/console/login", url.Values{"name": {name}, "password": {password}, "csrf": {m[1]}})
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	c.last = res.Header
	return res.StatusCode
}

func (c *consoleClient) get(addr, path string) int {
	c.t.Helper()
	res, err := c.c.Get("http://" + addr + path)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (c *consoleClient) body(addr, path string) string {
	c.t.Helper()
	res, err := c.c.Get("http://" + addr + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
