package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

func TestStaffTools(t *testing.T) {
	f := newFixture(t)
	const user = "555000222"
	id := bot.ConversationOf(bot.Telegram, user)
	f.send(t, bot.Telegram, user, bot.KindStart, "")
	f.send(t, bot.Telegram, user, bot.KindChoice, "l:ru")
	f.send(t, bot.Telegram, user, bot.KindChoice, bot.PayloadStaff)
	c := f.client(t)
	c.mustLogin("aiko")
	page := func() string {
		t.Helper()
		_, body := c.get(convPath(id))
		return body
	}

	t.Run("a note is kept for staff and never sent", func(t *testing.T) {
		c.post(convPath(id)+"/note", url.Values{"note": {"Asked about the agency fee; check with Bek."}})
		if body := page(); !strings.Contains(body, "Asked about the agency fee") || !strings.Contains(body, "Note saved") {
			t.Errorf("the note is not on the page")
		}
		if p := f.pusher.all(); len(p) != 0 {
			t.Errorf("a note was pushed: %+v", p)
		}
		for _, e := range transcript(t, f, id) {
			if strings.Contains(e.Text, "agency fee") {
				t.Errorf("the note is in the transcript: %+v", e)
			}
		}
	})
	t.Run("bad input is explained and changes nothing", func(t *testing.T) {
		c.post(convPath(id)+"/note", url.Values{"note": {"  "}})
		if body := page(); !strings.Contains(body, "Write the note first. Nothing changed.") {
			t.Error("an empty note is not explained")
		}
		c.post(convPath(id)+"/assign", url.Values{"to": {"mallory"}})
		if body := page(); !strings.Contains(body, "no staff member of that name") || strings.Contains(body, "assigned to mallory") {
			t.Error("assigning a stranger is not refused")
		}
		c.post(convPath(id)+"/labels", url.Values{"labels": {strings.Repeat("x", 40)}})
		if body := page(); !strings.Contains(body, "at most 32 characters") {
			t.Error("a long label is not refused")
		}
	})
	t.Run("labels, assignment and resolved show in the lists", func(t *testing.T) {
		c.post(convPath(id)+"/labels", url.Values{"labels": {"visa, urgent, visa"}})
		c.post(convPath(id)+"/assign", url.Values{"to": {"bek"}})
		_, list := c.get("/console/conversations")
		for _, want := range []string{">visa<", ">urgent<", "assigned to bek", "waiting for a person"} {
			if !strings.Contains(list, want) {
				t.Errorf("the list lacks %q", want)
			}
		}
		bek := f.client(t)
		bek.mustLogin("bek")
		if _, mine := bek.get("/console/conversations?view=mine&ids=1"); fmt.Sprint(listed(mine)) != fmt.Sprint([]string{string(id)}) {
			t.Errorf("bek's view lists %v", listed(mine))
		}
		c.post(convPath(id)+"/resolve", nil)
		if _, waiting := c.get("/console/conversations?view=waiting&ids=1"); len(listed(waiting)) != 0 {
			t.Errorf("a resolved conversation is still waiting: %v", listed(waiting))
		}
		f.send(t, bot.Telegram, user, bot.KindText, "ещё вопрос")
		if _, waiting := c.get("/console/conversations?view=waiting&ids=1"); len(listed(waiting)) != 1 {
			t.Error("a new message does not reopen a resolved conversation")
		}
	})
	t.Run("the export carries notes and labels", func(t *testing.T) {
		_, body := c.get("/console/export.jsonl?id=" + url.QueryEscape(string(id)))
		if !strings.Contains(body, `"dir":"note"`) || !strings.Contains(body, "agency fee") || !strings.Contains(body, "labels: visa, urgent") {
			t.Errorf("the export lacks the staff data:\n%s", body)
		}
	})
	t.Run("canned replies come in the user's language", func(t *testing.T) {
		g := newFixtureWith(t, func(cfg *console.Config) {
			cfg.Canned = map[string][]console.Canned{"ru": {{Title: "Контакты", Text: "Центр занятости"}}}
		})
		g.send(t, bot.Telegram, user, bot.KindStart, "")
		g.send(t, bot.Telegram, user, bot.KindChoice, "l:ru")
		gc := g.client(t)
		gc.mustLogin("aiko")
		gc.post(convPath(id)+"/takeover", nil)
		_, body := gc.get(convPath(id) + "?canned=0")
		if !strings.Contains(body, "Russian (ru)") || !strings.Contains(body, ">Центр занятости</textarea>") {
			t.Errorf("the composer does not show the language or the canned reply")
		}
	})
	t.Run("forget erases the staff data", func(t *testing.T) {
		c.post(convPath(id)+"/forget", url.Values{"confirm": {"yes"}})
		got, err := f.store.Annotations(context.Background(), id)
		if err != nil || got[0] != nil {
			t.Errorf("after forget the annotations are %q (%v)", got, err)
		}
	})
}

// outageIndex is an index whose store goes down and comes back.
type outageIndex struct {
	bot.Index
	down *atomic.Bool
}

func (o outageIndex) List(ctx context.Context, f bot.Filter) ([]bot.Meta, int, error) {
	if o.down.Load() {
		return nil, 0, fmt.Errorf("redisstore: list: %w: dial tcp 10.0.0.7:6379: connection refused", bot.ErrUnavailable)
	}
	return o.Index.List(ctx, f)
}

func TestOutagePage(t *testing.T) {
	f := newFixture(t)
	f.send(t, bot.Telegram, "555000333", bot.KindStart, "")
	var down atomic.Bool
	c, err := console.New(console.Config{Users: map[string]string{"aiko": mustHash(t)}, Now: f.clock.Now},
		console.Deps{Bot: f.bot, Index: outageIndex{f.store, &down}, Pusher: f.pusher, Staff: f.store})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	cl := (&fixture{srv: srv}).client(t)
	cl.mustLogin("aiko")
	down.Store(true)
	resp, body := cl.get("/console/conversations")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not reachable; retrying") ||
		!strings.Contains(body, `http-equiv="refresh"`) || strings.Contains(body, "10.0.0.7") {
		t.Fatalf("status %d, body:\n%s", resp.StatusCode, body)
	}
	down.Store(false)
	if resp, _ := cl.get("/console/conversations"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the outage: status %d", resp.StatusCode)
	}
}

func TestConsoleOff(t *testing.T) {
	srv := httptest.NewServer(console.Off())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "SSWBOT_CONSOLE_USERS") {
		t.Errorf("status %d, body:\n%s", resp.StatusCode, body)
	}
}
