package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"example.com/sswbot/bot"
	"example.com/sswbot/internal/browsertest"
)

// logIn logs the browser in as aiko.
func logIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	navigate(t, ctx, "open the login", chromedp.Navigate(base+"/console/login"))
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "aiko"),
		chromedp.SendKeys(chromedp.ID("password"), password),
	), "fill the login form")
	navigate(t, ctx, "log in", chromedp.Click(chromedp.CSS(".login button")))
}

func eventually(t *testing.T, ctx context.Context, css, what string, ok func(string) bool) string {
	t.Helper()
	return browsertest.Eventually(t, ctx, css, what, ok)
}

func TestBrowserLive(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t)
	f.lang = "en"
	const first, second = "U1111111111111111111111111111aaaa", "700100300"
	id := bot.ConversationOf(bot.LINE, first)
	f.send(t, bot.LINE, first, bot.KindText, "hello")
	f.send(t, bot.LINE, first, bot.KindChoice, bot.PayloadStaff)
	logIn(t, ctx, f.srv.URL)

	// The nav counts who waits; the list shows the unread messages.
	if got := text(t, ctx, "#waiting"); got != "1" {
		t.Fatalf("the hand-off counter shows %q, want 1", got)
	}
	navigate(t, ctx, "open the waiting list", chromedp.Navigate(f.srv.URL+"/console/conversations?view=waiting"))
	before := text(t, ctx, ".conv .unread")
	f.send(t, bot.LINE, first, bot.KindText, "Is anyone there?")
	eventually(t, ctx, ".conv .unread", "the unread count after a new message", func(s string) bool { return s != before })
	eventually(t, ctx, ".conv .preview", "the preview", func(s string) bool { return strings.Contains(s, "Is anyone there?") || strings.Contains(s, "bot:") })
	f.send(t, bot.Telegram, second, bot.KindStart, "")
	f.send(t, bot.Telegram, second, bot.KindChoice, bot.PayloadStaff)
	eventually(t, ctx, "#waiting", "the hand-off counter after a second request", func(s string) bool { return s == "2" })
	title, err := chromedp.Run(ctx, chromedp.Title())
	must(t, err, "title")
	if !strings.HasPrefix(title, "(2) ") {
		t.Errorf("the title %q has no badge", title)
	}

	// An open conversation appends new messages without a reload.
	navigate(t, ctx, "open the conversation", chromedp.Navigate(f.srv.URL+convPath(id)))
	navigate(t, ctx, "take over", chromedp.Click(chromedp.CSS(`form[action$="/takeover"] button`)))
	eventually(t, ctx, "#waiting", "the counter after the take-over", func(s string) bool { return s == "1" })
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument = true`))
	must(t, err, "mark the document")
	f.send(t, bot.LINE, first, bot.KindText, "My visa question is urgent")
	eventually(t, ctx, "#thread", "the open conversation", func(s string) bool { return strings.Contains(s, "My visa question is urgent") })
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument === true`))
	if err != nil || !same {
		t.Errorf("the page was reloaded instead of updated (%v)", err)
	}

	// A private note and canned replies.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("note-text"), "Employer seems to be in Osaka; call back Monday.")), "type a note")
	navigate(t, ctx, "save the note", chromedp.Click(chromedp.CSS(".note-form button")))
	if got := text(t, ctx, ".notes"); !strings.Contains(got, "call back Monday") {
		t.Errorf("the notes show %q", got)
	}
	for _, p := range f.pusher.all() {
		if strings.Contains(p.Text, "Osaka") {
			t.Errorf("a note reached the user: %+v", p)
		}
	}
}
