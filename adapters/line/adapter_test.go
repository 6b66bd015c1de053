package line_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
	"example.com/sswbot/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const replyToken = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"

// ackBudget is a ReplyBudget for tests whose sending blocks until the test
// releases it: long enough that handling the events ends well inside it
// (it also bounds handling), short enough to keep the test quick.
const ackBudget = 300 * time.Millisecond

func TestFixtures(t *testing.T) {
	const groupID = "Ca56f94637c0d48cb3b2b4c5f1e8d2a1"
	tests := []struct {
		name      string
		fixture   string
		wantEvent *bot.Event
		wantCalls []string
	}{
		{
			name:      "a text message goes to the bot and is answered with the reply token",
			fixture:   "text.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQK", Kind: bot.KindText, Text: "Hello, world", Time: eventTime, ReplyToken: replyToken},
			wantCalls: []string{"reply token=" + replyToken + " messages=1"},
		},
		{
			name:      "a postback is a choice carrying its data",
			fixture:   "postback.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQ2", Kind: bot.KindChoice, Text: "action=buyItem&itemId=123123&color=red", Time: eventTime, ReplyToken: replyToken},
			wantCalls: []string{"reply token=" + replyToken + " messages=1"},
		},
		{
			name:      "a follow starts the conversation in the profile's language",
			fixture:   "follow.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQ3", Kind: bot.KindStart, Lang: "en", DisplayName: "Taro", Time: eventTime, ReplyToken: replyToken},
			wantCalls: []string{"GET /v2/bot/profile/" + userID, "reply token=" + replyToken + " messages=1"},
		},
		{
			name:      "an unfollow stops the conversation and sends nothing",
			fixture:   "unfollow.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQ4", Kind: bot.KindStop, Time: eventTime},
		},
		{
			name:      "a sticker is unsupported and answered politely",
			fixture:   "sticker.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQ5", Kind: bot.KindUnsupported, Time: eventTime, ReplyToken: replyToken},
			wantCalls: []string{"reply token=" + replyToken + " messages=1"},
		},
		{
			name:      "a redelivered event is answered by push with the event's retry key",
			fixture:   "redelivery.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: userID, EventID: "01FZ74ASS536FW97EX38NKCZQK", Kind: bot.KindText, Text: "Hello, world", Time: eventTime},
			wantCalls: []string{"push to=" + userID + " key=" + line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 0) + " messages=1"},
		},
		{
			name:    "a standby event is ignored",
			fixture: "standby.json",
		},
		{
			name:    "the console's verify request is acknowledged",
			fixture: "verify.json",
		},
		{
			name:      "joining a group is answered once in the group",
			fixture:   "join.json",
			wantEvent: &bot.Event{Platform: bot.LINE, UserID: groupID, EventID: "01FZ74ASS536FW97EX38NKCZQ7", Kind: bot.KindGroup, Time: eventTime, ReplyToken: "0f3779fba3b349968c5d07db31eabf65"},
			wantCalls: []string{"reply token=0f3779fba3b349968c5d07db31eabf65 messages=1"},
		},
		{
			name:    "a message in a group is ignored",
			fixture: "group_text.json",
		},
		{
			name:    "an unknown event type is acknowledged",
			fixture: "unknown.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, b := newFakeAPI(t), newFakeBot()
			a := newAdapter(t, api, b)

			rec := postFixture(t, a, tt.fixture)
			if got, want := rec.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			shutdown(t, a)

			var want []bot.Event
			if tt.wantEvent != nil {
				want = []bot.Event{*tt.wantEvent}
			}
			if got := b.Events(); !reflect.DeepEqual(got, want) {
				t.Errorf("events:\n got %+v\nwant %+v", got, want)
			}
			if got := api.Summaries(); !reflect.DeepEqual(got, tt.wantCalls) {
				t.Errorf("API calls:\n got %q\nwant %q", got, tt.wantCalls)
			}
			// Nothing is kept for groups, so there is no delivery to record.
			if len(tt.wantCalls) > 0 && tt.wantEvent.Kind != bot.KindStop && tt.wantEvent.Kind != bot.KindGroup {
				if got, want := b.Delivered(), []string{tt.wantEvent.EventID}; !reflect.DeepEqual(got, want) {
					t.Errorf("delivered = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestRejectedRequests(t *testing.T) {
	text := mustRead(t, "text.json")
	oversize := append([]byte(`{"destination":"x","events":[],"pad":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	oversize = append(oversize, `"}`...)
	malformed := []byte(`{"destination":"x","events":[{"type":"message",`)
	tests := []struct {
		name      string
		method    string
		body      []byte
		signature string
		want      int
	}{
		{"a wrong signature is refused", http.MethodPost, text, sign([]byte("something else")), http.StatusBadRequest},
		{"a missing signature is refused", http.MethodPost, text, "", http.StatusBadRequest},
		{"a signature that is not base64 is refused", http.MethodPost, text, "%%%", http.StatusBadRequest},
		{"a body over 1 MiB is refused", http.MethodPost, oversize, sign(oversize), http.StatusRequestEntityTooLarge},
		{"a GET is not allowed", http.MethodGet, nil, "", http.StatusMethodNotAllowed},
		{"signed malformed JSON is refused", http.MethodPost, malformed, sign(malformed), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, b := newFakeAPI(t), newFakeBot()
			a := newAdapter(t, api, b)

			req, _ := http.NewRequest(tt.method, "/line/webhook", bytes.NewReader(tt.body))
			if tt.signature != "" {
				req.Header.Set("X-Line-Signature", tt.signature)
			}
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			shutdown(t, a)

			if got := rec.Code; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
			if tt.want == http.StatusMethodNotAllowed {
				if got, want := rec.Header().Get("Allow"), http.MethodPost; got != want {
					t.Errorf("Allow = %q, want %q", got, want)
				}
			}
			if got := b.Events(); len(got) != 0 {
				t.Errorf("handler got %d events, want none", len(got))
			}
			if got := api.Calls(); len(got) != 0 {
				t.Errorf("API got %d calls, want none", len(got))
			}
		})
	}
}

func TestRedeliveredEventIsAnsweredOnce(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)

	for _, f := range []string{"text.json", "redelivery.json"} {
		if got, want := postFixture(t, a, f).Code, http.StatusOK; got != want {
			t.Fatalf("%s: status = %d, want %d", f, got, want)
		}
		// The first handling ends (its delivery recorded, after the
		// webhook's answer) before LINE redelivers; a copy that came
		// sooner would find the lease held and get a 503 to retry.
		shutdown(t, a)
	}

	if got, want := len(b.Events()), 1; got != want {
		t.Errorf("bot handled %d events, want %d", got, want)
	}
	want := []string{"reply token=" + replyToken + " messages=1"}
	if got := api.Summaries(); !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
}

func TestUndeliveredDuplicateIsPushedWithTheStableKey(t *testing.T) {
	const id = "01FZ74ASS536FW97EX38NKCZQK"
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)
	b.seed(id, false) // committed, then the process died before sending

	// Redelivered twice, crashing again after the first push: LINE refuses
	// the second push of the same key and the adapter counts it as sent.
	for i := range 2 {
		if got, want := postFixture(t, a, "redelivery.json").Code, http.StatusOK; got != want {
			t.Fatalf("attempt %d: status = %d, want %d", i, got, want)
		}
		shutdown(t, a)
		b.seed(id, false)
	}

	key := line.RetryKey(id, 0)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(key) {
		t.Errorf("retry key %q is not a hex UUID", key)
	}
	push := "push to=" + userID + " key=" + key + " messages=1"
	if got, want := api.Summaries(), []string{push, push}; !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
	if got, want := b.Delivered(), []string{id, id}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered = %q, want %q", got, want)
	}
	if got := len(b.Events()); got != 0 {
		t.Errorf("bot processed %d new events, want none", got)
	}
}

func TestDeliveredDuplicateIsNotAnswered(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)
	b.seed("01FZ74ASS536FW97EX38NKCZQK", true)

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	if got := api.Calls(); len(got) != 0 {
		t.Errorf("API calls = %q, want none", api.Summaries())
	}
}

func TestReplyFailures(t *testing.T) {
	const id = "01FZ74ASS536FW97EX38NKCZQK"
	reply := "reply token=" + replyToken + " messages=1"
	push := "push to=" + userID + " key=" + line.RetryKey(id, 0) + " messages=1"
	tests := []struct {
		name          string
		status        int // -1: no answer
		body          string
		wantStatus    int
		wantCalls     []string
		wantDelivered []string
	}{
		{
			name:   "a rejected reply token is replaced by a push",
			status: http.StatusBadRequest, body: `{"message":"Invalid reply token"}`,
			wantStatus: http.StatusOK, wantCalls: []string{reply, push}, wantDelivered: []string{id},
		},
		{
			name:   "a 400 about the replyToken field is replaced by a push",
			status: http.StatusBadRequest, body: `{"message":"The request body has 1 error(s)","details":[{"message":"must be specified","property":"replyToken"}]}`,
			wantStatus: http.StatusOK, wantCalls: []string{reply, push}, wantDelivered: []string{id},
		},
		{
			// Sending is over (a copy would fail alike): recorded, so a
			// copy sends nothing.
			name:   "a reply refused for its messages is not pushed, which would fail alike",
			status: http.StatusBadRequest, body: `{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 1 and 5000","property":"messages[0].text"}]}`,
			wantStatus: http.StatusOK, wantCalls: []string{reply}, wantDelivered: []string{id},
		},
		{
			name:   "a 500 may have been shown: no push, LINE is asked to redeliver",
			status: http.StatusInternalServerError, body: `{"message":"Internal server error"}`,
			wantStatus: http.StatusInternalServerError, wantCalls: []string{reply},
		},
		{
			name:   "a 429 is not pushed, LINE is asked to redeliver",
			status: http.StatusTooManyRequests, body: `{"message":"The API rate limit has been exceeded. Try again later."}`,
			wantStatus: http.StatusInternalServerError, wantCalls: []string{reply},
		},
		{
			name:       "a reply without an answer may have been shown: no push, LINE is asked to redeliver",
			status:     -1,
			wantStatus: http.StatusInternalServerError, wantCalls: []string{reply},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, b := newFakeAPI(t), newFakeBot()
			api.replyStatus, api.replyBody = tt.status, tt.body
			a := newAdapter(t, api, b)

			if got, want := postFixture(t, a, "text.json").Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			shutdown(t, a)
			if got := api.Summaries(); !reflect.DeepEqual(got, tt.wantCalls) {
				t.Errorf("API calls:\n got %q\nwant %q", got, tt.wantCalls)
			}
			if got := b.Delivered(); !reflect.DeepEqual(got, tt.wantDelivered) {
				t.Errorf("delivered = %q, want %q", got, tt.wantDelivered)
			}
			if tt.wantStatus != http.StatusInternalServerError {
				return
			}
			// The lease was given back at once, and the redelivered copy is
			// pushed with the stable retry key.
			if got := b.Released(); !reflect.DeepEqual(got, []string{id}) {
				t.Errorf("released = %q, want %q", got, []string{id})
			}
			if got, want := postFixture(t, a, "redelivery.json").Code, http.StatusOK; got != want {
				t.Fatalf("redelivery: status = %d, want %d", got, want)
			}
			shutdown(t, a)
			if got, want := api.Summaries(), append(tt.wantCalls, push); !reflect.DeepEqual(got, want) {
				t.Errorf("API calls after the redelivery:\n got %q\nwant %q", got, want)
			}
			if got, want := b.Delivered(), []string{id}; !reflect.DeepEqual(got, want) {
				t.Errorf("delivered after the redelivery = %q, want %q", got, want)
			}
		})
	}
}

func TestReplyFailingAfterTheAcknowledgementIsNotPushed(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	api.block = make(chan struct{})
	api.replyStatus, api.replyBody = http.StatusInternalServerError, `{"message":"Internal server error"}`
	var logs syncBuffer
	a := newAdapter(t, api, b, func(c *line.Config) {
		c.ReplyBudget = ackBudget
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	close(api.block)
	shutdown(t, a)
	if got, want := api.Summaries(), []string{"reply token=" + replyToken + " messages=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
	// No copy will come: sending is over, though it failed.
	if got, want := b.Delivered(), []string{"01FZ74ASS536FW97EX38NKCZQK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered = %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "answer lost") {
		t.Errorf("the lost answer was not logged:\n%s", logs.String())
	}
}

func TestSlowHandlingAsksForRedelivery(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	b.slow = true
	a := newAdapter(t, api, b, func(c *line.Config) { c.ReplyBudget = 20 * time.Millisecond })

	if got, want := postFixture(t, a, "two_texts.json").Code, http.StatusServiceUnavailable; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	if got := api.Calls(); len(got) != 0 {
		t.Errorf("API calls = %q, want none", api.Summaries())
	}
}

func TestRedeliveredJoinIsNotAnsweredAgain(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)

	for _, f := range []string{"join.json", "join_redelivery.json"} {
		if got, want := postFixture(t, a, f).Code, http.StatusOK; got != want {
			t.Fatalf("%s: status = %d, want %d", f, got, want)
		}
	}
	shutdown(t, a)
	if got, want := api.Summaries(), []string{"reply token=0f3779fba3b349968c5d07db31eabf65 messages=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
	if got, want := len(b.Events()), 1; got != want {
		t.Errorf("bot got %d joins, want %d", got, want)
	}
}

func TestLateEventIsPushed(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b, func(c *line.Config) {
		c.Now = func() time.Time { return eventTime.Add(2 * time.Minute) }
	})

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)

	want := []string{"push to=" + userID + " key=" + line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 0) + " messages=1"}
	if got := api.Summaries(); !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
}

func TestStoreUnavailableAsksForRedelivery(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	b.unavailable = true
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "text.json").Code, http.StatusServiceUnavailable; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	if got := api.Calls(); len(got) != 0 {
		t.Errorf("API calls = %q, want none", api.Summaries())
	}
}

func TestEventsAreHandledAndAnsweredInOrder(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "two_texts.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)

	var texts []string
	for _, ev := range b.Events() {
		texts = append(texts, ev.Text)
	}
	if got, want := texts, []string{"first", "second"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
	want := []string{
		"reply token=replytoken-first-00000000000000 messages=1",
		"reply token=replytoken-second-0000000000000 messages=1",
	}
	if got := api.Summaries(); !reflect.DeepEqual(got, want) {
		t.Errorf("API calls = %q, want %q", got, want)
	}
}

func TestSlowSendingIsAcknowledgedAndFinishedInBackground(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	api.block = make(chan struct{})
	a := newAdapter(t, api, b, func(c *line.Config) { c.ReplyBudget = ackBudget })

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := len(b.Events()); got != 1 {
		t.Fatalf("committed %d events before the acknowledgement, want 1", got)
	}
	if got := b.Delivered(); len(got) != 0 {
		t.Fatalf("delivered %q before LINE answered", got)
	}
	close(api.block)
	shutdown(t, a)
	if got, want := b.Delivered(), []string{"01FZ74ASS536FW97EX38NKCZQK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered = %q, want %q", got, want)
	}
}

func TestFailedSendingAsksForRedelivery(t *testing.T) {
	defer line.SetPushBackoff(0)()
	api, b := newFakeAPI(t), newFakeBot()
	api.rejectReply = true
	api.pushFailures = 3
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "text.json").Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := b.Delivered(); len(got) != 0 {
		t.Errorf("delivered = %q, want none", got)
	}

	// LINE redelivers; the duplicate was never delivered and is pushed
	// (once the failed handler's lease has run out).
	b.leaseTTLPassed()
	if got, want := postFixture(t, a, "redelivery.json").Code, http.StatusOK; got != want {
		t.Fatalf("redelivery: status = %d, want %d", got, want)
	}
	shutdown(t, a)
	calls := api.Calls()
	last := calls[len(calls)-1]
	if got, want := last.Summary(), "push to="+userID+" key="+line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 0)+" messages=1"; got != want {
		t.Errorf("last call = %q, want %q", got, want)
	}
	if got, want := len(calls), 1+3+1; got != want {
		t.Errorf("API got %d calls, want %d (reply, 3 push attempts, push)", got, want)
	}
}

func TestQuickReplyJSON(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	b.replies = func(bot.Event) []bot.Reply {
		choices := []bot.Choice{
			{Label: "日本語", Payload: "lang:ja"},
			{Label: "Кыргызча", Payload: "lang:ky"},
			{Label: "A label that is far too long for LINE", Payload: "c:long"},
			{Label: "特定技能の在留資格について詳しく知りたいです", Payload: "c:ja-long"},
			{Label: "", Payload: "c:nolabel"},
		}
		for i := len(choices); i < 15; i++ {
			choices = append(choices, bot.Choice{Label: "Option " + string(rune('A'+i)), Payload: "c:" + string(rune('a'+i))})
		}
		return []bot.Reply{
			{Text: "First paragraph.\n\nSee https://example.org/ssw for details.", Links: []bot.Link{
				{Label: "Guide", URL: "https://example.org/ssw"},
				{Label: "Contacts", URL: "https://example.org/contacts"},
			}},
			{Text: "Choose one:", Choices: choices},
		}
	}
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	calls := api.Calls()
	if len(calls) != 1 {
		t.Fatalf("API calls = %q, want one reply", api.Summaries())
	}
	var got bytes.Buffer
	if err := json.Indent(&got, calls[0].Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "quickreply.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("reply JSON differs from %s (run with -update to accept):\n%s", golden, got.Bytes())
	}
}

func TestManyMessagesAreSentInSeveralRequests(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	b.replies = func(bot.Event) []bot.Reply {
		var rs []bot.Reply
		for range 7 {
			rs = append(rs, bot.Reply{Text: strings.Repeat("x", 3000)}) // too long to merge
		}
		rs[6].Choices = []bot.Choice{{Label: "OK", Payload: "c:ok"}}
		return rs
	}
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "text.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	want := []string{
		"reply token=" + replyToken + " messages=5",
		"push to=" + userID + " key=" + line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 1) + " messages=2",
	}
	if got := api.Summaries(); !reflect.DeepEqual(got, want) {
		t.Errorf("API calls:\n got %q\nwant %q", got, want)
	}
	if !bytes.Contains(api.Calls()[1].Body, []byte(`"quickReply"`)) {
		t.Errorf("the buttons are not on the last message")
	}
}

func TestPush(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b)

	paragraph := strings.Repeat("あ", 1999)
	text := strings.Join([]string{paragraph, paragraph, paragraph, paragraph}, "\n\n")
	if err := a.Push(t.Context(), userID, text); err != nil {
		t.Fatal(err)
	}
	if err := a.Push(t.Context(), userID, "short"); err != nil {
		t.Fatal(err)
	}
	calls := api.Calls()
	if len(calls) != 2 {
		t.Fatalf("API calls = %q, want two pushes", api.Summaries())
	}
	if calls[0].RetryKey == "" || calls[0].RetryKey == calls[1].RetryKey {
		t.Errorf("retry keys %q and %q, want two different keys", calls[0].RetryKey, calls[1].RetryKey)
	}
	var req struct {
		To       string `json:"to"`
		Messages []struct {
			Type, Text string
		} `json:"messages"`
	}
	if err := json.Unmarshal(calls[0].Body, &req); err != nil {
		t.Fatal(err)
	}
	if got, want := req.To, userID; got != want {
		t.Errorf("to = %q, want %q", got, want)
	}
	if got, want := len(req.Messages), 2; got != want {
		t.Fatalf("messages = %d, want %d", got, want)
	}
	if got, want := req.Messages[0].Text, paragraph+"\n\n"+paragraph; got != want {
		t.Errorf("first message has %d units, want two paragraphs", line.UTF16Len(got))
	}

	if err := a.Push(t.Context(), "", "hi"); err == nil {
		t.Error("Push without a user id succeeded")
	}
	if err := a.Push(t.Context(), userID, " "); err == nil {
		t.Error("Push of blank text succeeded")
	}
}

func TestPushRetriesWithTheSameKey(t *testing.T) {
	defer line.SetPushBackoff(0)()
	api, b := newFakeAPI(t), newFakeBot()
	api.pushFailures = 1
	a := newAdapter(t, api, b)

	if err := a.Push(t.Context(), userID, "hello"); err != nil {
		t.Fatal(err)
	}
	calls := api.Calls()
	if len(calls) != 2 || calls[0].RetryKey != calls[1].RetryKey {
		t.Errorf("API calls = %q, want two pushes with one key", api.Summaries())
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  line.Config
	}{
		{"a missing secret is an error", line.Config{AccessToken: token}},
		{"a missing token is an error", line.Config{ChannelSecret: secret}},
		{"an endpoint that is not a URL is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "::"}},
		{"an endpoint without a scheme is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "localhost:8080"}},
		{"an endpoint without a host is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "http://"}},
		{"a relative endpoint is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "/v2"}},
		{"an endpoint that is not http is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "ftp://api.line.me"}},
		{"an endpoint with a query is an error", line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: "https://api.line.me?x=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := line.New(tt.cfg, newFakeBot()); err == nil {
				t.Error("New succeeded")
			}
		})
	}
	for _, base := range []string{"", "https://api.line.me", "http://127.0.0.1:8080", "http://fake-line:8080/prefix/"} {
		if _, err := line.New(line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: base}, newFakeBot()); err != nil {
			t.Errorf("New with endpoint %q: %v", base, err)
		}
	}
}

func TestSignatureTestVector(t *testing.T) {
	// From the LINE reference notes: secret "testsecret" over verify.json.
	if got, want := sign(mustRead(t, "verify.json")), "p9tgV4mW4mlx4VsMQaQ3TkwfnBBqpocPyveEyWCgp+U="; got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
}

func TestFollowWithoutProfileHasNoLanguage(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	api.noProfile = true
	a := newAdapter(t, api, b)

	if got, want := postFixture(t, a, "follow.json").Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	evs := b.Events()
	if len(evs) != 1 {
		t.Fatalf("events = %+v, want one", evs)
	}
	if got, want := evs[0].Kind, bot.KindStart; got != want {
		t.Errorf("kind = %q, want %q", got, want)
	}
	if evs[0].Lang != "" || evs[0].DisplayName != "" {
		t.Errorf("lang, name = %q, %q, want empty (the bot picks the default)", evs[0].Lang, evs[0].DisplayName)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	api, b := newFakeAPI(t), newFakeBot()
	a := newAdapter(t, api, b, func(c *line.Config) { c.Metrics = metrics.New(reg) })

	postFixture(t, a, "text.json")
	postFixture(t, a, "text.json")
	postFixture(t, a, "standby.json")
	postFixture(t, a, "group_text.json")
	post(a, []byte(`{}`), "bad")
	post(a, []byte(`{"events":`), sign([]byte(`{"events":`)))
	shutdown(t, a)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				got[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	// Events the bot sees are counted by the bot, not here.
	want := map[string]float64{
		"sswbot_events_total{webhook,bad_signature,line}": 1,
		"sswbot_events_total{webhook,bad_json,line}":      1,
		"sswbot_events_total{webhook,standby,line}":       1,
		"sswbot_events_total{webhook,ignored,line}":       1,
		"sswbot_outbound_api_calls_total{reply,line,200}": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics:\n got %v\nwant %v", got, want)
	}
}

// A redelivered event whose first send is uncertain (committed, the first
// handler gone before it recorded the delivery) is resolved with the reply
// token recorded in the send intent: LINE refuses a used token, so the
// reply is shown at most once; only an expired token forces a push, which
// is counted as a possible double.
func TestUncertainSendIsResolvedWithTheRecordedToken(t *testing.T) {
	const id = "01FZ74ASS536FW97EX38NKCZQK"
	reply := "reply token=recorded-token messages=1"
	push := "push to=" + userID + " key=" + line.RetryKey(id, 0) + " messages=1"
	tests := []struct {
		name        string
		tokenUsed   bool
		age         time.Duration
		wantCalls   []string
		wantDoubles int
	}{
		{name: "the token was used: the first reply got through", tokenUsed: true, age: 5 * time.Second, wantCalls: []string{reply}},
		{name: "the token is unused: the reply goes out now", age: 5 * time.Second, wantCalls: []string{reply}},
		{name: "the token has expired: pushed once and counted", age: 2 * time.Minute, wantCalls: []string{push}, wantDoubles: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, b := newFakeAPI(t), newFakeBot()
			api.rejectReply = tt.tokenUsed
			reg := prometheus.NewRegistry()
			a := newAdapter(t, api, b, func(c *line.Config) {
				c.Now = func() time.Time { return eventTime.Add(tt.age) }
				c.Metrics = metrics.New(reg)
			})
			b.seedToken(id, false, "recorded-token")
			if got, want := postFixture(t, a, "redelivery.json").Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			shutdown(t, a)
			if got := api.Summaries(); !reflect.DeepEqual(got, tt.wantCalls) {
				t.Errorf("API calls = %q, want %q", got, tt.wantCalls)
			}
			if got, want := b.Delivered(), []string{id}; !reflect.DeepEqual(got, want) {
				t.Errorf("delivered = %q, want %q", got, want)
			}
			if got := counter(t, reg, "sswbot_possible_double_sends_total"); got != tt.wantDoubles {
				t.Errorf("possible doubles = %d, want %d", got, tt.wantDoubles)
			}
		})
	}
}

// A copy of an event another handler holds gets 5xx and sends nothing.
func TestAnEventInFlightElsewhereIsRefusedAndSendsNothing(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	b.inFlight = true
	a := newAdapter(t, api, b)
	if got, want := postFixture(t, a, "text.json").Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	shutdown(t, a)
	if got := api.Summaries(); len(got) != 0 {
		t.Errorf("API calls = %q, want none", got)
	}
}

// An event without webhookEventId could not be told from its redelivery:
// it is acknowledged, counted and not handled.
func TestAnEventWithoutAnIDIsNotHandled(t *testing.T) {
	api, b := newFakeAPI(t), newFakeBot()
	reg := prometheus.NewRegistry()
	a := newAdapter(t, api, b, func(c *line.Config) { c.Metrics = metrics.New(reg) })
	body := bytes.Replace(mustRead(t, "text.json"), []byte(`"01FZ74ASS536FW97EX38NKCZQK"`), []byte(`""`), 1)
	for range 2 {
		if got, want := post(a, body, sign(body)).Code, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
	}
	shutdown(t, a)
	if got := len(b.Events()); got != 0 {
		t.Errorf("%d events handled, want none", got)
	}
	if got := api.Summaries(); len(got) != 0 {
		t.Errorf("API calls = %q, want none", got)
	}
	if got := counter(t, reg, "sswbot_events_total"); got != 2 {
		t.Errorf("events counted = %d, want 2 (no_id)", got)
	}
}

// counter sums every series of the counter name in reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return int(n)
}
