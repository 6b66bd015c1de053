package console_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/store/memstore"
)

// failingBot wraps a real bot and fails the staff actions on demand.
type failingBot struct {
	console.Bot
	err error
}

func (b failingBot) TakeOver(context.Context, bot.ConversationID, string) (string, error) {
	return "", b.err
}

func (b failingBot) Handle(context.Context, bot.Event) (bot.Outcome, error) {
	return bot.Outcome{}, b.err
}

// brokenIndex is an index whose store is down.
type brokenIndex struct{ bot.Index }

var errDown = errors.New("redis: connection refused at 10.0.0.7:6379")

func (brokenIndex) List(context.Context, bot.Filter) ([]bot.Meta, int, error) {
	return nil, 0, errDown
}

func (brokenIndex) Meta(context.Context, bot.ConversationID) (bot.Meta, error) {
	return bot.Meta{}, errDown
}

func TestFailures(t *testing.T) {
	f := newFixture(t)
	id := bot.ConversationOf(bot.Telegram, "555000111")
	f.send(t, bot.Telegram, "555000111", bot.KindStart, "")

	serve := func(d console.Deps) *client {
		t.Helper()
		c, err := console.New(console.Config{Users: map[string]string{"aiko": mustHash(t)}, Now: f.clock.Now}, d)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(c)
		t.Cleanup(srv.Close)
		cl := (&fixture{srv: srv}).client(t)
		cl.get("/console/login")
		cl.post("/console/login", url.Values{"name": {"aiko"}, "password": {password}})
		cl.get("/console/try")
		return cl
	}

	t.Run("a failed take over changes nothing and says so", func(t *testing.T) {
		c := serve(console.Deps{Bot: failingBot{f.bot, errDown}, Index: f.store, Pusher: f.pusher})
		c.post(convPath(id)+"/takeover", nil)
		if got := len(f.pusher.all()); got != 0 {
			t.Errorf("%d pushes, want none", got)
		}
		_, body := c.get(convPath(id))
		if !strings.Contains(body, "Could not take over right now") || strings.Contains(body, "10.0.0.7") {
			t.Errorf("the page does not explain, or leaks the cause:\n%s", body)
		}
	})
	t.Run("a bot outage in Try it is explained", func(t *testing.T) {
		c := serve(console.Deps{Bot: failingBot{f.bot, errDown}, Index: f.store, Pusher: f.pusher})
		c.post("/console/try", url.Values{"text": {"hi"}})
		if _, body := c.get("/console/try"); !strings.Contains(body, "could not answer right now") {
			t.Error("no explanation")
		}
	})
	t.Run("a store outage shows a page without internals", func(t *testing.T) {
		c := serve(console.Deps{Bot: f.bot, Index: brokenIndex{f.store}, Pusher: f.pusher, Staff: f.store})
		for _, p := range []string{"/console/conversations", convPath(id), "/console/handoff", "/console/insights"} {
			resp, body := c.get(p)
			if resp.StatusCode != http.StatusInternalServerError || strings.Contains(body, "10.0.0.7") || !strings.Contains(body, "unavailable") {
				t.Errorf("%s: status %d:\n%s", p, resp.StatusCode, body)
			}
		}
		if resp, _ := c.get("/console/export.csv?since=2026-03-01&until=2026-03-02"); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("export: status %d, want 500", resp.StatusCode)
		}
	})
}

func TestSecureCookies(t *testing.T) {
	c, err := console.New(console.Config{Users: map[string]string{"aiko": mustHash(t)}, SecureCookies: true},
		console.Deps{Bot: failingBot{}, Index: memstore.New(memstore.Options{}), Pusher: &pusher{}})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest("GET", "/console/login", nil))
	var tok string
	for _, k := range w.Result().Cookies() {
		if !k.Secure {
			t.Errorf("cookie %s is not Secure", k.Name)
		}
		tok = k.Value
	}
	form := url.Values{"name": {"aiko"}, "password": {password}, "csrf": {tok}}
	r := httptest.NewRequest("POST", "/console/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: "sswbot_login", Value: tok})
	w = httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: status %d", w.Code)
	}
	for _, k := range w.Result().Cookies() {
		if k.Name == "sswbot_console" && !k.Secure {
			t.Error("the session cookie is not Secure")
		}
	}
}

// leakyIndex fails like a store whose errors quote the conversation id.
type leakyIndex struct{ bot.Index }

func (leakyIndex) Meta(_ context.Context, id bot.ConversationID) (bot.Meta, error) {
	return bot.Meta{}, fmt.Errorf("load meta %s (user %s): %w", id, id.UserID(), errDown)
}

func (leakyIndex) Transcript(_ context.Context, id bot.ConversationID) ([]bot.Entry, error) {
	return nil, fmt.Errorf("load transcript %s: %w", id, errDown)
}

func TestLogsMaskUserIDs(t *testing.T) {
	const user = "U206d25c2ea6bd87c17655609a1c37cb8"
	f := newFixture(t)
	id := bot.ConversationOf(bot.LINE, user)
	f.send(t, bot.LINE, user, bot.KindStart, "")
	var logs logBuffer
	c, err := console.New(console.Config{
		Users:  map[string]string{"aiko": mustHash(t)},
		Now:    f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, console.Deps{Bot: f.bot, Index: leakyIndex{f.store}, Pusher: f.pusher, Staff: f.store})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	cl := (&fixture{srv: srv}).client(t)
	cl.mustLogin("aiko")

	requests := []struct {
		name string
		do   func() *http.Response
	}{
		{"the conversation page", func() *http.Response { r, _ := cl.get(convPath(id)); return r }},
		{"the conversation page with ids shown", func() *http.Response { r, _ := cl.get(convPath(id) + "?ids=1"); return r }},
		{"the forget page", func() *http.Response { r, _ := cl.get(convPath(id) + "/forget"); return r }},
		{"a take over", func() *http.Response { r, _ := cl.post(convPath(id)+"/takeover", nil); return r }},
		{"a reply", func() *http.Response {
			r, _ := cl.post(convPath(id)+"/reply", url.Values{"text": {"hello"}})
			return r
		}},
		{"an export", func() *http.Response {
			r, _ := cl.get("/console/export.jsonl?id=" + url.QueryEscape(string(id)))
			return r
		}},
	}
	for _, tc := range requests {
		t.Run(tc.name+" logs the masked id only", func(t *testing.T) {
			before := len(logs.String())
			tc.do()
			got := logs.String()[before:]
			if got == "" {
				t.Fatal("nothing was logged; the test checks nothing")
			}
			if strings.Contains(got, user) {
				t.Errorf("the log has the raw user id:\n%s", got)
			}
			if !strings.Contains(got, "line:U206…b8") {
				t.Errorf("the log lacks the masked id:\n%s", got)
			}
		})
	}
}
