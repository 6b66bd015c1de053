package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
)

// clock is a settable test clock shared by store, bot and console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pusher records pushes; err makes them fail.
type pusher struct {
	mu     sync.Mutex
	pushed []push
	err    error
}

type push struct {
	ID   bot.ConversationID
	Text string
}

func (p *pusher) Push(_ context.Context, id bot.ConversationID, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.pushed = append(p.pushed, push{id, text})
	return nil
}

func (p *pusher) all() []push {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]push(nil), p.pushed...)
}

func (p *pusher) fail(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

// fixture is a console over a real bot.Service and memstore.
type fixture struct {
	clock   *clock
	store   *memstore.Store
	bot     *bot.Service
	pusher  *pusher
	console *console.Console
	srv     *httptest.Server
	lang    string // language hint the fake platform sends
}

const (
	password = "correct horse battery staple"
	start    = "2026-03-02T09:00:00Z"
)

var (
	hashOnce sync.Once
	hash     string
	kbOnce   sync.Once
	kb       *knowledge.Base
	kbErr    error
)

func mustHash(tb testing.TB) string {
	tb.Helper()
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		hash = string(h)
	})
	return hash
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureWith(tb, nil)
}

// newFixtureWith lets a test change the console's configuration.
func newFixtureWith(tb testing.TB, configure func(*console.Config), deps ...func(*console.Deps)) *fixture {
	tb.Helper()
	return newFixtureFeed(tb, configure, nil, deps...)
}

// newFixtureFeed also lets a test stand between the console and the
// store's change feed.
func newFixtureFeed(tb testing.TB, configure func(*console.Config), wrap func(console.Feed) console.Feed, deps ...func(*console.Deps)) *fixture {
	tb.Helper()
	kbOnce.Do(func() { kb, kbErr = knowledge.Default() })
	if kbErr != nil {
		tb.Fatalf("load content: %v", kbErr)
	}
	t0, _ := time.Parse(time.RFC3339, start)
	clk := &clock{t: t0}
	st := memstore.New(memstore.Options{Now: clk.Now})
	svc, err := bot.New(bot.Notifying(st, st, nil), kb, bot.Options{Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	p := &pusher{}
	cfg := console.Config{
		Users: map[string]string{"aiko": mustHash(tb), "bek": mustHash(tb)},
		Now:   clk.Now,
	}
	if configure != nil {
		configure(&cfg)
	}
	var feed console.Feed = st
	if wrap != nil {
		feed = wrap(st)
	}
	d := console.Deps{Bot: svc, Index: st, Pusher: p, Feed: feed, Notes: st}
	for _, f := range deps {
		f(&d)
	}
	c, err := console.New(cfg, d)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, c)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	tb.Cleanup(c.Close)
	return &fixture{clock: clk, store: st, bot: svc, pusher: p, console: c, srv: srv}
}

var eventSeq struct {
	sync.Mutex
	n int
}

func nextEventID() string {
	eventSeq.Lock()
	defer eventSeq.Unlock()
	eventSeq.n++
	return "ev-" + strconv.Itoa(eventSeq.n)
}

// send drives the bot like an adapter would.
func (f *fixture) send(tb testing.TB, p bot.Platform, user string, kind bot.Kind, text string) bot.Outcome {
	tb.Helper()
	f.clock.Advance(time.Minute)
	out, err := f.bot.Handle(context.Background(), bot.Event{
		Platform: p, UserID: user, EventID: nextEventID(), Kind: kind, Text: text, DisplayName: "Tanaka Hanako", Lang: f.lang,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// walk takes a user from the start through a whole route, pressing the
// first button matching each prefix in order, and returns the route id
// and its step count. It stops before finishing when steps > 0 steps
// were shown.
func (f *fixture) walk(tb testing.TB, p bot.Platform, user, loc string, steps int) (route string, n int) {
	tb.Helper()
	out := f.send(tb, p, user, bot.KindStart, "")
	press := func(prefix string) bool {
		for i := len(out.Replies) - 1; i >= 0; i-- {
			for _, ch := range out.Replies[i].Choices {
				if strings.HasPrefix(ch.Payload, prefix) {
					if strings.HasPrefix(ch.Payload, "rt:") && route == "" {
						route = strings.TrimPrefix(ch.Payload, "rt:")
					}
					out = f.send(tb, p, user, bot.KindChoice, ch.Payload)
					return true
				}
			}
		}
		return false
	}
	press("l:en")
	if !press("r:employer") {
		tb.Fatalf("no role button in %+v", out.Replies)
	}
	if !press("w:" + loc) {
		tb.Fatalf("no location button in %+v", out.Replies)
	}
	m, err := f.store.Meta(context.Background(), bot.ConversationOf(p, user))
	if err != nil {
		tb.Fatal(err)
	}
	if m.Route == "" {
		press("rt:")
	}
	for range 50 {
		m, err = f.store.Meta(context.Background(), bot.ConversationOf(p, user))
		if err != nil {
			tb.Fatal(err)
		}
		if m.Finished || steps > 0 && m.StepN >= steps {
			break
		}
		if !press("n:") && !press("fin:") {
			tb.Fatalf("no next button at %s in %+v", m.State, out.Replies)
		}
	}
	if m.Route == "" || (steps == 0 && !m.Finished) {
		tb.Fatalf("walk ended at %+v", m)
	}
	return m.Route, m.StepTotal
}

// client is a browser-like HTTP client with cookies and no redirects.
type client struct {
	tb   testing.TB
	base string
	http *http.Client
	csrf string
}

func (f *fixture) client(tb testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{tb: tb, base: f.srv.URL, http: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.tb.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	body := string(b)
	if m := csrfRe.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return resp, body
}

func (c *client) get(path string) (*http.Response, string) {
	c.tb.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		c.tb.Fatal(err)
	}
	return c.do(req)
}

// post sends a form; the csrf field is added unless the form has one.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) login(name, pw string) *http.Response {
	c.tb.Helper()
	c.get("/console/login")
	resp, _ := c.post("/console/login", url.Values{"name": {name}, "password": {pw}})
	return resp
}

// mustLogin logs in and loads a page so the client holds the session's
// CSRF token.
func (c *client) mustLogin(name string) {
	c.tb.Helper()
	if resp := c.login(name, password); resp.StatusCode != http.StatusSeeOther {
		c.tb.Fatalf("login: status %d", resp.StatusCode)
	}
	if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusOK {
		c.tb.Fatalf("after login: status %d", resp.StatusCode)
	}
}

func convPath(id bot.ConversationID) string {
	return "/console/conversations/" + url.PathEscape(string(id))
}

var errUnreachable = errors.New("platform cannot be reached")

// logBuffer collects a console's log lines; handlers write from server
// goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
