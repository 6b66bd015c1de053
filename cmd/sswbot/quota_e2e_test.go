package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLINEPushQuotaHoldsNotifications is issue 14's push quota through the
// real serve, the fake LINE (a plan of 1,000 pushes, read at start) and
// Telegram APIs and a real Redis, with SSWBOT_LINE_PUSH_MONTHLY_LIMIT=3:
// the employer's first three notifications are pushed, the fourth and
// fifth are held; the employer's next message gets both, merged into one
// message before the answer, in the free reply; a redelivery of that
// message sends nothing more, and the message after it does not repeat
// them. The console shows the month's 3 of 3.
func TestLINEPushQuotaHoldsNotifications(t *testing.T) {
	t.Parallel()
	o, lineAPI, tg := caseServe(t)
	lineAPI.mu.Lock()
	lineAPI.limit = 1000
	lineAPI.mu.Unlock()
	o.env = map[string]string{"SSWBOT_LINE_PUSH_MONTHLY_LIMIT": "3"}
	base := startServe(t, o).addr

	const employer = "u206d25c2ea6bd87c17655609a1c37cb8"
	// send posts one event and returns LINE's reply request for it.
	send := func(body []byte) lineRequest {
		t.Helper()
		return lineAPI.replyTo(t, base, body)
	}
	press := lineAPI.presser(t, base, employer, "01JQUOTA")
	// A fresh follow: its reply token is young enough to be used (an old
	// one is pushed, which would count).
	follow, _ := os.ReadFile("testdata/line/follow.json")
	follow = []byte(strings.Replace(string(follow), "1462629479859", strconv.FormatInt(time.Now().UnixMilli(), 10), 1))
	if got := postLINE(t, base, follow, sign(follow)); got != http.StatusOK {
		t.Fatalf("follow: %d", got)
	}
	for _, p := range []string{"r:employer", "w:kg", "rt:direct", "n:A.1.1"} {
		press(p)
	}
	texts := press("ci")
	m := regexp.MustCompile(`start=([2-9A-HJ-NP-Z]{10})`).FindStringSubmatch(strings.Join(texts, "\n"))
	if m == nil {
		t.Fatalf("no invite code in %q", texts)
	}
	pushes := func() []lineRequest {
		var out []lineRequest
		for _, r := range lineAPI.all() {
			if r.Path == "/v2/bot/message/push" && !r.Refused {
				out = append(out, r)
			}
		}
		return out
	}

	worker := tgUser{id: 5512340001, name: "Айбек", lang: "ky"}
	c := &tgConv{t: t, user: worker, deliver: webhookDeliver(tg, base), nextID: 934300000}
	c.command("/start " + m[1])
	c.press("jy:" + m[1])
	c.press("n:A.1.1")
	c.press("n:A.4")
	c.press("cp:A.5")
	c.press("cd:A.5")
	waitFor(t, "three pushes to the employer", func() bool { return len(pushes()) == 3 })

	staff, _ := staffClient(t, base, "aiko")
	page := func(path string) string {
		t.Helper()
		resp, err := staff.Get("http://" + base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	conv := "/console/conversations/" + url.PathEscape("line:"+employer)
	c.press("n:A.5")
	c.press("cp:A.6")
	c.press("cd:A.6")
	waitFor(t, "two notifications held", func() bool {
		return strings.Count(page(conv), "case notification held") == 2
	})
	time.Sleep(100 * time.Millisecond) // nothing more may come
	if got := len(pushes()); got != 3 {
		t.Fatalf("%d pushes; want 3 (the limit)", got)
	}

	// The employer writes: the reply carries both notes, first, once.
	hello := lineText(employer, "01JQUOTAHELLO00000000000001", "こんにちは")
	reply := send(hello)
	texts, data := reply.messages()
	if len(texts) > 5 || len(texts) < 2 {
		t.Fatalf("the reply has %d messages: %q", len(texts), texts)
	}
	if got := strings.Count(texts[0], "（A.6）"); got < 2 || !strings.Contains(texts[0], "対応中") || !strings.Contains(texts[0], "完了") {
		t.Errorf("the first message is not both held notes merged:\n%s", texts[0])
	}
	for _, t2 := range texts[1:] {
		if strings.Contains(t2, "Айбек") {
			t.Errorf("a held note outside the first message: %q", t2)
		}
	}
	if len(data) == 0 {
		t.Error("the answer, last, lost its buttons")
	}
	// LINE delivers it again (its handler may still hold the lease: 503,
	// retried as LINE would): nothing more is sent.
	before := len(lineAPI.all())
	waitFor(t, "the redelivery acknowledged", func() bool { return postLINE(t, base, hello, sign(hello)) == http.StatusOK })
	for _, r := range lineAPI.all()[before:] {
		texts, _ := r.messages()
		if strings.Contains(strings.Join(texts, ""), "Айбек") {
			t.Errorf("the redelivery sent the held notes again (%s)", r.Path)
		}
	}
	next, _ := send(lineText(employer, "01JQUOTAHELLO00000000000002", "こんにちは")).messages()
	if strings.Contains(strings.Join(next, ""), "Айбек") {
		t.Errorf("the next message got the held notes again: %q", next)
	}
	if got := len(pushes()); got != 3 {
		t.Errorf("%d pushes; want still 3", got)
	}
	if ins := page("/console/insights"); !strings.Contains(ins, "<strong>3</strong> pushes of 3 (100 %)") {
		t.Errorf("insights do not show 3 of 3 pushes")
	}
}
