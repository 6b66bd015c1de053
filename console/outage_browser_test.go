package console_test

import (
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

// TestBrowserOutagePage: with the store down a staff member's browser shows
// the outage page, and the page comes back by itself once the store does,
// without anyone reloading it.
func TestBrowserOutagePage(t *testing.T) {
	ctx := browser(t)
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
	logIn(t, ctx, srv.URL)

	down.Store(true)
	navigate(t, ctx, "open the list during the outage", chromedp.Navigate(srv.URL+"/console/conversations"))
	got := eventually(t, ctx, "body", "the outage page", func(s string) bool { return strings.Contains(s, "not reachable; retrying") })
	if strings.Contains(got, "10.0.0.7") {
		t.Errorf("the outage page shows the store's address:\n%s", got)
	}
	down.Store(false)
	eventually(t, ctx, "body", "the page after the store is back", func(s string) bool {
		return !strings.Contains(s, "not reachable") && strings.Contains(s, "555")
	})
}
