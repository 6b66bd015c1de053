package telegram_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
	"example.com/sswbot/metrics"
)

// inResponse turns the answer in the webhook's response back on (the
// default; newAdapter turns it off for the other tests).
func inResponse(c *telegram.Config) { c.WebhookReplyByAPI = false }

// webhookMethod decodes the method a webhook response asks Telegram to call.
func webhookMethod(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("response body %q: %v", body, err)
	}
	return m
}

func TestWebhookAnswersInItsResponse(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	b.replies = func(ev bot.Event) []bot.Reply {
		return []bot.Reply{{Text: "Step 1 <of> 2"}, {Text: "Next?", Choices: []bot.Choice{{Label: "Next", Payload: "c:next"}}}}
	}
	a := newAdapter(t, f, b, nil, inResponse)
	w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q; want 200 with a JSON method", w.Code, w.Header().Get("Content-Type"))
	}
	m := webhookMethod(t, w.Body.String())
	// Two replies joined into one message, so one method suffices.
	if m["method"] != "sendMessage" || m["chat_id"] != float64(5512345678) || m["parse_mode"] != "HTML" ||
		m["text"] != "Step 1 &lt;of&gt; 2\n\nNext?" {
		t.Errorf("method = %v", m)
	}
	kb, _ := json.Marshal(m["reply_markup"])
	if !strings.Contains(string(kb), `"callback_data":"c:next"`) {
		t.Errorf("reply_markup = %s, want the Next button", kb)
	}
	if got := f.callsOf("sendMessage"); len(got) != 0 {
		t.Errorf("%d sendMessage calls besides the response", len(got))
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
	// Telegram's copy of an answered update gets nothing more.
	if w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("copy: status %d, body %q; want 200 and no method", w.Code, w.Body.String())
	}
}

// A handler that died after its commit left the send intent "sending". In
// the webhook that means Telegram never took its answer (it would not
// deliver the update again otherwise), so the copy answers it, without a
// possible double.
func TestWebhookResolvesACrashedAnswerExactlyOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFakeTG(t)
	b := newFakeBot()
	b.records["734120001"] = &record{replies: []bot.Reply{{Text: "the recorded answer"}}} // committed, not delivered
	a := newAdapter(t, f, b, nil, func(c *telegram.Config) { inResponse(c); c.Metrics = metrics.New(reg) })
	w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	if m := webhookMethod(t, w.Body.String()); m["text"] != "the recorded answer" {
		t.Errorf("answer = %v, want the recorded one", m)
	}
	if got := countOf(t, reg, "sswbot_possible_double_sends_total", `platform="telegram"`); got != 0 {
		t.Errorf("possible doubles = %d, want 0", got)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

// An answer too long for one message goes out as API calls, at least once:
// a copy after a crash sends it again and counts it.
func TestWebhookSendsALongAnswerByAPI(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFakeTG(t)
	b := newFakeBot()
	long := strings.Repeat("Слово. ", 700) // about 4,900 UTF-16 units
	b.records["734120001"] = &record{replies: []bot.Reply{{Text: long}}}
	a := newAdapter(t, f, b, nil, func(c *telegram.Config) { inResponse(c); c.Metrics = metrics.New(reg) })
	w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("status %d, body %.60q; want 200 without a method", w.Code, w.Body.String())
	}
	if got := len(f.callsOf("sendMessage")); got != 2 {
		t.Errorf("%d sendMessage calls, want 2", got)
	}
	if got := countOf(t, reg, "sswbot_possible_double_sends_total", `platform="telegram"`); got != 1 {
		t.Errorf("possible doubles = %d, want 1", got)
	}
}

// A send that fails before anything went out gives the lease back, so
// Telegram's redelivery is handled at once.
func TestWebhookGivesTheLeaseBackWhenNothingWasSent(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	f.failNext("sendMessage", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	if got := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code; got != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", got)
	}
	b.mu.Lock()
	released, delivered := b.released, b.delivered
	b.mu.Unlock()
	if !reflect.DeepEqual(released, []string{"734120001"}) || len(delivered) != 0 {
		t.Errorf("released %v, delivered %v; want the lease given back and nothing recorded", released, delivered)
	}
}

// TestAnInvitesPhotoGoesInEveryMode: a reply with a picture (an invite's QR
// code) gets it as sendPhoto by URL before the text, whether the text is
// the webhook's response or sent by API; a copy that resolves an
// uncertain send sends the photo again and counts it.
func TestAnInvitesPhotoGoesInEveryMode(t *testing.T) {
	const qr = "https://bot.example/qr/ABCDEFGHJK.png"
	replies := func(bot.Event) []bot.Reply {
		return []bot.Reply{{Text: "Code ABCDEFGHJK: https://t.me/SSW_Guide_Bot?start=ABCDEFGHJK", Image: qr,
			Choices: []bot.Choice{{Label: "Next", Payload: "n:A.1.1"}}}}
	}
	for _, tc := range []struct {
		name     string
		edit     func(*telegram.Config)
		response bool
	}{
		{"the text in the webhook's response", inResponse, true},
		{"the text by API", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			b.replies = replies
			a := newAdapter(t, f, b, nil, tc.edit)
			w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			photos := f.callsOf("sendPhoto")
			if len(photos) != 1 || photos[0].Form.Get("photo") != qr || photos[0].Form.Get("chat_id") != "5512345678" {
				t.Fatalf("sendPhoto calls = %+v; want one with the QR's URL", photos)
			}
			if got := f.methods(); got[0] != "sendPhoto" {
				t.Errorf("calls = %v; want the photo first", got)
			}
			var text string
			if tc.response {
				text, _ = webhookMethod(t, w.Body.String())["text"].(string)
				if n := len(f.callsOf("sendMessage")); n != 0 {
					t.Errorf("%d sendMessage calls besides the response", n)
				}
			} else if sm := f.callsOf("sendMessage"); len(sm) == 1 {
				text = sm[0].Form.Get("text")
			}
			if !strings.Contains(text, "ABCDEFGHJK") || !strings.Contains(text, "start=ABCDEFGHJK") {
				t.Errorf("the text = %q; want the code and the link", text)
			}
		})
	}
	t.Run("a photo that fails leaves the text", func(t *testing.T) {
		f := newFakeTG(t)
		f.failNext("sendPhoto", 400, `{"ok":false,"error_code":400,"description":"Bad Request: failed to get HTTP URL content"}`)
		b := newFakeBot()
		b.replies = replies
		a := newAdapter(t, f, b, nil, inResponse)
		w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
		if text, _ := webhookMethod(t, w.Body.String())["text"].(string); w.Code != http.StatusOK || !strings.Contains(text, "ABCDEFGHJK") {
			t.Errorf("status %d, body %q; want 200 with the text", w.Code, w.Body.String())
		}
	})
	t.Run("a copy resolving an uncertain send counts the photo", func(t *testing.T) {
		f := newFakeTG(t)
		b := newFakeBot()
		b.replies = replies
		reg := prometheus.NewRegistry()
		a := newAdapter(t, f, b, nil, func(c *telegram.Config) { inResponse(c); c.Metrics = metrics.New(reg) })
		// The first handler committed and died before its response.
		b.records["734120001"] = &record{replies: replies(bot.Event{})}
		w := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
		if w.Code != http.StatusOK || len(f.callsOf("sendPhoto")) != 1 {
			t.Fatalf("status %d, %d photos; want 200 and the photo again", w.Code, len(f.callsOf("sendPhoto")))
		}
		if got := countOf(t, reg, "sswbot_possible_double_sends_total", `platform="telegram"`); got != 1 {
			t.Errorf("possible doubles = %d, want 1", got)
		}
	})
}
