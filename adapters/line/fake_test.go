package line_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
)

const (
	secret = "testsecret"
	token  = "test-token"
	userID = "u206d25c2ea6bd87c17655609a1c37cb8"
)

// eventTime is the timestamp of every fixture event.
var eventTime = time.UnixMilli(1462629479859)

func sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// apiCall is one request the fake LINE API received.
type apiCall struct {
	Method, Path, RetryKey string
	Body                   []byte
}

// Summary is a one-line description for comparisons.
func (c apiCall) Summary() string {
	var body struct {
		ReplyToken string            `json:"replyToken"`
		To         string            `json:"to"`
		Messages   []json.RawMessage `json:"messages"`
	}
	_ = json.Unmarshal(c.Body, &body)
	switch c.Path {
	case "/v2/bot/message/reply":
		return fmt.Sprintf("reply token=%s messages=%d", body.ReplyToken, len(body.Messages))
	case "/v2/bot/message/push":
		return fmt.Sprintf("push to=%s key=%s messages=%d", body.To, c.RetryKey, len(body.Messages))
	}
	return c.Method + " " + c.Path
}

// fakeAPI answers like LINE's Messaging API and records every request.
type fakeAPI struct {
	URL string

	mu           sync.Mutex
	calls        []apiCall
	keys         map[string]bool // accepted retry keys
	rejectReply  bool            // answer replies with 400 "Invalid reply token"
	replyStatus  int             // answer replies with this status and replyBody; -1 drops the connection
	replyBody    string
	pushFailures int           // answer this many pushes with 500 first
	block        chan struct{} // when set, sends wait until it is closed
	noProfile    bool          // answer profile requests with 404
	// pushLimit refuses pushes beyond it with LINE's 429 "monthly limit"
	// (0: none); pushed counts those accepted, as .../quota/consumption
	// reports them.
	pushLimit, pushed int
}

func newFakeAPI(tb testing.TB) *fakeAPI {
	f := &fakeAPI{keys: map[string]bool{}}
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: r.Method, Path: r.URL.Path, RetryKey: r.Header.Get("X-Line-Retry-Key"), Body: body})
	block := f.block
	f.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+token {
		writeJSON(w, http.StatusUnauthorized, `{"message":"Authentication failed"}`)
		return
	}
	if block != nil && r.Method == http.MethodPost {
		<-block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/bot/message/") {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			writeJSON(w, http.StatusUnsupportedMediaType, fmt.Sprintf(`{"message":"content type %q"}`, ct))
			return
		}
		// LINE refuses a message outside its limits with 400.
		if err := line.ValidateRequest(body); err != nil {
			writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"message":%q}`, err.Error()))
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/bot/message/reply":
		if f.rejectReply {
			writeJSON(w, http.StatusBadRequest, `{"message":"Invalid reply token"}`)
			return
		}
		if f.replyStatus < 0 {
			// No answer at all, as after a timeout: LINE may or may not
			// have shown the reply.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if f.replyStatus != 0 {
			writeJSON(w, f.replyStatus, f.replyBody)
			return
		}
		writeJSON(w, http.StatusOK, `{"sentMessages":[{"id":"1","quoteToken":"q"}]}`)
	case r.Method == http.MethodPost && r.URL.Path == "/v2/bot/message/push":
		key := r.Header.Get("X-Line-Retry-Key")
		if f.pushFailures > 0 {
			f.pushFailures--
			writeJSON(w, http.StatusInternalServerError, `{"message":"Internal server error"}`)
			return
		}
		if key != "" && f.keys[key] {
			w.Header().Set("X-Line-Accepted-Request-Id", "accepted-1")
			writeJSON(w, http.StatusConflict, `{"message":"The retry key is already accepted","sentMessages":[{"id":"1"}]}`)
			return
		}
		if f.pushLimit > 0 && f.pushed >= f.pushLimit {
			writeJSON(w, http.StatusTooManyRequests, `{"message":"You have reached your monthly limit."}`)
			return
		}
		f.keys[key] = true
		f.pushed++
		writeJSON(w, http.StatusOK, `{"sentMessages":[{"id":"1","quoteToken":"q"}]}`)
	case r.Method == http.MethodGet && r.URL.Path == "/v2/bot/message/quota":
		if f.pushLimit > 0 {
			writeJSON(w, http.StatusOK, fmt.Sprintf(`{"type":"limited","value":%d}`, f.pushLimit))
		} else {
			writeJSON(w, http.StatusOK, `{"type":"none"}`)
		}
	case r.Method == http.MethodGet && r.URL.Path == "/v2/bot/message/quota/consumption":
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"totalUsage":%d}`, f.pushed))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/bot/profile/") && !f.noProfile:
		id := strings.TrimPrefix(r.URL.Path, "/v2/bot/profile/")
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"displayName":"Taro","userId":%q,"language":"en"}`, id))
	default:
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
	}
}

func (f *fakeAPI) Calls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

func (f *fakeAPI) Summaries() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Summary())
	}
	return out
}

// fakeBot is a line.Handler that dedupes like the real bot (which keeps
// nothing for group chats) and echoes the event kind with two buttons.
type fakeBot struct {
	mu          sync.Mutex
	events      []bot.Event
	records     map[string]*record
	delivered   []string
	released    []string // Release calls
	unavailable bool
	inFlight    bool                          // another handler holds every event
	slow        bool                          // wait for ctx to end, like a store that hangs
	replies     func(bot.Event) []bot.Reply   // nil: echo
	outcome     func(bot.Event, *bot.Outcome) // adds to a new event's outcome
}

type record struct {
	replies    []bot.Reply
	delivered  bool
	replyToken string
	// leased is the real bot's event lease: held from Handle until
	// MarkDelivered by a live handler (seeded records have none: their
	// handler died).
	leased bool
}

func newFakeBot() *fakeBot { return &fakeBot{records: map[string]*record{}} }

func (b *fakeBot) Handle(ctx context.Context, ev bot.Event) (bot.Outcome, error) {
	b.mu.Lock()
	slow := b.slow
	b.mu.Unlock()
	if slow {
		<-ctx.Done()
		return bot.Outcome{}, fmt.Errorf("load: %w", ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unavailable {
		return bot.Outcome{}, fmt.Errorf("load: %w", bot.ErrUnavailable)
	}
	if b.inFlight {
		return bot.Outcome{}, fmt.Errorf("claim: %w", bot.ErrInFlight)
	}
	if r, ok := b.records[ev.EventID]; ok && ev.Kind != bot.KindGroup {
		if r.leased {
			return bot.Outcome{}, fmt.Errorf("claim: %w", bot.ErrInFlight)
		}
		return bot.Outcome{Replies: r.replies, Duplicate: true, Delivered: r.delivered, ReplyToken: r.replyToken}, nil
	}
	b.events = append(b.events, ev)
	var replies []bot.Reply
	switch {
	case b.replies != nil:
		replies = b.replies(ev)
	case ev.Kind != bot.KindStop:
		replies = []bot.Reply{{
			Text:    "got " + string(ev.Kind),
			Choices: []bot.Choice{{Label: "Yes", Payload: "c:yes"}, {Label: "No", Payload: "c:no"}},
		}}
	}
	if ev.Kind != bot.KindGroup {
		b.records[ev.EventID] = &record{replies: replies, leased: len(replies) > 0, delivered: len(replies) == 0}
	}
	out := bot.Outcome{Replies: replies}
	if b.outcome != nil {
		b.outcome(ev, &out)
	}
	return out, nil
}

// Released lists the Release calls.
func (b *fakeBot) Released() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.released)
}

// Release gives the event's lease back (see bot.Service.Release).
func (b *fakeBot) Release(ctx context.Context, id bot.ConversationID, eventID, lease string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.records[eventID]; ok {
		r.leased = false
	}
	b.released = append(b.released, eventID)
	return nil
}

func (b *fakeBot) MarkDelivered(ctx context.Context, id bot.ConversationID, eventID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.records[eventID]; ok {
		r.delivered, r.leased = true, false
	}
	b.delivered = append(b.delivered, eventID)
	return nil
}

// leaseTTLPassed lets every event's lease run out, as after a handler that
// gave up without recording a delivery.
func (b *fakeBot) leaseTTLPassed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.records {
		r.leased = false
	}
}

// seed records eventID as committed earlier, delivered or not.
func (b *fakeBot) seed(eventID string, delivered bool) { b.seedToken(eventID, delivered, "") }

// seedToken records eventID as committed earlier with the reply token its
// send intent named.
func (b *fakeBot) seedToken(eventID string, delivered bool, token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.records[eventID] = &record{replies: []bot.Reply{{Text: "recorded answer"}}, delivered: delivered, replyToken: token}
}

func (b *fakeBot) Events() []bot.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bot.Event(nil), b.events...)
}

func (b *fakeBot) Delivered() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.delivered...)
}

// newAdapter returns an adapter talking to api, with a clock one second
// after the fixtures' events and a budget no test run reaches.
func newAdapter(tb testing.TB, api *fakeAPI, h line.Handler, opts ...func(*line.Config)) *line.Adapter {
	tb.Helper()
	cfg := line.Config{
		ChannelSecret: secret,
		AccessToken:   token,
		APIBaseURL:    api.URL,
		ReplyBudget:   time.Minute,
		Now:           func() time.Time { return eventTime.Add(time.Second) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := line.New(cfg, h)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { shutdown(tb, a) })
	return a
}

func shutdown(tb testing.TB, a *line.Adapter) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		tb.Errorf("Shutdown: %v", err)
	}
}

func post(a http.Handler, body []byte, signature string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/line/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Line-Signature", signature)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	return rec
}

func postFixture(tb testing.TB, a http.Handler, name string) *httptest.ResponseRecorder {
	tb.Helper()
	body := mustRead(tb, name)
	return post(a, body, sign(body))
}

// syncBuffer is a log sink the background sender may write to while a
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
