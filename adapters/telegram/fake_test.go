package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
)

const (
	testToken  = "123456:AAE-secretTOKEN_xyz"
	testSecret = "s3cret-Token_1"
	testHook   = "https://bot.example.test/telegram/webhook"
)

// call is one request the fake Bot API received.
type call struct {
	Method string
	Form   url.Values
}

type answer struct {
	status int
	body   string
}

// fakeTG is a local Bot API: POST /bot<token>/<method> with form bodies,
// answers shaped like Telegram's. It keeps a queue of updates for
// getUpdates, forgetting those below the offset as Telegram does.
type fakeTG struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   []call
	updates []json.RawMessage // in update_id order
	ids     []int
	script  map[string][]answer // next answers per method, before the defaults
	added   chan struct{}
	msgID   int
	// hook, when set, sees every call but getUpdates before it is answered,
	// outside the lock (so it may block), and may replace the answer.
	hook func(method string, form url.Values) *answer
}

func newFakeTG(t testing.TB) *fakeTG {
	t.Helper()
	f := &fakeTG{script: map[string][]answer{}, added: make(chan struct{}, 1), msgID: 100}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTG) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+testToken+"/")
	if r.Method != http.MethodPost || !ok {
		writeAnswer(w, answer{404, `{"ok":false,"error_code":404,"description":"Not Found"}`})
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeAnswer(w, answer{400, `{"ok":false,"error_code":400,"description":"Bad Request: bad form"}`})
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{method, form})
	if q := f.script[method]; len(q) > 0 {
		f.script[method] = q[1:]
		if q[0].status != 0 { // 0: this call gets the default answer
			f.mu.Unlock()
			writeAnswer(w, q[0])
			return
		}
	}
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && method != "getUpdates" {
		if a := hook(method, form); a != nil {
			writeAnswer(w, *a)
			return
		}
	}
	switch method {
	case "getMe":
		writeAnswer(w, answer{200, `{"ok":true,"result":{"id":6000000001,"is_bot":true,"first_name":"SSW Guide","username":"SSW_Guide_Bot"}}`})
	case "getUpdates":
		f.getUpdates(w, r, form)
	case "sendMessage":
		// Telegram's own checks of what we send.
		if form.Get("parse_mode") == "HTML" {
			if err := checkHTML(form.Get("text")); err != nil {
				writeAnswer(w, answer{400, fmt.Sprintf(`{"ok":false,"error_code":400,"description":%q}`, "Bad Request: can't parse entities: "+err.Error())})
				return
			}
		}
		if err := checkKeyboard(form.Get("reply_markup")); err != nil {
			writeAnswer(w, answer{400, fmt.Sprintf(`{"ok":false,"error_code":400,"description":%q}`, "Bad Request: "+err.Error())})
			return
		}
		f.mu.Lock()
		f.msgID++
		id := f.msgID
		f.mu.Unlock()
		chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
		res, _ := json.Marshal(map[string]any{"message_id": id, "date": 1718000500,
			"chat": map[string]any{"id": chat, "type": "private"}, "text": form.Get("text")})
		writeAnswer(w, answer{200, `{"ok":true,"result":` + string(res) + `}`})
	case "sendPhoto":
		// A photo by URL, which Telegram fetches: http(s) only.
		if p := form.Get("photo"); !strings.HasPrefix(p, "https://") && !strings.HasPrefix(p, "http://") {
			writeAnswer(w, answer{400, `{"ok":false,"error_code":400,"description":"Bad Request: wrong HTTP URL specified"}`})
			return
		}
		f.mu.Lock()
		f.msgID++
		id := f.msgID
		f.mu.Unlock()
		chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
		res, _ := json.Marshal(map[string]any{"message_id": id, "date": 1718000500,
			"chat":  map[string]any{"id": chat, "type": "private"},
			"photo": []map[string]any{{"file_id": "AgACAgQR", "file_unique_id": "AQADqr", "width": 512, "height": 512}}})
		writeAnswer(w, answer{200, `{"ok":true,"result":` + string(res) + `}`})
	default:
		writeAnswer(w, answer{200, `{"ok":true,"result":true}`})
	}
}

func (f *fakeTG) getUpdates(w http.ResponseWriter, r *http.Request, form url.Values) {
	offset, _ := strconv.Atoi(form.Get("offset"))
	timeout, _ := strconv.Atoi(form.Get("timeout"))
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		f.mu.Lock()
		// Telegram forgets updates below the offset: they are confirmed.
		for len(f.ids) > 0 && f.ids[0] < offset {
			f.ids, f.updates = f.ids[1:], f.updates[1:]
		}
		out := slices.Clone(f.updates)
		f.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			b, _ := json.Marshal(out)
			writeAnswer(w, answer{200, `{"ok":true,"result":` + string(b) + `}`})
			return
		}
		select {
		case <-f.added:
		case <-deadline:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// push queues updates for getUpdates.
func (f *fakeTG) push(t testing.TB, updates ...[]byte) {
	t.Helper()
	f.mu.Lock()
	for _, u := range updates {
		var id struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(u, &id); err != nil {
			t.Fatalf("push: %v", err)
		}
		f.updates = append(f.updates, json.RawMessage(u))
		f.ids = append(f.ids, id.UpdateID)
	}
	f.mu.Unlock()
	select {
	case f.added <- struct{}{}:
	default:
	}
}

// failNext makes the next call of method answer status with body.
func (f *fakeTG) failNext(method string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[method] = append(f.script[method], answer{status, body})
}

// setHook installs f.hook.
func (f *fakeTG) setHook(h func(method string, form url.Values) *answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// passNext lets the next call of method get its default answer, so a
// failNext after it hits the call after that.
func (f *fakeTG) passNext(method string) { f.failNext(method, 0, "") }

func (f *fakeTG) all() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// methods lists the methods called, leaving out getUpdates.
func (f *fakeTG) methods() []string {
	var out []string
	for _, c := range f.all() {
		if c.Method != "getUpdates" {
			out = append(out, c.Method)
		}
	}
	return out
}

func (f *fakeTG) callsOf(method string) []call {
	var out []call
	for _, c := range f.all() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// sentTexts lists the text of every sendMessage, in order.
func (f *fakeTG) sentTexts() []string {
	var out []string
	for _, c := range f.callsOf("sendMessage") {
		out = append(out, c.Form.Get("text"))
	}
	return out
}

// fakeBot stands in for bot.Service: it dedupes by event id, remembers
// deliveries and answers every event but a stop with "re:<event id>".
type fakeBot struct {
	mu          sync.Mutex
	events      []bot.Event // every Handle call
	records     map[string]*record
	order       []string // committed event ids
	delivered   []string // MarkDelivered calls
	released    []string // Release calls
	unavailable bool
	inFlight    bool // another handler holds every update
	silent      bool
	lang        string // when set, every new turn reports it chose this language
	replies     func(ev bot.Event) []bot.Reply
	onHandle    func(ev bot.Event)
	// beforeHandle runs before the fake takes its lock, so it may block.
	beforeHandle func(ctx context.Context, ev bot.Event)
}

type record struct {
	replies   []bot.Reply
	delivered bool
}

func newFakeBot() *fakeBot { return &fakeBot{records: map[string]*record{}} }

func (b *fakeBot) Handle(ctx context.Context, ev bot.Event) (bot.Outcome, error) {
	if b.beforeHandle != nil {
		b.beforeHandle(ctx, ev)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
	if b.onHandle != nil {
		b.onHandle(ev)
	}
	if b.unavailable {
		return bot.Outcome{}, fmt.Errorf("load session: %w", bot.ErrUnavailable)
	}
	if b.inFlight {
		return bot.Outcome{}, fmt.Errorf("claim: %w", bot.ErrInFlight)
	}
	if r, ok := b.records[ev.EventID]; ok {
		return bot.Outcome{Replies: r.replies, Duplicate: true, Delivered: r.delivered}, nil
	}
	var replies []bot.Reply
	switch {
	case b.silent || ev.Kind == bot.KindStop:
	case b.replies != nil:
		replies = b.replies(ev)
	default:
		replies = []bot.Reply{{Text: "re:" + ev.EventID}}
	}
	b.records[ev.EventID] = &record{replies: replies}
	b.order = append(b.order, ev.EventID)
	return bot.Outcome{Replies: replies, Silent: b.silent, Lang: b.lang, LangChanged: b.lang != ""}, nil
}

// Release gives the event's lease back (see bot.Service.Release).
func (b *fakeBot) Release(ctx context.Context, id bot.ConversationID, eventID, lease string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.released = append(b.released, eventID)
	return nil
}

func (b *fakeBot) MarkDelivered(ctx context.Context, id bot.ConversationID, eventID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.records[eventID]; ok {
		r.delivered = true
	}
	b.delivered = append(b.delivered, eventID)
	return nil
}

func (b *fakeBot) setUnavailable(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unavailable = v
}

func (b *fakeBot) handled() []bot.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

func (b *fakeBot) committed() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.order)
}

func (b *fakeBot) deliveries() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.delivered)
}

// memOffsets is an OffsetStore in memory; onSave sees every save.
type memOffsets struct {
	mu     sync.Mutex
	m      map[string]int64
	saves  []int64
	onSave func(off int64)
}

func newMemOffsets() *memOffsets { return &memOffsets{m: map[string]int64{}} }

func (o *memOffsets) LoadOffset(ctx context.Context, name string) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[name], nil
}

func (o *memOffsets) SaveOffset(ctx context.Context, name string, off int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.onSave != nil {
		o.onSave(off)
	}
	o.m[name] = off
	o.saves = append(o.saves, off)
	return nil
}

func (o *memOffsets) saved() []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.saves)
}

// sleeps records the waits an adapter asks for and returns at once (but
// still ends with ctx, as the real sleep does).
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func recordSleeps(a *telegram.Adapter) *sleeps {
	s := &sleeps{}
	telegram.SetSleep(a, func(ctx context.Context, d time.Duration) error {
		if d > 0 {
			s.mu.Lock()
			s.ds = append(s.ds, d)
			s.mu.Unlock()
		}
		return ctx.Err()
	})
	return s
}

// waits lists the positive waits asked for, in order.
func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ds)
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secrets must never appear in a log line: the token, user ids and the
// fixtures' message texts.
var secrets = []string{testToken, "AAE-secretTOKEN", "5512345678", "5512345679", "Здравствуйте", "сертификат"}

// newTestLogger returns a logger whose output is checked for secrets when
// the test ends.
func newTestLogger(t testing.TB) (*slog.Logger, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		out := buf.String()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("log contains %q:\n%s", s, out)
			}
		}
		if testing.Verbose() {
			os.Stderr.WriteString(out)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// newAdapter builds an adapter against f in webhook mode, answering with
// API calls (the answer in the webhook's response has its own tests); edit
// adjusts the config (set WebhookURL to "" for polling).
func newAdapter(t testing.TB, f *fakeTG, h telegram.Handler, offsets telegram.OffsetStore, edit func(*telegram.Config)) *telegram.Adapter {
	t.Helper()
	log, _ := newTestLogger(t)
	cfg := telegram.Config{
		Token:           testToken,
		APIBaseURL:      f.srv.URL,
		WebhookURL:      testHook,
		WebhookSecret:   testSecret,
		Logger:          log,
		PerChatInterval: time.Millisecond,
		GlobalRate:      1000,
		PollTimeout:     time.Second,
		// Answers as API calls, which the fake records in order.
		WebhookReplyByAPI: true,
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := telegram.New(cfg, h, offsets)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// post delivers body to the webhook as Telegram would.
func post(t testing.TB, a http.Handler, body []byte, secret string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

// textUpdate is a private text message with the given update id.
func textUpdate(id int, text string) []byte { return chatUpdate(id, 5512345678, text) }

// chatUpdate is a private text message from user (the chat's id too).
func chatUpdate(id int, user int64, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"update_id": id,
		"message": map[string]any{
			"message_id": id, "date": 1718000000, "text": text,
			"from": map[string]any{"id": user, "is_bot": false, "first_name": "Айбек", "language_code": "ru"},
			"chat": map[string]any{"id": user, "type": "private", "first_name": "Айбек"},
		},
	})
	return b
}

// eventually waits for cond, failing the test after a generous timeout.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
