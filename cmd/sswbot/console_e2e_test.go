package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"example.com/sswbot/internal/browsertest"
	"example.com/sswbot/store/redisstore/redistest"
)

func lineText(user, eventID, text string) []byte {
	return []byte(fmt.Sprintf(`{"destination":"Uab012345678901234567890123456789","events":[{"replyToken":"rt-%s","type":"message","mode":"active","timestamp":%d,"source":{"type":"user","userId":%q},"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"message":{"id":"1","type":"text","text":%q}}]}`,
		eventID, time.Now().UnixMilli(), user, eventID, text))
}

// TestConsoleLiveAcrossProcesses runs two serve processes on one Redis with
// fake LINE and Telegram APIs, and a staff member in real Chromium on the
// first: messages sent through the second's LINE webhook appear in the
// open conversation without a reload, composer replies reach the platform
// APIs, and what a colleague does on the second process (take over, note,
// reply) shows up live on the first. Notes never reach a user.
func TestConsoleLiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	api, apiURL := newFakeLINE(t)
	tg := newFakeBotAPI(t)
	staff := []string{"aiko", "bek"}
	a := startServe(t, serveOpts{lineAPI: apiURL, tgAPI: tg.srv.URL, redis: rs.URL(), staff: staff}).addr
	b := startServe(t, serveOpts{lineAPI: apiURL, redis: rs.URL(), staff: staff}).addr

	const lineUser = "U0123456789abcdef0123456789abc001"
	webhookB := func(body []byte) {
		t.Helper()
		if got := postLINE(t, b, body, sign(body)); got != http.StatusOK {
			t.Fatalf("LINE webhook on the second process: %d", got)
		}
	}
	webhookB(postback(lineUser, "01JLIVE0", "g:staff"))
	tgUser := tgUser{id: 5512300001, name: "Айгерим", lang: "ru"}
	tc := &tgConv{t: t, user: tgUser, deliver: pollDeliver(tg), nextID: 934500000}
	tc.command("/start")
	tc.command("/staff")

	ctx := browsertest.Start(t, 120*time.Second)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eventually := func(css, what string, ok func(string) bool) {
		t.Helper()
		browsertest.Eventually(t, ctx, css, what, ok)
	}
	contains := func(s string) func(string) bool { return func(got string) bool { return strings.Contains(got, s) } }
	run("open the login", chromedp.Navigate("http://"+a+"/console/login"))
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("name"), "aiko"), chromedp.SendKeys(chromedp.ID("password"), staffPassword)); err != nil {
		t.Fatal(err)
	}
	run("log in", chromedp.Click(chromedp.CSS(".login button")))
	eventually("#waiting", "the hand-off counter", func(s string) bool { return s == "2" })

	linePage := "/console/conversations/" + url.PathEscape("line:"+lineUser)
	run("open the LINE conversation", chromedp.Navigate("http://"+a+linePage))
	iso, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#thread time').getAttribute('datetime')`))
	if err != nil || !strings.HasSuffix(iso, "+09:00") {
		t.Errorf("times are not in Asia/Tokyo: %q (%v)", iso, err)
	}

	// A message through the other process's webhook appears by itself.
	webhookB(lineText(lineUser, "01JLIVE1", "明日の面接について相談したいです"))
	eventually("#thread", "the message from the LINE webhook", contains("明日の面接について相談したいです"))

	// The composer's reply reaches the LINE push API.
	run("take over", chromedp.Click(chromedp.CSS(`form[action$="/takeover"] button`)))
	before := len(api.all())
	const aikoReply = "担当の相川です。明日の面接の件、承知しました。"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("reply-text"), aikoReply)); err != nil {
		t.Fatal(err)
	}
	run("send the reply", chromedp.Click(chromedp.CSS(".reply button")))
	waitFor(t, "the composer's reply at the LINE push API", func() bool { return linePushed(api.all()[before:], lineUser, aikoReply) })

	// A colleague on the other process sees the take-over, writes a note,
	// takes over and replies: the first process shows each live.
	bek, csrfOf := staffClient(t, b, "bek")
	post := func(action string, form url.Values) {
		t.Helper()
		form.Set("csrf", csrfOf(linePage))
		resp, err := bek.PostForm("http://"+b+linePage+"/"+action, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s on the second process: status %d", action, resp.StatusCode)
		}
	}
	if resp, err := bek.Get("http://" + b + linePage); err != nil {
		t.Fatal(err)
	} else {
		body := readAll(t, resp)
		if !strings.Contains(body, "owned by aiko") {
			t.Errorf("the second process does not show aiko's take-over")
		}
	}
	const note = "Interview tomorrow 10:00 in Osaka; employer prefers phone."
	post("note", url.Values{"note": {note}})
	eventually("#side .notes", "bek's note on the first process", contains(note))
	post("takeover", url.Values{"from": {"aiko"}})
	eventually("#compose-state", "bek's take-over on the first process", contains("Owned by bek"))
	const bekReply = "代わりに別府が対応します。"
	before = len(api.all())
	post("reply", url.Values{"text": {bekReply}})
	waitFor(t, "bek's reply at the LINE push API", func() bool { return linePushed(api.all()[before:], lineUser, bekReply) })
	eventually("#thread", "bek's reply on the first process", contains(bekReply))

	// The composer's reply reaches the Telegram API.
	tgPage := "/console/conversations/" + url.PathEscape("telegram:"+strconv.FormatInt(tgUser.id, 10))
	run("open the Telegram conversation", chromedp.Navigate("http://"+a+tgPage))
	run("take over", chromedp.Click(chromedp.CSS(`form[action$="/takeover"] button`)))
	n := len(tg.all())
	const tgReply = "Здравствуйте! Я сотрудник поддержки."
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("reply-text"), tgReply)); err != nil {
		t.Fatal(err)
	}
	run("send the reply", chromedp.Click(chromedp.CSS(".reply button")))
	waitFor(t, "the composer's reply at the Telegram API", func() bool {
		for _, c := range callsOf(tg.since(n), "sendMessage") {
			if c.Form.Get("chat_id") == strconv.FormatInt(tgUser.id, 10) && strings.Contains(c.text(), tgReply) {
				return true
			}
		}
		return false
	})

	for _, r := range api.all() {
		texts, _ := r.messages()
		if strings.Contains(strings.Join(texts, ""), "Osaka") {
			t.Errorf("a note reached LINE: %v", texts)
		}
	}
	for _, c := range tg.all() {
		if strings.Contains(c.text(), "Osaka") {
			t.Errorf("a note reached Telegram: %q", c.text())
		}
	}
}

func linePushed(reqs []lineRequest, user, text string) bool {
	for _, r := range reqs {
		texts, _ := r.messages()
		if r.Path == "/v2/bot/message/push" && r.Body["to"] == user && strings.Contains(strings.Join(texts, ""), text) {
			return true
		}
	}
	return false
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
