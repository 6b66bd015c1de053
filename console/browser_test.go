package console_test

import (
	"bufio"
	"context"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"example.com/sswbot/bot"
	"example.com/sswbot/internal/browsertest"
)

var screenshots = flag.Bool("screenshots", false, "save screenshots of the conversation and insights pages to ../docs")

// browser starts a headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, 60*time.Second)
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// navigate runs actions that lead to a new page and waits for it.
func navigate(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, actions...)
	must(t, err, what)
	return resp
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	must(t, err, "read "+css)
	return s
}

func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err, "screenshot")
	path := filepath.Join("..", "docs", name)
	must(t, os.WriteFile(path, png, 0o644), "write "+path)
	t.Logf("wrote %s", path)
}

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t)
	f.lang = "en"

	// One LINE employer walks a whole route and then asks for a person;
	// a few others give the list and the funnel some shape.
	const user = "U206d25c2ea6bd87c17655609a1c37cb8"
	id := bot.ConversationOf(bot.LINE, user)
	route, steps := f.walk(t, bot.LINE, user, "jp", 0)
	f.send(t, bot.LINE, user, bot.KindText, "Who pays the visa fee for our new cook?")
	f.send(t, bot.LINE, user, bot.KindChoice, bot.PayloadStaff)
	f.walk(t, bot.Telegram, "700100200", "kg", 2)
	f.walk(t, bot.Telegram, "700100201", "jp", 1)
	f.walk(t, bot.Telegram, "700100204", "kg", 0)
	f.walk(t, bot.Telegram, "700100205", "kg", 3)
	f.send(t, bot.Telegram, "700100202", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100202", bot.KindText, "salary?")
	f.send(t, bot.Telegram, "700100203", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100203", bot.KindChoice, "r:worker")
	f.send(t, bot.Telegram, "700100203", bot.KindText, "Salary?")
	f.send(t, bot.Telegram, "700100203", bot.KindChoice, bot.PayloadStaff)
	f.send(t, bot.Telegram, "700100205", bot.KindText, "Мне нужна помощь с визой")
	f.send(t, bot.Telegram, "700100205", bot.KindChoice, bot.PayloadStaff)
	base := f.srv.URL + "/console"

	// A stranger lands on the login form.
	navigate(t, ctx, "open the console", chromedp.Navigate(base+"/conversations"))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err, "location")
	if !strings.HasSuffix(loc, "/console/login") {
		t.Fatalf("without a session the console shows %s", loc)
	}
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "aiko"),
		chromedp.SendKeys(chromedp.ID("password"), password),
	), "fill the login form")
	navigate(t, ctx, "log in", chromedp.Click(chromedp.CSS(".login button")))
	if got := text(t, ctx, "h1"); !strings.HasPrefix(got, "Conversations") {
		t.Fatalf("after login the page is %q", got)
	}
	shoot(t, ctx, "console-inbox.png")

	// Search the transcripts and open the one conversation found.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("q"), "visa fee for our new cook")), "type a search")
	navigate(t, ctx, "search", chromedp.Click(chromedp.CSS(".filters button[type=submit]")))
	rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(".inbox .conv > a")))
	must(t, err, "read the results")
	if len(rows) != 1 {
		t.Fatalf("search found %d conversations, want 1", len(rows))
	}
	navigate(t, ctx, "open the conversation", chromedp.Click(chromedp.CSS(".inbox .conv > a")))
	if got := text(t, ctx, "#thread"); !strings.Contains(got, "Who pays the visa fee for our new cook?") {
		t.Fatalf("the transcript lacks the message:\n%s", got)
	}

	// Export: the link is a download, so fetch it with the browser's cookie.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(".exports a"), "href"))
	must(t, err, "read the export link")
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	must(t, err, "read cookies")
	req, _ := http.NewRequest("GET", f.srv.URL+href.Value, nil)
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err, "export")
	n := 0
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); n++ {
		if !strings.Contains(sc.Text(), `"conversation":"`+string(id)+`"`) {
			t.Errorf("export line %d is not about the conversation: %s", n+1, sc.Text())
		}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n != len(transcript(t, f, id)) {
		t.Errorf("export: status %d, %d lines, want 200 and %d", resp.StatusCode, n, len(transcript(t, f, id)))
	}

	// Take over, reply, hand back.
	navigate(t, ctx, "take over", chromedp.Click(chromedp.CSS(`form[action$="/takeover"] button`)))
	if got := text(t, ctx, ".flash"); !strings.Contains(got, "You own the conversation") {
		t.Errorf("after take over the page says %q", got)
	}
	const msg = "Hello, this is Aiko from the support team. The employer pays the visa fee."
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("reply-text"), msg)), "type a reply")
	navigate(t, ctx, "reply", chromedp.Click(chromedp.CSS(".reply button")))
	pushed := f.pusher.all()
	if len(pushed) != 2 || pushed[1] != (push{id, msg}) {
		t.Fatalf("pushed %+v, want the notice and the reply", pushed)
	}
	if got := text(t, ctx, ".b-staff .text"); got != msg {
		t.Errorf("the staff bubble shows %q", got)
	}
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("note-text"), "Employer in Osaka, cook (food service). Visa fee answered; follow up on the COE next week.")), "type a note")
	navigate(t, ctx, "save the note", chromedp.Click(chromedp.CSS(".note-form button")))
	must(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("labels"), "visa, food service")), "type labels")
	navigate(t, ctx, "save the labels", chromedp.Click(chromedp.CSS(`form[action$="/labels"] button`)))
	shoot(t, ctx, "console-conversation.png")
	navigate(t, ctx, "open the hand-off queue", chromedp.Navigate(base+"/handoff"))
	shoot(t, ctx, "console-handoff.png")
	navigate(t, ctx, "back to the conversation", chromedp.Navigate(f.srv.URL+convPath(id)))
	navigate(t, ctx, "hand back", chromedp.Click(chromedp.CSS(`form[action$="/handback"] button`)))
	if m, _ := f.store.Meta(context.Background(), id); m.Owner != "" {
		t.Errorf("still owned by %q after hand back", m.Owner)
	}

	// The funnel shows the walked route to its end.
	navigate(t, ctx, "open insights", chromedp.Click(chromedp.CSS(`nav a[href="/console/insights"]`)))
	charts := text(t, ctx, ".charts")
	for _, want := range []string{"chose route " + route, "step " + strconv.Itoa(steps), "finished"} {
		if !strings.Contains(charts, want) {
			t.Errorf("the funnel lacks %q:\n%s", want, charts)
		}
	}
	shoot(t, ctx, "console-funnel.png")

	// After logout every page sends back to the login.
	navigate(t, ctx, "log out", chromedp.Click(chromedp.CSS(".logout button")))
	navigate(t, ctx, "reopen", chromedp.Navigate(base+"/conversations/"+url.PathEscape(string(id))))
	loc, err = chromedp.Run(ctx, chromedp.Location())
	must(t, err, "location")
	if !strings.HasSuffix(loc, "/console/login") {
		t.Errorf("after logout the console shows %s", loc)
	}
}
