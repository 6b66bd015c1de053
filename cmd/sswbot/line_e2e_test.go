package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/knowledge"
)

const lineSecret = "testsecret"

// fakeLINE records what sswbot sends to the LINE Messaging API and answers
// like LINE does.
type fakeLINE struct {
	mu       sync.Mutex
	requests []lineRequest
	seenKeys map[string]bool
	// links are the rich menus users were linked to ("user → menu id"),
	// kept apart from the messages the tests count.
	links []string
	// limit is the channel's monthly push quota (0: none) and pushed the
	// pushes accepted this month, as GET /v2/bot/message/quota and
	// /quota/consumption report them; a push beyond the limit is refused
	// with LINE's 429.
	limit, pushed int64
}

type lineRequest struct {
	Path     string
	RetryKey string
	Body     map[string]any
	Refused  bool // a repeated retry key, answered 409 like LINE does
}

func newFakeLINE(t *testing.T) (*fakeLINE, string) {
	f := &fakeLINE{seenKeys: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer test-token" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Authentication failed"}`)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v2/bot/profile/") {
			io.WriteString(w, `{"userId":"U1","displayName":"Tanaka","language":"ja"}`)
			return
		}
		// The rich menus `sswbot line setup` made: alias sswbot-<lang> is
		// menu richmenu-<lang>.
		if alias, ok := strings.CutPrefix(r.URL.Path, "/v2/bot/richmenu/alias/sswbot-"); ok && r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"richMenuAliasId":"sswbot-%s","richMenuId":"richmenu-%s"}`, alias, alias)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v2/bot/user/"); ok && r.Method == http.MethodPost && strings.Contains(rest, "/richmenu/") {
			user, menu, _ := strings.Cut(rest, "/richmenu/")
			f.mu.Lock()
			f.links = append(f.links, user+" → "+menu)
			f.mu.Unlock()
			io.WriteString(w, `{}`)
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/v2/bot/message/quota" {
			f.mu.Lock()
			if f.limit > 0 {
				fmt.Fprintf(w, `{"type":"limited","value":%d}`, f.limit)
			} else {
				io.WriteString(w, `{"type":"none"}`)
			}
			f.mu.Unlock()
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/v2/bot/message/quota/consumption" {
			f.mu.Lock()
			fmt.Fprintf(w, `{"totalUsage":%d}`, f.pushed)
			f.mu.Unlock()
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		key := r.Header.Get("X-Line-Retry-Key")
		f.mu.Lock()
		if r.URL.Path == "/v2/bot/message/push" && f.limit > 0 && f.pushed >= f.limit && !f.seenKeys[key] {
			f.mu.Unlock()
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"You have reached your monthly limit."}`)
			return
		}
		dup := key != "" && f.seenKeys[key]
		f.requests = append(f.requests, lineRequest{Path: r.URL.Path, RetryKey: key, Body: body, Refused: dup})
		if key != "" {
			f.seenKeys[key] = true
		}
		if r.URL.Path == "/v2/bot/message/push" && !dup {
			f.pushed++
		}
		f.mu.Unlock()
		if dup {
			w.Header().Set("x-line-accepted-request-id", "first")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"message":"The retry key is already accepted"}`)
			return
		}
		io.WriteString(w, `{"sentMessages":[{"id":"1","quoteToken":"q"}]}`)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeLINE) all() []lineRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lineRequest(nil), f.requests...)
}

// replyTo posts body, signed, to serve's LINE webhook at base and returns
// the reply request it caused; the test fails without one.
func (f *fakeLINE) replyTo(t *testing.T, base string, body []byte) lineRequest {
	t.Helper()
	before := len(f.all())
	if got := postLINE(t, base, body, sign(body)); got != http.StatusOK {
		t.Fatalf("LINE webhook: %d", got)
	}
	reqs := f.all()[before:]
	for _, r := range reqs {
		if r.Path == "/v2/bot/message/reply" {
			return r
		}
	}
	t.Fatalf("no reply among %+v", reqs)
	return lineRequest{}
}

// presser returns a function that presses a button (postback data) as
// user through serve at base and returns the texts of the reply. Event ids
// are prefix and a count, 26 characters like LINE's.
func (f *fakeLINE) presser(t *testing.T, base, user, prefix string) func(data string) []string {
	n := 0
	return func(data string) []string {
		t.Helper()
		n++
		texts, _ := f.replyTo(t, base, postback(user, fmt.Sprintf("%s%0*d", prefix, 26-len(prefix), n), data)).messages()
		return texts
	}
}

// messages returns the texts and the quick-reply postback data of request i.
func (r lineRequest) messages() (texts []string, data []string) {
	msgs, _ := r.Body["messages"].([]any)
	for _, m := range msgs {
		mm := m.(map[string]any)
		if mm["type"] == "flex" {
			// a card: every text of the bubble
			texts = append(texts, strings.Join(flexTexts(mm["contents"]), "\n"))
		} else {
			texts = append(texts, fmt.Sprint(mm["text"]))
		}
		if qr, ok := mm["quickReply"].(map[string]any); ok {
			for _, it := range qr["items"].([]any) {
				a := it.(map[string]any)["action"].(map[string]any)
				data = append(data, fmt.Sprint(a["data"]))
			}
		}
	}
	return texts, data
}

// flexTexts lists the texts and the URIs of a Flex container, in order.
func flexTexts(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok && x["type"] == "text" {
			out = append(out, t)
		}
		if a, ok := x["action"].(map[string]any); ok && a["uri"] != nil {
			out = append(out, fmt.Sprint(a["uri"])) // what a tap opens
		}
		for _, k := range []string{"header", "hero", "body", "footer", "contents"} {
			out = append(out, flexTexts(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, flexTexts(e)...)
		}
	}
	return out
}

func sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(lineSecret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func postLINE(t *testing.T, base string, body []byte, signature string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+base+"/line/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Line-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func postback(user, eventID, data string) []byte {
	return []byte(fmt.Sprintf(`{"destination":"Uab012345678901234567890123456789","events":[{"replyToken":"rt-%s","type":"postback","mode":"active","timestamp":%d,"source":{"type":"user","userId":%q},"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"postback":{"data":%q}}]}`,
		eventID, time.Now().UnixMilli(), user, eventID, data))
}

// waitFor polls until cond holds or fails the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLINEWalksARouteInJapanese(t *testing.T) {
	t.Parallel()
	api, apiURL := newFakeLINE(t)
	s := startServe(t, serveOpts{lineAPI: apiURL, staff: []string{"aiko"}, env: map[string]string{"SSWBOT_LOG_LEVEL": "debug"}})
	base, logs := s.addr, s.logs
	defer func() {
		// Logs carry no secrets, user ids or message texts, even at debug.
		for _, secret := range []string{lineSecret, "test-token", "u206d25c2ea6bd87c17655609a1c37cb8", "Hello, world", "r:employer"} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the log contains %q", secret)
			}
		}
	}()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}

	// LINE's console "Verify" and the real fixtures.
	verify, _ := os.ReadFile("testdata/line/verify.json")
	if got := postLINE(t, base, verify, sign(verify)); got != http.StatusOK {
		t.Fatalf("verify: %d", got)
	}
	follow, _ := os.ReadFile("testdata/line/follow.json")
	if got := postLINE(t, base, follow, sign(follow)); got != http.StatusOK {
		t.Fatalf("follow: %d", got)
	}
	reqs := api.all()
	// The fixture is years old, so its reply token has expired: push.
	if len(reqs) != 1 || reqs[0].Path != "/v2/bot/message/push" || reqs[0].RetryKey == "" {
		t.Fatalf("after follow the API saw %+v", reqs)
	}
	texts, data := reqs[0].messages()
	if !strings.Contains(strings.Join(texts, "\n"), kb.UIText("ask_role", "ja")) {
		t.Fatalf("the greeting is not Japanese: %q", texts)
	}
	// Walk: employer, in Kyrgyzstan, through the Employment Center, to the end.
	user := "u206d25c2ea6bd87c17655609a1c37cb8"
	n := 0
	pressLINE := func(prefix string) []string {
		t.Helper()
		for _, d := range data {
			if strings.HasPrefix(d, prefix) {
				n++
				before := len(api.all())
				body := postback(user, fmt.Sprintf("01JE2E%020d", n), d)
				if got := postLINE(t, base, body, sign(body)); got != http.StatusOK {
					t.Fatalf("postback %s: %d", d, got)
				}
				reqs := api.all()
				if len(reqs) != before+1 {
					t.Fatalf("postback %s: %d API calls, want 1", d, len(reqs)-before)
				}
				var texts []string
				texts, data = reqs[len(reqs)-1].messages()
				if len(data) == 0 && prefix != "fin:" {
					t.Fatalf("no quick-reply buttons after %s", d)
				}
				return texts
			}
		}
		t.Fatalf("no button %q among %v", prefix, data)
		return nil
	}
	pressLINE("r:employer")
	pressLINE("w:kg")
	got := pressLINE("rt:center")
	if want := "1/5"; !strings.Contains(strings.Join(got, "\n"), want) {
		t.Fatalf("the first step does not say %q: %q", want, got)
	}
	for i := 0; i < 4; i++ {
		pressLINE("n:")
	}
	final := strings.Join(pressLINE("fin:"), "\n")
	if !strings.Contains(final, strings.Split(kb.UIText("done", "ja"), "。")[0]) {
		t.Fatalf("the route did not finish:\n%s", final)
	}
	// The language the follow set (LINE's profile said ja) got its rich
	// menu, once, after the greeting.
	// It is linked after the answer, off the webhook's path: wait for it.
	var links []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		api.mu.Lock()
		links = append([]string(nil), api.links...)
		api.mu.Unlock()
		if len(links) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(links) != 1 || links[0] != user+" → richmenu-ja" {
		t.Errorf("rich menu links %q, want one to richmenu-ja", links)
	}
	contacts := strings.Join(pressLINE("g:contacts"), "\n")
	for _, fact := range sourceFacts {
		if !strings.Contains(contacts, fact) {
			t.Errorf("contacts lack %q", fact)
		}
	}

	// A redelivered event gets no second reply (every attempt counts, even
	// one LINE would refuse for its retry key).
	calls := len(api.all())
	text := []byte(fmt.Sprintf(`{"destination":"Uab012345678901234567890123456789","events":[{"replyToken":"rt-text","type":"message","mode":"active","timestamp":%d,"source":{"type":"user","userId":%q},"webhookEventId":"01JTEXT0000000000000000001","deliveryContext":{"isRedelivery":false},"message":{"id":"1","type":"text","text":"ビザ"}}]}`, time.Now().UnixMilli(), user))
	redelivery := bytes.Replace(text, []byte(`"isRedelivery":false`), []byte(`"isRedelivery":true`), 1)
	if got := postLINE(t, base, text, sign(text)); got != http.StatusOK {
		t.Fatalf("text: %d", got)
	}
	// The first handler answers LINE before it records the delivery, so
	// a copy sent at once may find the event's lease still held: it gets
	// a 503 and, like LINE, tries again a moment later.
	for attempt := 0; ; attempt++ {
		got := postLINE(t, base, redelivery, sign(redelivery))
		if got == http.StatusOK {
			break
		}
		if got != http.StatusServiceUnavailable || attempt == 50 {
			t.Fatalf("redelivery: %d", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := api.all()[calls:]; len(got) != 1 || got[0].Path != "/v2/bot/message/reply" {
		t.Fatalf("text + its redelivery caused %d API calls (%+v), want one reply", len(got), got)
	}

	// Bad input changes nothing and sends nothing.
	calls = len(api.all())
	bad := postback("Ubadbadbadbadbadbadbadbadbadbadbad", "01JBAD", "r:worker")
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"a bad signature", bad, sign([]byte("other")), http.StatusBadRequest},
		{"no signature", bad, "", http.StatusBadRequest},
		{"broken JSON", []byte(`{"events":[`), sign([]byte(`{"events":[`)), http.StatusBadRequest},
		{"an oversized body", bytes.Repeat([]byte(" "), 2<<20), sign(bytes.Repeat([]byte(" "), 2<<20)), http.StatusRequestEntityTooLarge},
	} {
		if got := postLINE(t, base, tc.body, tc.sig); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := len(api.all()); got != calls {
		t.Fatalf("bad requests caused %d API calls", got-calls)
	}
	staff, _ := staffClient(t, base, "aiko")
	for id, want := range map[string]int{"line:Ubadbadbadbadbadbadbadbadbadbadbad": http.StatusNotFound, "line:" + user: http.StatusOK} {
		resp, err := staff.Get("http://" + base + "/console/conversations/" + url.PathEscape(id))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("the console shows %s with %d, want %d", id, resp.StatusCode, want)
		}
	}
	admin := adminOf(t, base)
	for url, want := range map[string]string{
		base + "/healthz": "ok", base + "/readyz": "ready",
		admin + "/metrics": `sswbot_events_total{kind="choice",outcome="ok",platform="line"}`,
	} {
		resp, err := http.Get("http://" + url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d, body lacks %q", url, resp.StatusCode, want)
		}
	}
	if resp, err := http.Get("http://" + base + "/metrics"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener: %d, want 404 (it is on the admin listener)", resp.StatusCode)
	}
	resp, err := http.Get("http://" + base + "/line/webhook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /line/webhook: %d, want 405", resp.StatusCode)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// staffClient logs in to the console as name (with staffPassword) and
// returns a client with the session cookie and a function that finds the
// CSRF token on a page.
func staffClient(t *testing.T, base, name string) (*http.Client, func(path string) string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrfOf := func(path string) string {
		t.Helper()
		resp, err := c.Get("http://" + base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := csrfRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on %s (status %d)", path, resp.StatusCode)
		}
		return string(m[1])
	}
	tok := csrfOf("/console/login")
	resp, err := c.PostForm("http://"+base+"/console/login", url.Values{"name": {name}, "password": {staffPassword}, "csrf": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/console/conversations" {
		t.Fatalf("login ended at %s (%d)", resp.Request.URL.Path, resp.StatusCode)
	}
	return c, csrfOf
}

func TestConsoleReplyReachesLINE(t *testing.T) {
	t.Parallel()
	api, apiURL := newFakeLINE(t)
	base := startServe(t, serveOpts{lineAPI: apiURL, staff: []string{"aiko"}}).addr

	user := "U0123456789abcdef0123456789abcdef"
	for i, d := range []string{"g:staff"} {
		body := postback(user, fmt.Sprintf("01JSTAFF%d", i), d)
		if got := postLINE(t, base, body, sign(body)); got != http.StatusOK {
			t.Fatalf("postback: %d", got)
		}
	}
	c, csrfOf := staffClient(t, base, "aiko")
	page := "/console/conversations/" + url.PathEscape("line:"+user)
	post := func(action string, form url.Values) {
		t.Helper()
		form.Set("csrf", csrfOf(page))
		resp, err := c.PostForm("http://"+base+page+"/"+action, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", action, resp.StatusCode)
		}
	}
	before := len(api.all())
	post("takeover", url.Values{})
	post("reply", url.Values{"text": {"こんにちは、担当の相川です。"}})
	waitFor(t, "the staff reply at the LINE API", func() bool {
		for _, r := range api.all()[before:] {
			texts, _ := r.messages()
			if r.Path == "/v2/bot/message/push" && r.Body["to"] == user && strings.Contains(strings.Join(texts, ""), "相川") && r.RetryKey != "" {
				return true
			}
		}
		return false
	})
	// While staff owns the conversation the bot stays silent.
	calls := len(api.all())
	body := postback(user, "01JSILENT", "g:help")
	postLINE(t, base, body, sign(body))
	if got := len(api.all()); got != calls {
		t.Fatalf("the bot answered while staff owned the conversation")
	}
	post("handback", url.Values{})
	body = postback(user, "01JBACK", "g:help")
	postLINE(t, base, body, sign(body))
	waitFor(t, "the bot to answer again", func() bool {
		r := api.all()
		return r[len(r)-1].Path == "/v2/bot/message/reply"
	})
}
