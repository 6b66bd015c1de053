package main

// End-to-end tests of the Telegram channel: the real `sswbot serve` against a
// fake Bot API, through the webhook and through long polling, over whole
// routes in Russian and Kyrgyz.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/redisstore/redistest"
)

const (
	tgToken  = "123456:TEST"
	tgSecret = "e2e-Secret_token"
	tgHook   = "https://bot.example/telegram/webhook"
)

// tgContacts are the contact details the official document lists; the bot
// must print them character for character.
var tgContacts = []string{
	"+996 312 65 02 64",
	"borbor@migrant.kg",
	"japanemployment@migrant.kg",
	"03-6453-8277",
	"kgembassy.jp@mfa.gov.kg",
}

// tgCall is one request the fake Bot API received.
type tgCall struct {
	Method string
	Form   url.Values
	MsgID  int // the message_id answered to a sendMessage
}

// text is a sendMessage's text as the user sees it.
func (c tgCall) text() string { return html.UnescapeString(c.Form.Get("text")) }

type tgButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
	URL          string `json:"url"`
}

// buttons lists a sendMessage's inline keyboard, row by row flattened.
func (c tgCall) buttons(t *testing.T) []tgButton {
	t.Helper()
	rm := c.Form.Get("reply_markup")
	if rm == "" {
		return nil
	}
	var m struct {
		InlineKeyboard [][]tgButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(rm), &m); err != nil {
		t.Fatalf("reply_markup is not an inline keyboard: %v\n%s", err, rm)
	}
	var out []tgButton
	for _, row := range m.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// fakeBotAPI is a local Bot API: POST /bot<token>/<method> with form bodies,
// answered as Telegram does. getUpdates serves a queue, forgetting updates
// below the offset; a long poll waits at most 200 ms so tests stay fast.
type fakeBotAPI struct {
	srv *httptest.Server

	mu     sync.Mutex
	calls  []tgCall
	queue  []json.RawMessage // in update_id order
	ids    []int
	resend []json.RawMessage // served once more whatever the offset
	added  chan struct{}
	msgID  int
	// down, when set, answers every send with 502 (Telegram unreachable
	// from this process); the call is still recorded.
	down bool
}

func newFakeBotAPI(t *testing.T) *fakeBotAPI {
	t.Helper()
	f := &fakeBotAPI{added: make(chan struct{}, 1), msgID: 1000}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+tgToken+"/")
	if r.Method != http.MethodPost || !ok {
		tgWrite(w, 404, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		tgWrite(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: bad form"}`)
		return
	}
	if method == "getUpdates" {
		f.getUpdates(w, r, form)
		return
	}
	f.mu.Lock()
	c := tgCall{Method: method, Form: form}
	if method == "sendMessage" {
		f.msgID++
		c.MsgID = f.msgID
	}
	f.calls = append(f.calls, c)
	down := f.down
	f.mu.Unlock()
	if down && strings.HasPrefix(method, "send") {
		tgWrite(w, 502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
		return
	}
	switch method {
	case "getMe":
		tgWrite(w, 200, `{"ok":true,"result":{"id":123456,"is_bot":true,"first_name":"SSW Guide","username":"ssw_guide_bot"}}`)
		return
	case "sendMessage":
	default:
		tgWrite(w, 200, `{"ok":true,"result":true}`)
		return
	}
	chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	res, _ := json.Marshal(map[string]any{"message_id": c.MsgID, "date": 1718000500,
		"chat": map[string]any{"id": chat, "type": "private"}, "text": form.Get("text")})
	tgWrite(w, 200, `{"ok":true,"result":`+string(res)+`}`)
}

func (f *fakeBotAPI) getUpdates(w http.ResponseWriter, r *http.Request, form url.Values) {
	offset, _ := strconv.ParseInt(form.Get("offset"), 10, 64)
	timeout, _ := strconv.Atoi(form.Get("timeout"))
	wait := min(time.Duration(timeout)*time.Second, 200*time.Millisecond)
	deadline := time.After(wait)
	f.mu.Lock()
	f.calls = append(f.calls, tgCall{Method: "getUpdates", Form: form})
	f.mu.Unlock()
	for {
		f.mu.Lock()
		// Telegram forgets updates below the offset: they are confirmed.
		for len(f.ids) > 0 && int64(f.ids[0]) < offset {
			f.ids, f.queue = f.ids[1:], f.queue[1:]
		}
		out := append(slices.Clone(f.resend), f.queue...)
		if len(out) > 0 || wait == 0 {
			f.resend = nil
			f.mu.Unlock()
			b, _ := json.Marshal(out)
			tgWrite(w, 200, `{"ok":true,"result":`+string(b)+`}`)
			return
		}
		f.mu.Unlock()
		select {
		case <-f.added:
		case <-deadline:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

func tgWrite(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeBotAPI) notify() {
	select {
	case f.added <- struct{}{}:
	default:
	}
}

// push queues updates for getUpdates, all in one batch.
func (f *fakeBotAPI) push(t *testing.T, updates ...[]byte) {
	t.Helper()
	f.mu.Lock()
	for _, u := range updates {
		f.queue = append(f.queue, json.RawMessage(u))
		f.ids = append(f.ids, tgUpdateID(t, u))
	}
	f.mu.Unlock()
	f.notify()
}

// redeliver serves u with the next getUpdates although it was confirmed, as
// Telegram may after a crash.
func (f *fakeBotAPI) redeliver(u []byte) {
	f.mu.Lock()
	f.resend = append(f.resend, json.RawMessage(u))
	f.mu.Unlock()
	f.notify()
}

func (f *fakeBotAPI) all() []tgCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// since returns the calls from index n on, without getUpdates.
func (f *fakeBotAPI) since(n int) []tgCall {
	var out []tgCall
	for _, c := range f.all()[n:] {
		if c.Method != "getUpdates" {
			out = append(out, c)
		}
	}
	return out
}

func callsOf(calls []tgCall, method string) []tgCall {
	var out []tgCall
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func tgUpdateID(t *testing.T, u []byte) int {
	t.Helper()
	var v struct {
		UpdateID int `json:"update_id"`
	}
	if err := json.Unmarshal(u, &v); err != nil || v.UpdateID == 0 {
		t.Fatalf("not an update: %v\n%s", err, u)
	}
	return v.UpdateID
}

// tgUser is the private chat a test talks in.
type tgUser struct {
	id   int64
	name string
	lang string
}

func (u tgUser) from() map[string]any {
	return map[string]any{"id": u.id, "is_bot": false, "first_name": u.name, "language_code": u.lang}
}

func (u tgUser) chat() map[string]any {
	return map[string]any{"id": u.id, "type": "private", "first_name": u.name}
}

// textUpdate is a private message; a leading "/" makes it a command.
func (u tgUser) textUpdate(id int, text string) []byte {
	m := map[string]any{"message_id": id, "date": 1718000000, "text": text, "from": u.from(), "chat": u.chat()}
	if strings.HasPrefix(text, "/") {
		n := len(text)
		if i := strings.IndexByte(text, ' '); i > 0 {
			n = i
		}
		m["entities"] = []map[string]any{{"offset": 0, "length": n, "type": "bot_command"}}
	}
	b, _ := json.Marshal(map[string]any{"update_id": id, "message": m})
	return b
}

// callbackUpdate is a press on a button of the bot's message msg.
func (u tgUser) callbackUpdate(id int, msg tgCall, data string) []byte {
	b, _ := json.Marshal(map[string]any{
		"update_id": id,
		"callback_query": map[string]any{
			"id":   "cb" + strconv.Itoa(id),
			"from": u.from(),
			"message": map[string]any{
				"message_id": msg.MsgID, "date": 1718000200, "text": msg.Form.Get("text"),
				"from": map[string]any{"id": 6000000001, "is_bot": true, "first_name": "SSW Guide"},
				"chat": u.chat(),
			},
			"chat_instance": "-3852345678901234567",
			"data":          data,
		},
	})
	return b
}

// tgConv walks a conversation: deliver hands one update to the bot and
// returns every call (but getUpdates) it caused.
type tgConv struct {
	t       *testing.T
	user    tgUser
	deliver func(t *testing.T, update []byte) []tgCall
	nextID  int
	last    tgCall   // the last message with a keyboard
	sent    []tgCall // every sendMessage so far
	updates [][]byte // every update delivered
}

// send delivers u, checks it got exactly one well-formed message and
// returns the message and every call u caused.
func (c *tgConv) send(u []byte) (tgCall, []tgCall) {
	c.t.Helper()
	c.updates = append(c.updates, u)
	calls := c.deliver(c.t, u)
	sends := callsOf(calls, "sendMessage")
	// A long answer comes as a few bubbles (each within the length
	// budget); only the last carries the keyboard.
	if len(sends) == 0 || len(sends) > 5 {
		c.t.Fatalf("update %d: got %d sendMessage, want 1 to 5:\n%s", tgUpdateID(c.t, u), len(sends), u)
	}
	var texts []string
	for i, m := range sends {
		if got, want := m.Form.Get("chat_id"), strconv.FormatInt(c.user.id, 10); got != want {
			c.t.Errorf("chat_id = %q, want %q", got, want)
		}
		if got := m.Form.Get("parse_mode"); got != "HTML" {
			c.t.Errorf("parse_mode = %q, want HTML", got)
		}
		// Only Telegram's tags, balanced; every other <, > and & escaped,
		// with the only entities Telegram's HTML knows.
		if raw := m.Form.Get("text"); telegram.CheckHTML(raw) != nil {
			c.t.Errorf("Telegram would refuse this HTML (%v):\n%s", telegram.CheckHTML(raw), raw)
		}
		if i < len(sends)-1 && m.Form.Get("reply_markup") != "" {
			c.t.Errorf("a keyboard on bubble %d of %d", i+1, len(sends))
		}
		for _, b := range m.buttons(c.t) {
			if b.CallbackData == "" && b.URL == "" {
				c.t.Errorf("button %q has neither callback_data nor url", b.Text)
			}
			if len(b.CallbackData) > 64 {
				c.t.Errorf("callback_data %q is %d bytes, over Telegram's 64", b.CallbackData, len(b.CallbackData))
			}
		}
		texts = append(texts, m.Form.Get("text"))
	}
	// The turn reads as one message: the bubbles' texts, the last one's
	// keyboard and id.
	m := sends[len(sends)-1]
	form := url.Values{}
	for k, v := range m.Form {
		form[k] = v
	}
	form.Set("text", strings.Join(texts, "\n\n"))
	m.Form = form
	c.sent = append(c.sent, m)
	if m.Form.Get("reply_markup") != "" {
		c.last = m
	}
	return m, calls
}

// answers counts the answers among calls: an answer may take a few
// bubbles, and its last one carries the keyboard.
func answers(calls []tgCall) int {
	n := 0
	for _, m := range callsOf(calls, "sendMessage") {
		if m.Form.Get("reply_markup") != "" {
			n++
		}
	}
	return n
}

func (c *tgConv) id() int {
	c.nextID++
	return c.nextID
}

// command types a command or text.
func (c *tgConv) command(text string) tgCall {
	c.t.Helper()
	m, _ := c.send(c.user.textUpdate(c.id(), text))
	return m
}

// press presses the button of the last keyboard whose callback_data starts
// with prefix, and checks the press was answered and the old keyboard retired.
func (c *tgConv) press(prefix string) tgCall {
	c.t.Helper()
	data := ""
	var seen []string
	for _, b := range c.last.buttons(c.t) {
		seen = append(seen, b.CallbackData)
		if b.CallbackData != "" && strings.HasPrefix(b.CallbackData, prefix) && data == "" {
			data = b.CallbackData
		}
	}
	if data == "" {
		c.t.Fatalf("no button %q* in the last keyboard %q:\n%s", prefix, seen, c.last.text())
	}
	id := c.id()
	pressed := c.last
	m, calls := c.send(c.user.callbackUpdate(id, pressed, data))
	answers := callsOf(calls, "answerCallbackQuery")
	if len(answers) != 1 || answers[0].Form.Get("callback_query_id") != "cb"+strconv.Itoa(id) {
		c.t.Errorf("press %q: answerCallbackQuery calls %v, want one for cb%d", data, answers, id)
	}
	edits := callsOf(calls, "editMessageReplyMarkup")
	if len(edits) != 1 || edits[0].Form.Get("message_id") != strconv.Itoa(pressed.MsgID) {
		c.t.Errorf("press %q: editMessageReplyMarkup calls %v, want one for message %d", data, edits, pressed.MsgID)
	}
	return m
}

// walkRoute presses "next" until the route is done and returns the done
// message.
func (c *tgConv) walkRoute() tgCall {
	c.t.Helper()
	for range 20 {
		for _, b := range c.last.buttons(c.t) {
			if strings.HasPrefix(b.CallbackData, "fin:") {
				return c.press("fin:")
			}
		}
		c.press("n:")
	}
	c.t.Fatal("no finish button after 20 steps")
	return tgCall{}
}

// checkContacts checks m lists every Kyrgyz-side contact.
func checkContacts(t *testing.T, m tgCall) {
	t.Helper()
	for _, s := range tgContacts {
		if !strings.Contains(m.text(), s) {
			t.Errorf("contacts lack %q:\n%s", s, m.text())
		}
	}
}

func checkLanguage(t *testing.T, m tgCall, lang string, kb *knowledge.Base) {
	t.Helper()
	text := m.text()
	if !strings.ContainsFunc(text, func(r rune) bool { return r >= 'А' && r <= 'я' }) {
		t.Errorf("message is not in Cyrillic:\n%s", text)
	}
	if lang == "ky" && !strings.ContainsAny(text, "үөңҮӨҢ") && !isUIText(kb, text, "ky") {
		t.Errorf("message has no Kyrgyz letter (ү, ө, ң) and is no Kyrgyz interface text:\n%s", text)
	}
	for _, b := range m.buttons(t) {
		if b.CallbackData == "g:contacts" && b.Text != kb.UIText("btn_contacts", lang) {
			t.Errorf("contacts button %q, want %q", b.Text, kb.UIText("btn_contacts", lang))
		}
	}
}

// isUIText reports whether text is one of the interface texts in lang
// (short Kyrgyz sentences need none of ү, ө, ң).
func isUIText(kb *knowledge.Base, text, lang string) bool {
	for _, ui := range kb.UI {
		if strings.TrimSpace(text) == ui.In(lang) {
			return true
		}
	}
	return false
}

func tgKnowledge(t *testing.T) *knowledge.Base {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// postWebhook posts an update to serve's webhook with secret ("" for none).
func postWebhook(t *testing.T, addr string, u []byte, secret string) int {
	t.Helper()
	status, _ := postWebhookAnswer(t, addr, u, secret)
	return status
}

// postWebhookAnswer posts an update and returns the status and the body,
// which may hold the method Telegram is to call.
func postWebhookAnswer(t *testing.T, addr string, u []byte, secret string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/telegram/webhook", bytes.NewReader(u))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post webhook: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, body
}

// webhookDeliver posts an update as Telegram does and returns the calls it
// caused: the webhook answers only once the update is handled.
func webhookDeliver(f *fakeBotAPI, addr string) func(*testing.T, []byte) []tgCall {
	return func(t *testing.T, u []byte) []tgCall {
		t.Helper()
		n := len(f.all())
		got, answer := postWebhookAnswer(t, addr, u, tgSecret)
		if got != http.StatusOK {
			t.Fatalf("webhook answered %d, want 200", got)
		}
		// Telegram performs the method the answer may hold.
		performWebhookAnswer(f.srv.URL, tgToken, answer)
		return f.since(n)
	}
}

// pollDeliver queues an update and waits until the poller asked for the
// updates after it, which it does only once the update is handled.
func pollDeliver(f *fakeBotAPI) func(*testing.T, []byte) []tgCall {
	return func(t *testing.T, u []byte) []tgCall {
		t.Helper()
		n := len(f.all())
		f.push(t, u)
		tgWaitOffset(t, f, n, int64(tgUpdateID(t, u))+1)
		return f.since(n)
	}
}

// tgWaitOffset waits until a getUpdates from call n on asked for offset or
// later.
func tgWaitOffset(t *testing.T, f *fakeBotAPI, n int, offset int64) {
	t.Helper()
	waitFor(t, "the poller confirms update "+strconv.FormatInt(offset-1, 10), func() bool {
		for _, c := range f.all()[n:] {
			if o, _ := strconv.ParseInt(c.Form.Get("offset"), 10, 64); c.Method == "getUpdates" && o >= offset {
				return true
			}
		}
		return false
	})
}

// checkSetup checks the command menus were registered for every language
// and the menu button shows them.
func checkSetup(t *testing.T, calls []tgCall) {
	t.Helper()
	langs := map[string]bool{}
	for _, c := range callsOf(calls, "setMyCommands") {
		langs[c.Form.Get("language_code")] = true
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(c.Form.Get("commands")), &cmds); err != nil || len(cmds) == 0 {
			t.Errorf("setMyCommands %q: commands %q (%v)", c.Form.Get("language_code"), c.Form.Get("commands"), err)
		}
		if !slices.ContainsFunc(cmds, func(c struct{ Command, Description string }) bool { return c.Command == "contacts" }) {
			t.Errorf("setMyCommands %q has no /contacts", c.Form.Get("language_code"))
		}
		if got := c.Form.Get("scope"); !strings.Contains(got, "all_private_chats") {
			t.Errorf("setMyCommands scope = %q, want all_private_chats", got)
		}
	}
	for _, l := range []string{"", "ru", "ky", "ja", "en"} {
		if !langs[l] {
			t.Errorf("no setMyCommands for language %q (got %v)", l, langs)
		}
	}
	if mb := callsOf(calls, "setChatMenuButton"); len(mb) != 1 || mb[0].Form.Get("menu_button") != `{"type":"commands"}` {
		t.Errorf("setChatMenuButton calls %v, want one showing the commands", mb)
	}
}

func TestTelegramWebhookRussianRoute(t *testing.T) {
	t.Parallel()
	kb := tgKnowledge(t)
	f := newFakeBotAPI(t)
	addr := startServe(t, serveOpts{tgAPI: f.srv.URL, webhook: true}).addr

	setup := f.all()
	checkSetup(t, setup)
	hooks := callsOf(setup, "setWebhook")
	if len(hooks) != 1 {
		t.Fatalf("setWebhook calls: %d, want 1", len(hooks))
	}
	if got := hooks[0].Form.Get("url"); got != tgHook {
		t.Errorf("setWebhook url = %q, want %q", got, tgHook)
	}
	if got := hooks[0].Form.Get("secret_token"); got != tgSecret {
		t.Errorf("setWebhook secret_token = %q, want the configured secret", got)
	}
	var allowed []string
	if err := json.Unmarshal([]byte(hooks[0].Form.Get("allowed_updates")), &allowed); err != nil {
		t.Errorf("allowed_updates %q: %v", hooks[0].Form.Get("allowed_updates"), err)
	}
	for _, want := range []string{"message", "callback_query", "my_chat_member"} {
		if !slices.Contains(allowed, want) {
			t.Errorf("allowed_updates %q lacks %q", allowed, want)
		}
	}

	user := tgUser{id: 5512345678, name: "Айбек", lang: "ru"}
	c := &tgConv{t: t, user: user, deliver: webhookDeliver(f, addr), nextID: 734120000}

	// A wrong or missing secret is refused before anything happens; the
	// same update with the secret is then handled normally.
	bad := user.textUpdate(c.id(), "/start")
	n := len(f.all())
	for _, secret := range []string{"", "wrong-secret", tgSecret + "x"} {
		if got := postWebhook(t, addr, bad, secret); got != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, got)
		}
	}
	if got := f.since(n); len(got) != 0 {
		t.Fatalf("calls after a refused webhook: %v", got)
	}

	start, _ := c.send(bad)
	checkLanguage(t, start, "ru", kb)
	c.press("r:worker")
	c.press("w:kg")
	first := c.press("rt:agency")
	if !slices.ContainsFunc(first.buttons(t), func(b tgButton) bool { return strings.HasPrefix(b.URL, "https://migrant.kg/") }) {
		t.Errorf("agency route's first step has no button to migrant.kg:\n%s", first.Form.Get("reply_markup"))
	}
	for _, m := range c.sent {
		checkLanguage(t, m, "ru", kb)
	}
	done := c.walkRoute()
	if want := kb.UIText("done", "ru"); !strings.Contains(done.text(), want) {
		t.Errorf("last message lacks the done text %q:\n%s", want, done.text())
	}
	checkLanguage(t, done, "ru", kb)
	contacts := c.press("g:contacts")
	checkContacts(t, contacts)
	checkLanguage(t, contacts, "ru", kb)

	// Replays (Telegram retries a webhook it thinks failed): no message is
	// sent twice and no keyboard edited again.
	for _, u := range c.updates[:3] {
		n := len(f.all())
		if got := postWebhook(t, addr, u, tgSecret); got != http.StatusOK {
			t.Errorf("replay: status %d, want 200", got)
		}
		for _, call := range f.since(n) {
			if call.Method != "answerCallbackQuery" {
				t.Errorf("replay of update %d caused %s:\n%s", tgUpdateID(t, u), call.Method, call.text())
			}
		}
	}
	if got, want := answers(f.all()), len(c.updates); got != want {
		t.Errorf("%d answers for %d updates", got, want)
	}
}

func TestTelegramPollingKyrgyzRoute(t *testing.T) {
	t.Parallel()
	kb := tgKnowledge(t)
	f := newFakeBotAPI(t)
	startServe(t, serveOpts{tgAPI: f.srv.URL})

	setup := f.all()
	checkSetup(t, setup)
	if got := callsOf(setup, "setWebhook"); len(got) != 0 {
		t.Errorf("setWebhook called in polling mode: %v", got)
	}
	if got := callsOf(setup, "deleteWebhook"); len(got) != 1 {
		t.Errorf("deleteWebhook calls: %d, want 1", len(got))
	}

	user := tgUser{id: 5512345679, name: "Нурай", lang: "ky"}
	c := &tgConv{t: t, user: user, deliver: pollDeliver(f), nextID: 834120000}
	start := c.command("/start")
	checkLanguage(t, start, "ky", kb)
	c.press("r:worker")
	c.press("w:jp")
	for _, m := range c.sent {
		checkLanguage(t, m, "ky", kb)
	}
	done := c.walkRoute()
	if want := kb.UIText("done", "ky"); !strings.Contains(done.text(), want) {
		t.Errorf("last message lacks the done text %q:\n%s", want, done.text())
	}
	checkLanguage(t, done, "ky", kb)
	contacts := c.command("/contacts")
	checkContacts(t, contacts)
	checkLanguage(t, contacts, "ky", kb)
	// The chat's command menu is in the language chosen in the chat.
	chatMenu := 0
	for _, m := range callsOf(f.all(), "setMyCommands") {
		if m.Form.Get("scope") == `{"type":"chat","chat_id":5512345679}` {
			chatMenu++
			if !strings.Contains(m.Form.Get("commands"), kb.UIText("cmd_contacts", "ky")) {
				t.Errorf("the chat's menu is not in Kyrgyz: %s", m.Form.Get("commands"))
			}
		}
	}
	if chatMenu != 1 {
		t.Errorf("%d chat menus set, want 1 (the language is chosen once)", chatMenu)
	}

	gets := callsOf(f.all(), "getUpdates")
	if len(gets) == 0 || !strings.Contains(gets[0].Form.Get("allowed_updates"), "callback_query") {
		t.Errorf("getUpdates without allowed_updates: %v", gets)
	}
	for _, g := range gets {
		if to, _ := strconv.Atoi(g.Form.Get("timeout")); to < 1 {
			t.Fatalf("getUpdates timeout %q: want a long poll", g.Form.Get("timeout"))
		}
	}

	// The same update twice in one batch, and updates Telegram serves again
	// after they were confirmed: one reply each, no more.
	twice := user.textUpdate(c.id(), "/help")
	n := len(f.all())
	f.push(t, twice, twice)
	tgWaitOffset(t, f, n, int64(tgUpdateID(t, twice))+1)
	if got := answers(f.since(n)); got != 1 {
		t.Errorf("an update delivered twice in one batch got %d answers, want 1", got)
	}
	for _, u := range c.updates[:3] {
		f.redeliver(u)
	}
	// The poller handles updates in order: once this one is answered, the
	// redelivered ones were seen.
	c.command("/contacts")
	f.mu.Lock()
	left := len(f.resend)
	f.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d redelivered updates never served", left)
	}
	if got, want := answers(f.all()), len(c.sent)+1; got != want {
		t.Errorf("%d answers, want %d: an update was answered twice", got, want)
	}
}

// TestTelegramPollingRestart stops serve after it answered an update but
// before its offset was stored (as a crash would), and starts it again on
// the same Redis: Telegram serves that update again, and the bot stays
// silent, then goes on with the conversation where it was.
func TestTelegramPollingRestart(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	f := newFakeBotAPI(t)
	o := serveOpts{tgAPI: f.srv.URL, redis: rs.URL()}
	kb := tgKnowledge(t)
	user := tgUser{id: 5512345680, name: "Бакыт", lang: "ky"}
	c := &tgConv{t: t, user: user, deliver: pollDeliver(f), nextID: 934120000}
	var lost []byte
	t.Run("first run", func(t *testing.T) {
		c.t = t
		startServe(t, o)
		c.command("/start")
		c.press("r:worker")
		lost = c.updates[len(c.updates)-1]
	})
	if t.Failed() {
		return
	}
	// A crash between answering the press and storing the offset: set the
	// stored offset back, and Telegram, never asked past it, serves the
	// press again.
	opt, err := redis.ParseURL(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	const key = "sswbot:offset:telegram:123456" // redisstore's <prefix>offset:<name>
	id := tgUpdateID(t, lost)
	if got, err := rdb.Get(context.Background(), key).Int(); err != nil || got != id+1 {
		t.Fatalf("stored offset %d (%v), want %d", got, err, id+1)
	}
	if err := rdb.Set(context.Background(), key, id, 0).Err(); err != nil {
		t.Fatal(err)
	}
	sends := len(callsOf(f.all(), "sendMessage"))

	t.Run("second run", func(t *testing.T) {
		c.t = t
		startServe(t, o)
		n := len(f.all())
		f.push(t, lost)
		tgWaitOffset(t, f, n, int64(id)+1)
		if got := callsOf(f.since(n), "sendMessage"); len(got) != 0 {
			t.Errorf("the redelivered update was answered again: %q", got[0].text())
		}
		m := c.press("w:kg")
		if want := kb.UIText("btn_compare", "ky"); !slices.ContainsFunc(m.buttons(t), func(b tgButton) bool { return b.Text == want }) {
			t.Errorf("after the restart the route question lacks %q:\n%s", want, m.text())
		}
	})
	if got, want := len(callsOf(f.all(), "sendMessage")), sends+1; got != want {
		t.Errorf("%d sendMessage in all, want %d", got, want)
	}
}
