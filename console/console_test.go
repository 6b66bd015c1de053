package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/store/memstore"
)

func TestNewRefusesToRunOpen(t *testing.T) {
	st := memstore.New(memstore.Options{})
	deps := console.Deps{Bot: nil, Index: st, Pusher: &pusher{}}
	if _, err := console.New(console.Config{}, deps); err == nil {
		t.Error("New without users: no error")
	}
	if _, err := console.New(console.Config{Users: map[string]string{"aiko": "plain"}}, deps); err == nil {
		t.Error("New with a non-bcrypt hash: no error")
	}
}

func TestParseUsers(t *testing.T) {
	h := mustHash(t)
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"comma separated entries are read", "aiko:" + h + ",bek:" + h, []string{"aiko", "bek"}, ""},
		{"a file with comments and blank lines is read", "# staff\n\naiko:" + h + "\n  bek:" + h + "  \n", []string{"aiko", "bek"}, ""},
		{"an empty input gives no users", "  \n# none\n", nil, ""},
		{"an entry without a colon is rejected", "aiko", nil, "entry 1: want name:bcrypt-hash"},
		{"a plain password is rejected", "aiko:" + h + ",bek:secret", nil, "entry 2: user \"bek\": password hash is not bcrypt"},
		{"a duplicate name is rejected", "aiko:" + h + "\naiko:" + h, nil, "listed twice"},
		{"a name with spaces is rejected", "ai ko:" + h, nil, "use letters, digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := console.ParseUsers(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "$2a$") {
					t.Errorf("error %q shows a hash", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d users, want %d", len(got), len(tt.want))
			}
			for _, n := range tt.want {
				if got[n] != h {
					t.Errorf("user %s: hash %q", n, got[n])
				}
			}
		})
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)

	t.Run("the right password opens a session with a safe cookie", func(t *testing.T) {
		c := f.client(t)
		resp := c.login("aiko", password)
		if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
			t.Fatalf("status %d, want %d", got, want)
		}
		if got, want := resp.Header.Get("Location"), "/console/conversations"; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		var ck *http.Cookie
		for _, k := range resp.Cookies() {
			if k.Name == "sswbot_console" && k.Value != "" {
				ck = k
			}
		}
		if ck == nil {
			t.Fatal("no session cookie")
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/", ck)
		}
		if resp, body := c.get("/console/conversations"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "aiko") {
			t.Errorf("after login: status %d", resp.StatusCode)
		}
	})
	t.Run("a wrong password is refused", func(t *testing.T) {
		c := f.client(t)
		resp := c.login("aiko", "wrong")
		if got, want := resp.StatusCode, http.StatusUnauthorized; got != want {
			t.Fatalf("status %d, want %d", got, want)
		}
		if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("page after a failed login: status %d, want a redirect", resp.StatusCode)
		}
	})
	t.Run("an unknown user is refused", func(t *testing.T) {
		if got, want := f.client(t).login("mallory", password).StatusCode, http.StatusUnauthorized; got != want {
			t.Fatalf("status %d, want %d", got, want)
		}
	})
	t.Run("a login form without its CSRF token is refused", func(t *testing.T) {
		c := f.client(t)
		resp, _ := c.post("/console/login", url.Values{"name": {"aiko"}, "password": {password}, "csrf": {"forged"}})
		if got, want := resp.StatusCode, http.StatusForbidden; got != want {
			t.Fatalf("status %d, want %d", got, want)
		}
	})
	t.Run("a login is recorded in the audit log", func(t *testing.T) {
		c := f.client(t)
		c.mustLogin("bek")
		_, body := c.get("/console/audit")
		if !strings.Contains(body, "login failed") || !strings.Contains(body, "<td>bek</td><td>login</td>") {
			t.Errorf("audit page lacks the logins:\n%s", body)
		}
		if strings.Contains(body, password) {
			t.Error("audit page shows a password")
		}
	})
}

func TestLoginLockout(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for i := range 5 {
		if got := c.login("aiko", fmt.Sprintf("guess %d", i)).StatusCode; got != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, got)
		}
	}
	c.get("/console/login")
	resp, body := c.post("/console/login", url.Values{"name": {"aiko"}, "password": {password}})
	if got, want := resp.StatusCode, http.StatusTooManyRequests; got != want {
		t.Fatalf("right password after 5 failures: status %d, want %d", got, want)
	}
	if !strings.Contains(body, "Try again in 1 minute.") {
		t.Errorf("no clear message:\n%s", body)
	}
	// Another name from the same address is not locked: the lock is per
	// name and address.
	if got, want := f.client(t).login("bek", password).StatusCode, http.StatusSeeOther; got != want {
		t.Errorf("other user from the same address: status %d, want %d", got, want)
	}
	// The delay grows with every further failure: 1, then 2 minutes.
	f.clock.Advance(time.Minute)
	if got, want := c.login("aiko", "guess 6").StatusCode, http.StatusUnauthorized; got != want {
		t.Fatalf("a try after the first delay: status %d, want %d", got, want)
	}
	f.clock.Advance(time.Minute)
	if got, want := c.login("aiko", password).StatusCode, http.StatusTooManyRequests; got != want {
		t.Errorf("one minute into the second delay: status %d, want %d", got, want)
	}
	f.clock.Advance(time.Minute)
	if got, want := c.login("aiko", password).StatusCode, http.StatusSeeOther; got != want {
		t.Errorf("after the lock: status %d, want %d", got, want)
	}
}

func TestAccessIsRefused(t *testing.T) {
	f := newFixture(t)
	f.walk(t, bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8", "jp", 1)
	id := bot.ConversationOf(bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8")
	takeover := convPath(id) + "/takeover"

	notOwned := func(t *testing.T) {
		t.Helper()
		m, err := f.store.Meta(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Owner != "" {
			t.Fatalf("the conversation was taken over by %q", m.Owner)
		}
	}

	t.Run("pages without a session redirect to the login", func(t *testing.T) {
		c := f.client(t)
		for _, p := range []string{"/console/", "/console/conversations", convPath(id), "/console/handoff", "/console/insights", "/console/try", "/console/audit"} {
			resp, _ := c.get(p)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
				t.Errorf("GET %s: status %d to %q, want 303 to /console/login", p, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})
	t.Run("exports without a session answer 401", func(t *testing.T) {
		resp, _ := f.client(t).get("/console/export.jsonl?id=" + url.QueryEscape(string(id)))
		if got, want := resp.StatusCode, http.StatusUnauthorized; got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	})
	t.Run("actions without a session change nothing", func(t *testing.T) {
		resp, _ := f.client(t).post(takeover, url.Values{"csrf": {"x"}})
		if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
			t.Errorf("status %d, want %d", got, want)
		}
		notOwned(t)
	})
	t.Run("a forged session cookie is refused", func(t *testing.T) {
		c := f.client(t)
		u, _ := url.Parse(f.srv.URL + "/console/")
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sswbot_console", Value: "forged", Path: "/console/"}})
		if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d, want 303", resp.StatusCode)
		}
	})
	t.Run("a bad CSRF token is refused", func(t *testing.T) {
		c := f.client(t)
		c.mustLogin("aiko")
		for _, tok := range []string{"", "forged"} {
			resp, _ := c.post(takeover, url.Values{"csrf": {tok}})
			if got, want := resp.StatusCode, http.StatusForbidden; got != want {
				t.Errorf("token %q: status %d, want %d", tok, got, want)
			}
		}
		notOwned(t)
		if got := len(f.pusher.all()); got != 0 {
			t.Errorf("%d pushes, want none", got)
		}
	})
	t.Run("after logout the session is dead", func(t *testing.T) {
		c := f.client(t)
		c.mustLogin("aiko")
		jar := c.http.Jar
		u, _ := url.Parse(f.srv.URL + "/console/")
		old := jar.Cookies(u)
		if resp, _ := c.post("/console/logout", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: status %d", resp.StatusCode)
		}
		if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("page after logout: status %d, want 303", resp.StatusCode)
		}
		// Replaying the old cookie does not help either.
		jar.SetCookies(u, old)
		if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("old cookie after logout: status %d, want 303", resp.StatusCode)
		}
		if resp, _ := c.post(takeover, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("action after logout: status %d, want 303", resp.StatusCode)
		}
		notOwned(t)
	})
	t.Run("sessions expire", func(t *testing.T) {
		c := f.client(t)
		c.mustLogin("aiko")
		f.clock.Advance(13 * time.Hour)
		if resp, _ := c.get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d after the TTL, want 303", resp.StatusCode)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for _, p := range []string{"/console/login", "/console/conversations", "/console/static/console.css"} {
		resp, _ := c.get(p)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, h.Get("Content-Security-Policy"))
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", p, k, got, want)
			}
		}
	}
	resp, _ := c.get("/console/login")
	if got, want := resp.Header.Get("Cache-Control"), "no-store"; got != want {
		t.Errorf("Cache-Control %q, want %q", got, want)
	}
	resp, body := c.get("/console/static/console.css")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, ".bubble") {
		t.Errorf("stylesheet: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

var attrRe = regexp.MustCompile(`(href|value)="[^"]*"`)

var rowRe = regexp.MustCompile(`<a href="/console/conversations/([^"?]+)[^"]*">`)

func listed(body string) []string {
	var ids []string
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		id, _ := url.PathUnescape(m[1])
		ids = append(ids, id)
	}
	return ids
}

func TestConversationList(t *testing.T) {
	f := newFixture(t)
	f.walk(t, bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8", "jp", 2)
	f.send(t, bot.Telegram, "700100200", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100200", bot.KindChoice, "l:ru")
	f.send(t, bot.Telegram, "700100200", bot.KindText, "где моя виза zebra")
	f.send(t, bot.Telegram, "555000111", bot.KindStart, "")
	f.send(t, bot.Telegram, "555000111", bot.KindChoice, bot.PayloadStaff)
	c := f.client(t)
	c.mustLogin("aiko")

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"everything is listed, newest first", "", []string{"telegram:555000111", "telegram:700100200", "line:U206d25c2ea6bd87c17655609a1c37cb8"}},
		{"the platform filter selects LINE", "?platform=line", []string{"line:U206d25c2ea6bd87c17655609a1c37cb8"}},
		{"the language filter selects Russian", "?lang=ru", []string{"telegram:700100200"}},
		{"full-text search finds a transcript", "?q=ZEBRA", []string{"telegram:700100200"}},
		{"the handoff filter finds who asked for a person", "?handoff=1", []string{"telegram:555000111"}},
		{"a period without activity lists nothing", "?since=2026-01-01&until=2026-01-31", nil},
		{"a period with activity lists it", "?since=2026-03-02&until=2026-03-02&platform=telegram", []string{"telegram:555000111", "telegram:700100200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.get("/console/conversations" + tt.query + "&ids=1")
			if tt.query == "" {
				resp, body = c.get("/console/conversations?ids=1")
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := listed(body)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("bad filters are explained and ignored", func(t *testing.T) {
		resp, body := c.get("/console/conversations?since=yesterday&platform=fax")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !strings.Contains(body, "use YYYY-MM-DD") || !strings.Contains(body, "unknown platform") {
			t.Errorf("no explanation:\n%s", body)
		}
		if got := len(listed(body)); got != 3 {
			t.Errorf("listed %d, want all 3", got)
		}
	})
	t.Run("user ids and names are masked by default", func(t *testing.T) {
		_, body := c.get("/console/conversations")
		body = attrRe.ReplaceAllString(body, "") // links carry the id; the text must not
		for _, raw := range []string{"U206d25c2ea6bd87c17655609a1c37cb8", "700100200", "Tanaka"} {
			if i := strings.Index(body, raw); i >= 0 {
				t.Errorf("raw %q is visible: …%s…", raw, body[max(0, i-80):i+40])
			}
		}
		for _, want := range []string{"line:U206…b8", "telegram:7001…00", "T…", "asked for a person"} {
			if !strings.Contains(body, html.EscapeString(want)) {
				t.Errorf("no %q in the list", want)
			}
		}
		_, body = c.get("/console/conversations?ids=1")
		if !strings.Contains(body, "U206d25c2ea6bd87c17655609a1c37cb8") || !strings.Contains(body, "Tanaka Hanako") {
			t.Error("show ids does not show them")
		}
	})
	t.Run("pages hold 50 conversations", func(t *testing.T) {
		for i := range 52 {
			f.send(t, bot.Telegram, fmt.Sprintf("9%08d", i), bot.KindStart, "")
		}
		_, body := c.get("/console/conversations")
		if got, want := len(listed(body)), 50; got != want {
			t.Errorf("page 1: %d rows, want %d", got, want)
		}
		if !strings.Contains(body, "Page 1 of 2") || !strings.Contains(body, `rel="next"`) {
			t.Error("no pager")
		}
		_, body = c.get("/console/conversations?page=2")
		if got, want := len(listed(body)), 5; got != want {
			t.Errorf("page 2: %d rows, want %d", got, want)
		}
	})
}

func TestConversationPage(t *testing.T) {
	f := newFixture(t)
	f.walk(t, bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8", "jp", 2)
	f.send(t, bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8", bot.KindText, "<script>alert(1)</script>")
	c := f.client(t)
	c.mustLogin("aiko")
	id := bot.ConversationOf(bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8")
	resp, body := c.get(convPath(id))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`class="bubble b-in"`, `class="bubble b-out"`, `class="choices"`, "role → location", "kb ", "Take over", "&lt;script&gt;", "not understood"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q on the page", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("user text is not escaped")
	}
	if resp, _ := c.get("/console/conversations/line:nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown conversation: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := c.get("/console/conversations/nocolon"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: status %d, want 400", resp.StatusCode)
	}
}

func transcript(t *testing.T, f *fixture, id bot.ConversationID) []bot.Entry {
	t.Helper()
	es, err := f.store.Transcript(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestHandoff(t *testing.T) {
	f := newFixture(t)
	id := bot.ConversationOf(bot.Telegram, "555000111")
	f.send(t, bot.Telegram, "555000111", bot.KindStart, "")
	f.send(t, bot.Telegram, "555000111", bot.KindChoice, "l:en")
	f.send(t, bot.Telegram, "555000111", bot.KindChoice, bot.PayloadStaff)
	c := f.client(t)
	c.mustLogin("aiko")

	_, body := c.get("/console/handoff")
	if got := listed(body); len(got) != 1 {
		t.Fatalf("queue %v, want the one who asked", got)
	}
	c.get(convPath(id))

	t.Run("a reply before taking over is refused", func(t *testing.T) {
		c.post(convPath(id)+"/reply", url.Values{"text": {"hello"}})
		if got := len(f.pusher.all()); got != 0 {
			t.Errorf("%d pushes, want none", got)
		}
	})
	t.Run("take over silences the bot and tells the user", func(t *testing.T) {
		resp, _ := c.post(convPath(id)+"/takeover", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		m, _ := f.store.Meta(context.Background(), id)
		if got, want := m.Owner, "aiko"; got != want {
			t.Errorf("owner %q, want %q", got, want)
		}
		p := f.pusher.all()
		if len(p) != 1 || p[0].ID != id || p[0].Text == "" {
			t.Fatalf("pushes %+v, want the notice", p)
		}
		if out := f.send(t, bot.Telegram, "555000111", bot.KindText, "are you there?"); !out.Silent {
			t.Error("the bot answered while staff owns the conversation")
		}
		_, body := c.get("/console/handoff")
		if !strings.Contains(body, "owned by me") {
			t.Error("the queue does not show the owner")
		}
	})
	t.Run("a reply is pushed and recorded", func(t *testing.T) {
		c.get(convPath(id))
		c.post(convPath(id)+"/reply", url.Values{"text": {"Hello, this is Aiko.\r\nHow can I help?"}})
		p := f.pusher.all()
		if got, want := p[len(p)-1].Text, "Hello, this is Aiko.\nHow can I help?"; got != want {
			t.Errorf("pushed %q, want %q", got, want)
		}
		es := transcript(t, f, id)
		last := es[len(es)-1]
		if last.Dir != bot.Staff || last.Staff != "aiko" || !strings.HasPrefix(last.Text, "Hello, this is Aiko.") {
			t.Errorf("last entry %+v, want the staff reply", last)
		}
		_, body := c.get(convPath(id))
		if !strings.Contains(body, "b-staff") || !strings.Contains(body, "Sent.") {
			t.Error("the page does not show the reply")
		}
	})
	t.Run("a reply that cannot be sent is not recorded", func(t *testing.T) {
		before := len(transcript(t, f, id))
		f.pusher.fail(errUnreachable)
		defer f.pusher.fail(nil)
		c.post(convPath(id)+"/reply", url.Values{"text": {"lost"}})
		if got := len(transcript(t, f, id)); got != before {
			t.Errorf("%d entries, want %d", got, before)
		}
		_, body := c.get(convPath(id))
		if !strings.Contains(body, "could not be sent") || !strings.Contains(body, errUnreachable.Error()) {
			t.Error("the error is not shown")
		}
	})
	t.Run("a reply refused for LINE's push quota says so", func(t *testing.T) {
		before := len(transcript(t, f, id))
		f.pusher.fail(fmt.Errorf("line: push: 1000 of 1000 pushes used in 2026-12: %w", bot.ErrQuotaExhausted))
		defer f.pusher.fail(nil)
		c.post(convPath(id)+"/reply", url.Values{"text": {"over the quota"}})
		if got := len(transcript(t, f, id)); got != before {
			t.Errorf("%d entries, want %d", got, before)
		}
		_, body := c.get(convPath(id))
		if !strings.Contains(body, "could not be sent") || !strings.Contains(body, "monthly push quota is used up") {
			t.Error("the quota is not named")
		}
	})
	t.Run("an empty reply sends nothing", func(t *testing.T) {
		n := len(f.pusher.all())
		c.post(convPath(id)+"/reply", url.Values{"text": {"  "}})
		if got := len(f.pusher.all()); got != n {
			t.Errorf("%d pushes, want %d", got, n)
		}
	})
	t.Run("hand back lets the bot answer again", func(t *testing.T) {
		n := len(f.pusher.all())
		c.post(convPath(id)+"/handback", nil)
		m, _ := f.store.Meta(context.Background(), id)
		if m.Owner != "" || m.Handoff {
			t.Errorf("meta %+v, want no owner and no request", m)
		}
		if got := len(f.pusher.all()); got != n+1 {
			t.Errorf("%d pushes, want the hand-back notice", got-n)
		}
		if out := f.send(t, bot.Telegram, "555000111", bot.KindChoice, bot.PayloadHelp); out.Silent || len(out.Replies) == 0 {
			t.Error("the bot is still silent")
		}
	})
	t.Run("a take over that cannot be pushed still stands", func(t *testing.T) {
		f.pusher.fail(errUnreachable)
		defer f.pusher.fail(nil)
		c.get(convPath(id))
		c.post(convPath(id)+"/takeover", nil)
		m, _ := f.store.Meta(context.Background(), id)
		if m.Owner != "aiko" {
			t.Errorf("owner %q, want aiko", m.Owner)
		}
		_, body := c.get(convPath(id))
		if !strings.Contains(body, "could not be sent") {
			t.Error("the push error is not shown")
		}
	})
	t.Run("every action is audited", func(t *testing.T) {
		_, body := c.get("/console/audit")
		for _, a := range []string{"take over", "reply", "hand back"} {
			if !strings.Contains(body, "<td>"+a+"</td>") {
				t.Errorf("no %q in the audit", a)
			}
		}
	})
}

func TestForget(t *testing.T) {
	f := newFixture(t)
	id := bot.ConversationOf(bot.Telegram, "700100200")
	f.send(t, bot.Telegram, "700100200", bot.KindStart, "")
	c := f.client(t)
	c.mustLogin("bek")
	resp, body := c.get(convPath(id) + "/forget")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "cannot be undone") {
		t.Fatalf("confirmation page: status %d", resp.StatusCode)
	}
	c.post(convPath(id)+"/forget", nil) // not confirmed
	if _, err := f.store.Meta(context.Background(), id); err != nil {
		t.Fatalf("forgotten without confirmation: %v", err)
	}
	resp, _ = c.post(convPath(id)+"/forget", url.Values{"confirm": {"yes"}})
	if got, want := resp.Header.Get("Location"), "/console/conversations"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if _, err := f.store.Meta(context.Background(), id); err == nil {
		t.Error("still there after forget")
	}
	_, body = c.get("/console/conversations")
	if !strings.Contains(body, "was erased") || len(listed(body)) != 0 {
		t.Error("the list still shows it or says nothing")
	}
}

func TestExport(t *testing.T) {
	f := newFixture(t)
	f.walk(t, bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8", "jp", 1)
	f.send(t, bot.Telegram, "700100200", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100200", bot.KindText, "=HYPERLINK(\"x\")")
	lineID := bot.ConversationOf(bot.LINE, "U206d25c2ea6bd87c17655609a1c37cb8")
	c := f.client(t)
	c.mustLogin("aiko")

	t.Run("one conversation as JSONL", func(t *testing.T) {
		resp, body := c.get("/console/export.jsonl?id=" + url.QueryEscape(string(lineID)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".jsonl") {
			t.Errorf("Content-Disposition %q", cd)
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if got, want := len(lines), len(transcript(t, f, lineID)); got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		var row struct {
			Conversation string `json:"conversation"`
			Platform     string `json:"platform"`
			Dir          string `json:"dir"`
			To           string `json:"to"`
			KB           string `json:"kb"`
		}
		if err := json.Unmarshal([]byte(lines[1]), &row); err != nil {
			t.Fatal(err)
		}
		if row.Conversation != string(lineID) || row.Platform != "line" || row.Dir == "" || row.KB == "" {
			t.Errorf("row %+v", row)
		}
	})
	t.Run("a period as CSV", func(t *testing.T) {
		resp, body := c.get("/console/export.csv?since=2026-03-02&until=2026-03-02")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(recs[0], ","), "conversation,platform,time,dir,text,choices,from,to,kb,event,staff,unrecognized"; got != want {
			t.Errorf("header %q, want %q", got, want)
		}
		want := len(transcript(t, f, lineID)) + len(transcript(t, f, bot.ConversationOf(bot.Telegram, "700100200")))
		if got := len(recs) - 1; got != want {
			t.Errorf("%d rows, want %d", got, want)
		}
		if !strings.Contains(body, "'=HYPERLINK") {
			t.Error("a formula is not defused")
		}
	})
	t.Run("bad requests are explained", func(t *testing.T) {
		for q, want := range map[string]int{
			"":                                   http.StatusBadRequest,
			"?since=2026-03-02":                  http.StatusBadRequest,
			"?since=tuesday&until=2026-03-02":    http.StatusBadRequest,
			"?id=line:nobody":                    http.StatusNotFound,
			"?since=2026-03-05&until=2026-03-01": http.StatusBadRequest,
		} {
			if resp, _ := c.get("/console/export.csv" + q); resp.StatusCode != want {
				t.Errorf("%q: status %d, want %d", q, resp.StatusCode, want)
			}
		}
	})
	t.Run("exports are audited", func(t *testing.T) {
		_, body := c.get("/console/audit")
		if !strings.Contains(body, "export jsonl") || !strings.Contains(body, "export csv") {
			t.Error("no export in the audit")
		}
	})
}

var barTitle = regexp.MustCompile(`<title>([^<]*): (\d+)(?: \([^)]*\))?</title>`)

// bars reads the SVG charts' rows: "label: count" in order.
func bars(body string) []string {
	var out []string
	for _, m := range barTitle.FindAllStringSubmatch(body, -1) {
		label, _, _ := strings.Cut(html.UnescapeString(m[1]), " · ") // without the step id
		out = append(out, label+"="+m[2])
	}
	return out
}

func TestInsightsFunnel(t *testing.T) {
	f := newFixture(t)
	route, n := f.walk(t, bot.LINE, "U1111111111", "kg", 0) // finished
	if n < 3 {
		t.Fatalf("route %s has %d steps; the test needs 3", route, n)
	}
	f.walk(t, bot.LINE, "U2222222222", "kg", 2) // stopped at step 2
	f.send(t, bot.Telegram, "700100200", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100200", bot.KindChoice, "l:ru")
	f.send(t, bot.Telegram, "700100200", bot.KindText, "qwzx")
	f.send(t, bot.Telegram, "700100201", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100201", bot.KindChoice, "l:en")
	f.send(t, bot.Telegram, "700100201", bot.KindText, "  QWZX ")

	c := f.client(t)
	c.mustLogin("aiko")
	resp, body := c.get("/console/insights")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := strings.ToLower(strings.Join(bars(body), "\n"))
	want := []string{
		"started=4", "answered role=2", "answered location=2", "chose a route=2",
		"chose route " + route + "=2", "step 1=2", "step 2=2", "step 3=1",
		fmt.Sprintf("step %d=1", n), "finished=1",
		"qwzx=2",
	}
	for _, w := range want {
		if !strings.Contains(got+"\n", w+"\n") {
			t.Errorf("no bar %q in\n%s", w, got)
		}
	}
	if !strings.Contains(body, "−50%") {
		t.Error("no drop-off shown")
	}

	t.Run("the platform filter narrows the funnel", func(t *testing.T) {
		_, body := c.get("/console/insights?platform=telegram")
		if b := bars(body); len(b) == 0 || b[0] != "started=2" || strings.Contains(strings.Join(b, " "), "chose route") {
			t.Errorf("bars %v", b)
		}
	})
	t.Run("a period without activity is empty", func(t *testing.T) {
		_, body := c.get("/console/insights?since=2025-01-01&until=2025-01-31")
		if b := bars(body); len(b) == 0 || b[0] != "started=0" {
			t.Errorf("bars %v", b)
		}
	})
}

func TestTryIt(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	c.mustLogin("aiko")
	c.get("/console/try")
	resp, _ := c.post("/console/try", url.Values{"start": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, body := c.get("/console/try")
	if !strings.Contains(body, `name="choice" value="l:en"`) {
		t.Fatalf("no language buttons:\n%s", body)
	}
	c.post("/console/try", url.Values{"choice": {"l:en"}})
	_, body = c.get("/console/try")
	if !strings.Contains(body, `name="choice" value="r:employer"`) {
		t.Errorf("no role buttons after choosing English")
	}
	c.post("/console/try", url.Values{"text": {"hello?"}})
	id := bot.ConversationOf(bot.Console, "staff-aiko")
	es := transcript(t, f, id)
	if got, want := es[len(es)-2].Text, "hello?"; es[len(es)-2].Dir != bot.In || got != want {
		t.Errorf("entry %+v, want the typed text", es[len(es)-2])
	}
	_, body = c.get("/console/conversations?platform=console&ids=1")
	if got := listed(body); len(got) != 1 || got[0] != string(id) {
		t.Errorf("listed %v, want the try-it conversation", got)
	}
	c.post("/console/try", nil)
	_, body = c.get("/console/try")
	if !strings.Contains(body, "Type a message or press a button.") {
		t.Error("an empty submit is not explained")
	}
}

func TestLoginLockoutBehindAProxy(t *testing.T) {
	// fromAddr logs in as name with X-Forwarded-For set to xff.
	login := func(c *client, name, pw, xff string) int {
		c.tb.Helper()
		c.get("/console/login")
		form := url.Values{"name": {name}, "password": {pw}, "csrf": {c.csrf}}
		req, err := http.NewRequest("POST", c.base+"/console/login", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		resp, _ := c.do(req)
		return resp.StatusCode
	}
	// lockAddr failed logins with different names lock an address.
	const lockAddr = 20
	guessFrom := func(c *client, xff string) {
		for i := range lockAddr {
			if got := login(c, fmt.Sprintf("guess%d", i), "wrong", xff); got != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i+1, got)
			}
		}
	}

	trustLoopback := func(c *console.Config) {
		c.TrustedProxies, _ = console.ParseTrustedProxies("127.0.0.1, ::1")
	}
	t.Run("knowing a name locks it only from the guessing address", func(t *testing.T) {
		f := newFixtureWith(t, trustLoopback)
		c := f.client(t)
		for i := range 5 {
			if got := login(c, "aiko", "wrong", "203.0.113.7"); got != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i+1, got)
			}
		}
		if got, want := login(c, "aiko", password, "203.0.113.7"), http.StatusTooManyRequests; got != want {
			t.Errorf("aiko from the guessing address: status %d, want %d", got, want)
		}
		if got, want := login(f.client(t), "aiko", password, "198.51.100.1"), http.StatusSeeOther; got != want {
			t.Errorf("aiko from her own address: status %d, want %d", got, want)
		}
		f.clock.Advance(time.Minute) // the first delay is a minute
		if got, want := login(f.client(t), "aiko", password, "203.0.113.7"), http.StatusSeeOther; got != want {
			t.Errorf("aiko after the delay: status %d, want %d", got, want)
		}
	})
	t.Run("with trusted proxies the forwarded address is locked, not the proxy", func(t *testing.T) {
		f := newFixtureWith(t, trustLoopback)
		c := f.client(t)
		guessFrom(c, "203.0.113.7")
		if got, want := login(c, "aiko", password, "203.0.113.7"), http.StatusTooManyRequests; got != want {
			t.Errorf("the guessing address: status %d, want %d", got, want)
		}
		if got, want := login(c, "aiko", password, "203.0.113.7, 198.51.100.1"), http.StatusSeeOther; got != want {
			t.Errorf("another client through the same proxy: status %d, want %d", got, want)
		}
		_, body := c.get("/console/audit")
		if !strings.Contains(body, "from 203.0.113.7") {
			t.Error("the audit does not show the forwarded address")
		}
	})
	t.Run("a client cannot dodge the lock by forging the header", func(t *testing.T) {
		f := newFixtureWith(t, trustLoopback)
		c := f.client(t)
		for i := range lockAddr {
			login(c, fmt.Sprintf("guess%d", i), "wrong", fmt.Sprintf("10.9.9.%d, 203.0.113.7", i))
		}
		if got, want := login(c, "bek", password, "10.9.9.99, 203.0.113.7"), http.StatusTooManyRequests; got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	})
	t.Run("by default the header is ignored", func(t *testing.T) {
		f := newFixture(t)
		c := f.client(t)
		for i := range lockAddr {
			login(c, fmt.Sprintf("guess%d", i), "wrong", fmt.Sprintf("203.0.113.%d", i))
		}
		if got, want := login(c, "aiko", password, "198.51.100.1"), http.StatusTooManyRequests; got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	})
}

// TestInsightsShowThePushQuota: the month's LINE pushes against the limit.
func TestInsightsShowThePushQuota(t *testing.T) {
	for _, c := range []struct {
		u    bot.PushUsage
		want []string
	}{
		{bot.PushUsage{Month: "2026-12", Used: 12, Limit: 0}, []string{"2026-12", "<strong>12</strong> pushes, no monthly limit set"}},
		{bot.PushUsage{Month: "2026-12", Used: 930, Limit: 1000, Near: true}, []string{"of 1000 (93 %)", "nearly used"}},
		{bot.PushUsage{Month: "2026-12", Used: 1000, Limit: 1000, Near: true, Exhausted: true}, []string{"(100 %)", "used up"}},
	} {
		f := newFixtureWith(t, nil, func(d *console.Deps) {
			d.PushUsage = func(context.Context) (bot.PushUsage, error) { return c.u, nil }
		})
		cl := f.client(t)
		cl.mustLogin("aiko")
		_, body := cl.get("/console/insights")
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("usage %+v: insights lack %q", c.u, w)
			}
		}
	}
}
