package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

func owner(t *testing.T, f *fixture, id bot.ConversationID) string {
	t.Helper()
	m, err := f.store.Meta(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Owner
}

func TestOwnership(t *testing.T) {
	f := newFixture(t)
	const user = "555000111"
	id := bot.ConversationOf(bot.Telegram, user)
	f.send(t, bot.Telegram, user, bot.KindStart, "")
	f.send(t, bot.Telegram, user, bot.KindChoice, bot.PayloadStaff)
	aiko, bek := f.client(t), f.client(t)
	aiko.mustLogin("aiko")
	bek.mustLogin("bek")

	refused := func(t *testing.T, c *client, action string, form url.Values, want ...string) {
		t.Helper()
		pushes, entries := len(f.pusher.all()), len(transcript(t, f, id))
		c.get(convPath(id))
		resp, body := c.post(convPath(id)+"/"+action, form)
		if got, want := resp.StatusCode, http.StatusConflict; got != want {
			t.Errorf("%s: status %d, want %d", action, got, want)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q:\n%s", action, w, body)
			}
		}
		if !strings.Contains(body, `href="`+convPath(id)+`"`) {
			t.Errorf("%s: no way back to the conversation", action)
		}
		if got := len(f.pusher.all()); got != pushes {
			t.Errorf("%s: %d pushes, want none", action, got-pushes)
		}
		if got := len(transcript(t, f, id)); got != entries {
			t.Errorf("%s: %d new transcript entries, want none", action, got-entries)
		}
	}

	t.Run("nobody can hand back or reply to an unowned conversation", func(t *testing.T) {
		refused(t, aiko, "handback", nil, "Nobody owns this conversation")
		refused(t, aiko, "reply", url.Values{"text": {"hello"}}, "Nobody owns this conversation", "Nothing was sent.")
	})
	t.Run("aiko takes over", func(t *testing.T) {
		aiko.get(convPath(id))
		aiko.post(convPath(id)+"/takeover", nil)
		if got, want := owner(t, f, id), "aiko"; got != want {
			t.Fatalf("owner %q, want %q", got, want)
		}
	})
	t.Run("taking over again changes nothing and pushes nothing", func(t *testing.T) {
		n := len(f.pusher.all())
		aiko.get(convPath(id))
		aiko.post(convPath(id)+"/takeover", nil)
		if got := len(f.pusher.all()); got != n {
			t.Errorf("%d pushes, want none", got-n)
		}
		if _, body := aiko.get(convPath(id)); !strings.Contains(body, "You already own this conversation.") {
			t.Error("no explanation")
		}
	})
	t.Run("another staff member sees the owner and no reply form", func(t *testing.T) {
		_, body := bek.get(convPath(id))
		for _, want := range []string{"only aiko can reply or hand it back", `name="from" value="aiko"`, "Take over from aiko"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(body, "/reply") || strings.Contains(body, "/handback") {
			t.Error("the page offers reply or hand back to someone who does not own it")
		}
	})
	t.Run("another staff member cannot reply", func(t *testing.T) {
		refused(t, bek, "reply", url.Values{"text": {"hello from bek"}}, "aiko owns this conversation: only aiko can reply", "Nothing was sent.")
	})
	t.Run("another staff member cannot hand back", func(t *testing.T) {
		refused(t, bek, "handback", nil, "only aiko can hand it back")
		if got := owner(t, f, id); got != "aiko" {
			t.Errorf("owner %q, want aiko", got)
		}
	})
	t.Run("a take over without the confirmation does not overwrite the owner", func(t *testing.T) {
		refused(t, bek, "takeover", nil, "aiko owns this conversation now", "Take over from aiko")
		if got := owner(t, f, id); got != "aiko" {
			t.Errorf("owner %q, want aiko", got)
		}
	})
	t.Run("a confirmation naming someone else is refused", func(t *testing.T) {
		refused(t, bek, "takeover", url.Values{"from": {"carol"}}, "aiko owns this conversation now")
	})
	t.Run("a confirmed take over moves the conversation and is audited as such", func(t *testing.T) {
		bek.get(convPath(id))
		resp, _ := bek.post(convPath(id)+"/takeover", url.Values{"from": {"aiko"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got, want := owner(t, f, id), "bek"; got != want {
			t.Errorf("owner %q, want %q", got, want)
		}
		_, body := bek.get("/console/audit")
		if !strings.Contains(body, "<td>take over from aiko</td>") {
			t.Errorf("the audit does not say from whom:\n%s", body)
		}
	})
	t.Run("the former owner can no longer reply", func(t *testing.T) {
		refused(t, aiko, "reply", url.Values{"text": {"still here"}}, "bek owns this conversation")
	})
	t.Run("the owner replies and hands back", func(t *testing.T) {
		bek.get(convPath(id))
		bek.post(convPath(id)+"/reply", url.Values{"text": {"Hello, this is Bek."}})
		if p := f.pusher.all(); p[len(p)-1].Text != "Hello, this is Bek." {
			t.Errorf("last push %+v, want the reply", p[len(p)-1])
		}
		bek.post(convPath(id)+"/handback", nil)
		if got := owner(t, f, id); got != "" {
			t.Errorf("owner %q after hand back", got)
		}
	})
}

// raceIndex and raceBot hold a take over until a second request has read
// the owner, or until a moment has passed: without the console's lock
// both requests see the conversation unowned; with it the second waits.
type raceIndex struct {
	bot.Index
	mu     sync.Mutex
	armed  bool
	reads  int
	second chan struct{}
}

func (x *raceIndex) Meta(ctx context.Context, id bot.ConversationID) (bot.Meta, error) {
	x.mu.Lock()
	if x.armed {
		if x.reads++; x.reads == 2 {
			close(x.second)
		}
	}
	x.mu.Unlock()
	return x.Index.Meta(ctx, id)
}

type raceBot struct {
	console.Bot
	index *raceIndex
}

func (b raceBot) TakeOver(ctx context.Context, id bot.ConversationID, staff string) (string, error) {
	select {
	case <-b.index.second:
	case <-time.After(300 * time.Millisecond):
	}
	return b.Bot.TakeOver(ctx, id, staff)
}

func TestTakeOverRace(t *testing.T) {
	f := newFixture(t)
	id := bot.ConversationOf(bot.Telegram, "555000111")
	f.send(t, bot.Telegram, "555000111", bot.KindStart, "")
	index := &raceIndex{Index: f.store, second: make(chan struct{})}
	c, err := console.New(console.Config{Users: map[string]string{"aiko": mustHash(t), "bek": mustHash(t)}, Now: f.clock.Now},
		console.Deps{Bot: raceBot{f.bot, index}, Index: index, Pusher: f.pusher, Staff: f.store})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	clients := map[string]*client{}
	for _, name := range []string{"aiko", "bek"} {
		cl := (&fixture{srv: srv}).client(t)
		cl.mustLogin(name)
		cl.get(convPath(id)) // both pages show the conversation unowned
		clients[name] = cl
	}
	index.mu.Lock()
	index.armed = true
	index.mu.Unlock()

	// Both press "Take over" at once; exactly one may win.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var codes []int
	for _, cl := range clients {
		form := url.Values{"csrf": {cl.csrf}}
		wg.Go(func() {
			resp, err := cl.http.PostForm(cl.base+convPath(id)+"/takeover", form)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes = append(codes, resp.StatusCode)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if got, want := codes, []int{http.StatusSeeOther, http.StatusConflict}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if got := owner(t, f, id); got != "aiko" && got != "bek" {
		t.Errorf("owner %q", got)
	}
	if got := len(f.pusher.all()); got != 1 {
		t.Errorf("%d notices pushed, want 1", got)
	}
}
