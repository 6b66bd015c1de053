package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/redisstore/redistest"
)

// TestSharedCaseAcrossLINEAndTelegram is issue 14's end-to-end path through
// the real serve, with the fake LINE and Telegram APIs and a real Redis: an
// employer on LINE (ja) invites, a worker on Telegram (ky) joins with the
// deep link, each marks a step and the other is notified in their own
// language, a redelivered mark notifies once, the worker leaves and the
// employer is told, and forgetting the worker leaves the employer intact.
func TestSharedCaseAcrossLINEAndTelegram(t *testing.T) {
	t.Parallel()
	o, lineAPI, tg := caseServe(t)
	o.env = map[string]string{"SSWBOT_PUBLIC_URL": "https://bot.example/"}
	base := startServe(t, o).addr
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}

	// The employer: follow (LINE's profile says "Tanaka"), then a route.
	follow, _ := os.ReadFile("testdata/line/follow.json")
	if got := postLINE(t, base, follow, sign(follow)); got != http.StatusOK {
		t.Fatalf("follow: %d", got)
	}
	const employer = "u206d25c2ea6bd87c17655609a1c37cb8"
	press := lineAPI.presser(t, base, employer, "01JCASE")
	for _, p := range []string{"r:employer", "w:kg", "rt:direct", "n:A.1.1"} {
		press(p)
	}
	invite := strings.Join(press("ci"), "\n")
	m := regexp.MustCompile(`https://t\.me/ssw_guide_bot\?start=([2-9A-HJ-NP-Z]{10})`).FindStringSubmatch(invite)
	if m == nil {
		t.Fatalf("the invite has no deep link with a code:\n%s", invite)
	}
	code := m[1]
	// The invite's QR code: a LINE image message of our own HTTPS path,
	// served only while the code is live, never cached.
	var image string
	for _, r := range lineAPI.all() {
		msgs, _ := r.Body["messages"].([]any)
		for _, mm := range msgs {
			if m := mm.(map[string]any); m["type"] == "image" {
				image, _ = m["originalContentUrl"].(string)
			}
		}
	}
	if want := "https://bot.example/qr/" + code + ".png"; image != want {
		t.Errorf("the invite's image is %q, want %q", image, want)
	}
	qr := func() (int, string, string) {
		resp, err := http.Get("http://" + base + "/qr/" + code + ".png")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Cache-Control"), string(b[:min(len(b), 8)])
	}
	if st, cc, head := qr(); st != http.StatusOK || cc != "no-store" || head != "\x89PNG\r\n\x1a\n" {
		t.Errorf("GET the live code's QR: %d, Cache-Control %q, starts %q; want a PNG, no-store", st, cc, head)
	}
	if !strings.Contains(invite, "/join "+code) {
		t.Errorf("the invite does not show the code itself:\n%s", invite)
	}

	// pushes returns the texts LINE was asked to push from request i on.
	pushes := func(from int) []string {
		var out []string
		for _, r := range lineAPI.all()[from:] {
			if r.Path == "/v2/bot/message/push" && !r.Refused {
				texts, _ := r.messages()
				out = append(out, strings.Join(texts, "\n"))
			}
		}
		return out
	}
	waitPush := func(from int, want string) string {
		t.Helper()
		var got string
		waitFor(t, "a LINE push with "+want, func() bool {
			for _, p := range pushes(from) {
				if strings.Contains(p, want) {
					got = p
					return true
				}
			}
			return false
		})
		return got
	}

	// The worker opens the deep link: /start CODE, in Kyrgyz.
	worker := tgUser{id: 5512349999, name: "Айбек", lang: "ky"}
	c := &tgConv{t: t, user: worker, deliver: webhookDeliver(tg, base), nextID: 934200000}
	consent := c.command("/start " + code)
	if !strings.Contains(consent.text(), "Tanaka") || !strings.Contains(consent.text(), "бөлүшөсүзбү") {
		t.Fatalf("the consent question does not name the organisation in Kyrgyz:\n%s", consent.text())
	}
	lines := len(lineAPI.all())
	c.press("jy:" + code)
	if st, _, _ := qr(); st != http.StatusNotFound {
		t.Errorf("GET the used code's QR: %d, want 404", st)
	}
	joined := waitPush(lines, "Айбек")
	if !strings.Contains(joined, "参加しました") {
		t.Errorf("the employer's join notice is not Japanese: %q", joined)
	}

	// The employer marks A.4 done: the worker is told in Kyrgyz, A.5 next.
	sends := len(callsOf(tg.all(), "sendMessage"))
	press("cd:A.4")
	var note string
	waitFor(t, "the worker's notification", func() bool {
		for _, s := range callsOf(tg.all(), "sendMessage")[sends:] {
			if strings.Contains(s.text(), "(A.4)") {
				note = s.text()
				return true
			}
		}
		return false
	})
	for _, want := range []string{"Иш берүүчүңүз (Tanaka) билдирет", kb.UIText("case_state_done", "ky"),
		"Кийинки кадам: Визага арыз берүү (A.5)", "Япониянын Кыргыз Республикасындагы Элчилиги", "A.4, A.5"} {
		if !strings.Contains(note, want) {
			t.Errorf("the worker's notification lacks %q:\n%s", want, note)
		}
	}

	// The worker walks to A.5 and marks it: the employer is told in Japanese.
	c.press("n:A.1.1")
	c.press("n:A.4")
	lines = len(lineAPI.all())
	c.press("cd:A.5")
	mark := c.updates[len(c.updates)-1]
	report := waitPush(lines, "（A.5）")
	for _, want := range []string{"採用予定の方（Айбек）からの報告", "査証発給申請（A.5） — 完了", "次の手続：", "（A.6）"} {
		if !strings.Contains(report, want) {
			t.Errorf("the employer's notification lacks %q:\n%s", want, report)
		}
	}
	// Telegram delivers the mark again: no second answer, no second notice.
	// (The first handler answers before it records the delivery, so a copy
	// sent at once may find the event's lease still held: it gets a 503
	// and, like Telegram, tries again a moment later.)
	sends = len(callsOf(tg.all(), "sendMessage"))
	for attempt := 0; ; attempt++ {
		got := postWebhook(t, base, mark, tgSecret)
		if got == http.StatusOK {
			break
		}
		if got != http.StatusServiceUnavailable || attempt == 50 {
			t.Fatalf("redelivered mark: %d", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := callsOf(tg.all(), "sendMessage")[sends:]; len(got) != 0 {
		t.Errorf("the redelivered mark was answered again: %q", got[0].text())
	}

	// The worker leaves: the employer is told (after the one A.5 notice:
	// the outbox keeps order, so a second one would have come first).
	c.press("chg")
	c.press("cl")
	left := waitPush(lines, "退出しました")
	if !strings.Contains(left, "Айбек") {
		t.Errorf("the leave notice does not name the worker: %q", left)
	}
	a5 := 0
	for _, p := range pushes(lines) {
		a5 += strings.Count(p, "（A.5）")
	}
	if a5 != 1 {
		t.Errorf("the employer got the A.5 notice %d times, want once", a5)
	}

	// Forget on the worker's side: the employer's conversation is intact.
	c.press("g:forget")
	c.press("fy")
	status := strings.Join(press("cs"), "\n")
	if strings.Contains(status, "Айбек") || !strings.Contains(status, "査証発給申請（A.5） — 完了") {
		t.Errorf("after the worker forgot, the employer sees:\n%s", status)
	}

	// The console lists the case: the employer masked, the worker detached,
	// the progress and what happened; the transcripts hold the case events.
	staff, _ := staffClient(t, base, "aiko")
	page := func(path string) string {
		t.Helper()
		resp, err := staff.Get("http://" + base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	cases := page("/console/cases")
	for _, want := range []string{"2 of 4 done", "A.5: done", "1 side(s) left", "A.4: done", "joined", "left"} {
		if !strings.Contains(cases, want) {
			t.Errorf("the cases page lacks %q", want)
		}
	}
	if strings.Contains(cases, "Айбек") || strings.Contains(cases, "Tanaka") {
		t.Errorf("the cases page shows a name unmasked")
	}
	conv := page("/console/conversations/" + url.PathEscape("line:"+employer))
	if !strings.Contains(conv, "A.4 marked done") {
		t.Errorf("the employer's transcript lacks the case event")
	}
}

// TestOutboxNotificationFailedHereIsSentByAnotherProcess: two serve
// processes on one Redis; the employer marks A.4 through the first, whose
// Telegram API is down, so its own drain fails; the second process sends
// the worker's notification at its next poll (within outboxPoll).
func TestOutboxNotificationFailedHereIsSentByAnotherProcess(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	lineAPI, lineURL := newFakeLINE(t)
	tgA, tgB := newFakeBotAPI(t), newFakeBotAPI(t)
	opts := func(tg *fakeBotAPI) serveOpts {
		return serveOpts{lineAPI: lineURL, tgAPI: tg.srv.URL, webhook: true, redis: rs.URL()}
	}
	a, b := startServe(t, opts(tgA)).addr, startServe(t, opts(tgB)).addr
	tgA.mu.Lock()
	tgA.down = true
	tgA.mu.Unlock()

	follow, _ := os.ReadFile("testdata/line/follow.json")
	if got := postLINE(t, a, follow, sign(follow)); got != http.StatusOK {
		t.Fatalf("follow: %d", got)
	}
	const employer = "u206d25c2ea6bd87c17655609a1c37cb8"
	press := lineAPI.presser(t, a, employer, "01JOUTBOX")
	for _, p := range []string{"r:employer", "w:kg", "rt:direct", "n:A.1.1"} {
		press(p)
	}
	m := regexp.MustCompile(`start=([2-9A-HJ-NP-Z]{10})`).FindStringSubmatch(strings.Join(press("ci"), "\n"))
	if m == nil {
		t.Fatal("the invite has no deep link with a code")
	}
	// The worker talks to the second process's webhook.
	c := &tgConv{t: t, user: tgUser{id: 5512340014, name: "Aibek", lang: "en"}, deliver: webhookDeliver(tgB, b), nextID: 934400000}
	c.command("/start " + m[1])
	c.press("jy:" + m[1])

	sent := func(tg *fakeBotAPI) (calls []tgCall) {
		for _, s := range callsOf(tg.all(), "sendMessage") {
			if strings.Contains(s.text(), "(A.4)") && s.Form.Get("chat_id") == "5512340014" {
				calls = append(calls, s)
			}
		}
		return calls
	}
	press("cd:A.4")
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range tgA.all() {
				t.Logf("A: %s %s", c.Method, c.text())
			}
			for _, c := range tgB.all() {
				t.Logf("B: %s %s", c.Method, c.text())
			}
		}
	})
	// The first process's drain follows its commit at once; only a poll of
	// the second falling in between could take the entry first.
	waitFor(t, "the first process's failed try", func() bool { return len(sent(tgA)) > 0 || len(sent(tgB)) > 0 })
	if len(sent(tgA)) == 0 {
		t.Skip("the second process's poll took the entry before the first process tried it")
	}
	failedAt := time.Now()
	waitFor(t, "the notification from the second process", func() bool { return len(sent(tgB)) > 0 })
	if d := time.Since(failedAt); d > outboxPoll+2*time.Second {
		t.Errorf("the second process sent it %v after the first failed; want within the poll (%v)", d, outboxPoll)
	}
	time.Sleep(outboxPoll + time.Second) // a double would come by now
	if got := len(sent(tgB)); got != 1 {
		t.Errorf("the second process sent the notification %d times, want once", got)
	}
}

// TestTelegramInviteCarriesItsQRCode: a supporter on Telegram invites, the
// answer given in the webhook's response: the text (link and code) is the
// response, and the QR code goes by sendPhoto with our /qr/ URL first.
func TestTelegramInviteCarriesItsQRCode(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	tg := newFakeBotAPI(t)
	base := startServe(t, serveOpts{
		tgAPI: tg.srv.URL, webhook: true, redis: rs.URL(),
		env: map[string]string{"SSWBOT_PUBLIC_URL": "https://bot.example/"},
	}).addr
	c := &tgConv{t: t, user: tgUser{id: 5512340015, name: "Bakyt", lang: "en"}, deliver: webhookDeliver(tg, base), nextID: 934500100}
	c.command("/start")
	for _, p := range []string{"r:other", "w:kg", "rt:direct", "n:A.1.1"} {
		c.press(p)
	}
	photos := len(callsOf(tg.all(), "sendPhoto"))
	invite := c.press("ci")
	m := regexp.MustCompile(`start=([2-9A-HJ-NP-Z]{10})`).FindStringSubmatch(invite.text())
	if m == nil || !strings.Contains(invite.text(), "/join "+m[1]) {
		t.Fatalf("the invite lacks the link or the code:\n%s", invite.text())
	}
	got := callsOf(tg.all(), "sendPhoto")[photos:]
	if want := "https://bot.example/qr/" + m[1] + ".png"; len(got) != 1 || got[0].Form.Get("photo") != want {
		t.Errorf("sendPhoto calls %+v; want one with %s", got, want)
	}
}

// caseServe starts a real Redis and the fake LINE and Telegram (webhook)
// APIs and returns serve's wiring to them, with the console user aiko.
func caseServe(t *testing.T) (serveOpts, *fakeLINE, *fakeBotAPI) {
	t.Helper()
	rs := redistest.Start(t)
	lineAPI, lineURL := newFakeLINE(t)
	tg := newFakeBotAPI(t)
	return serveOpts{lineAPI: lineURL, tgAPI: tg.srv.URL, webhook: true, redis: rs.URL(), staff: []string{"aiko"}}, lineAPI, tg
}
