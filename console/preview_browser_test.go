package console_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/store/memstore"
)

// TestLINEPreviewInChromium walks a route in "Try it" with the LINE
// adapter's Preview wired in, as serve does, and checks in real Chromium
// that the last answer is laid out as LINE shows it: a step as a Flex
// bubble with its header, tappable phone numbers and the quick replies
// with "More". With -screenshots it saves the pictures docs/messages.md
// shows (docs/line-*.png).
func TestLINEPreviewInChromium(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t) // for the content and the password hash
	st := memstore.New(memstore.Options{Now: f.clock.Now})
	svc, err := bot.New(st, kb, bot.Options{Now: f.clock.Now})
	must(t, err, "bot")
	c, err := console.New(console.Config{Users: map[string]string{"aiko": mustHash(t)}, Now: f.clock.Now},
		console.Deps{Bot: svc, Index: st, Pusher: &pusher{}, Notes: st, LINEPreview: line.Preview, TelegramPreview: telegramPreview})
	must(t, err, "console")
	t.Cleanup(c.Close)
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, c)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/console"

	navigate(t, ctx, "open the console", chromedp.Navigate(base+"/try"))
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "aiko"),
		chromedp.SendKeys(chromedp.ID("password"), password),
	), "fill the login form")
	navigate(t, ctx, "log in", chromedp.Click(chromedp.CSS(".login button")))
	navigate(t, ctx, "try it", chromedp.Navigate(base+"/try"))
	navigate(t, ctx, "start", chromedp.Click(chromedp.CSS(`button[name=start]`)))
	press := func(payload string) {
		t.Helper()
		sel := `button[name=choice][value="` + payload + `"]`
		if strings.HasSuffix(payload, ":") {
			sel = `button[name=choice][value^="` + payload + `"]`
		}
		navigate(t, ctx, "press "+payload, chromedp.Click(chromedp.CSS(sel)))
	}
	shot := func(name string) {
		t.Helper()
		if !*screenshots {
			return
		}
		sel := ".preview .phone.line"
		if strings.HasPrefix(name, "telegram") {
			sel = ".preview .phone.telegram"
		}
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		must(t, err, "screenshot")
		path := filepath.Join("..", "docs", name)
		must(t, os.WriteFile(path, png, 0o644), "write "+path)
		t.Logf("wrote %s", path)
	}
	press("l:en")
	press("r:employer")
	press("w:kg")
	press("rt:compare")
	if got := text(t, ctx, ".preview .fx-bubble"); !strings.Contains(got, "Details: A.3") {
		t.Fatalf("the comparison on LINE shows %q", got)
	}
	shot("line-compare.png")
	shot("telegram-compare.png")
	// The card's "Notes on all routes", typed as its label: the
	// comparison's general lines, on both platforms.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("text"), "Notes on all routes")), "type the notes' label")
	navigate(t, ctx, "send it", chromedp.Click(chromedp.CSS(`#say .row button[type=submit]:not([name])`)))
	for _, phone := range []string{".preview .phone.line", ".preview .phone.telegram"} {
		if got := text(t, ctx, phone); !strings.Contains(got, "After the employment contract, all three routes are the same") {
			t.Errorf("the general notes in %s show %q", phone, got)
		}
	}
	press("rt:agency")
	press("n:")
	press("n:") // A.3.3: a Kyrgyz-side step with the Center's and the Embassy's contacts
	if got := text(t, ctx, ".preview .fx-header"); !strings.Contains(got, "Step 3 of 6") || !strings.Contains(got, "Kyrgyz-side") {
		t.Fatalf("the step's header on LINE shows %q", got)
	}
	tel, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.preview a[href^="tel:"]`), "href"))
	must(t, err, "a tel: link")
	if tel.Value != "tel:+996312650264" {
		t.Errorf("the Center's phone opens %q", tel.Value)
	}
	if got := text(t, ctx, ".preview .line-quick"); !strings.Contains(got, "More") {
		t.Errorf("the quick replies show %q", got)
	}
	shot("line-step.png")
	// The same answer on Telegram: the Bot API HTML shown as HTML (the
	// counter in bold), the official pages as URL buttons.
	if got := text(t, ctx, ".preview .phone.telegram b"); !strings.Contains(got, "Step 3 of 6") {
		t.Errorf("the step's header on Telegram shows %q", got)
	}
	shot("telegram-step.png")
	press("all")
	shot("line-checklist.png")
	shot("telegram-checklist.png")
	press("g:contacts")
	shot("line-contacts.png")
	shot("telegram-contacts.png")
	for range 3 {
		press("n:")
	}
	press("fin:")
	if got := text(t, ctx, ".preview .fx-bubble"); !strings.Contains(got, "✅") {
		t.Errorf("the summary on LINE shows %q", got)
	}
	shot("line-summary.png")
	shot("telegram-summary.png")
}

// telegramPreview converts the Telegram adapter's messages as serve does.
func telegramPreview(replies []bot.Reply) []console.TelegramMessage {
	var out []console.TelegramMessage
	for _, m := range telegram.Format(replies) {
		tm := console.TelegramMessage{HTML: m.HTML}
		for _, row := range m.Keyboard {
			var r []console.TelegramButton
			for _, b := range row {
				r = append(r, console.TelegramButton{Text: b.Text, URL: b.URL})
			}
			tm.Keyboard = append(tm.Keyboard, r)
		}
		out = append(out, tm)
	}
	return out
}
