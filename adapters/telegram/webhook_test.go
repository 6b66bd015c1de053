package telegram_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

func TestWebhookFixtures(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    bot.Event
		calls   []string
	}{
		{
			name:    "a Russian text message becomes a text event and gets one reply",
			fixture: "f1_text_ru.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345678", EventID: "734120001", Kind: bot.KindText,
				Text: "Здравствуйте! Хочу работать в Японии по визе 特定技能.", Lang: "ru", DisplayName: "Айбек",
				Time: time.Unix(1718000000, 0).UTC()},
			calls: []string{"sendMessage"},
		},
		{
			name:    "a start deep link becomes a start event with its payload",
			fixture: "f2_start_ky.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345679", EventID: "734120002", Kind: bot.KindStart,
				Text: "worker", Lang: "ky", DisplayName: "Нурай", Time: time.Unix(1718000100, 0).UTC()},
			calls: []string{"sendMessage"},
		},
		{
			name:    "a button press is answered, replied to and its keyboard removed",
			fixture: "f3_callback.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345678", EventID: "734120003", Kind: bot.KindChoice,
				Text: "field:care", Lang: "ru", DisplayName: "Айбек"},
			calls: []string{"answerCallbackQuery", "sendMessage", "editMessageReplyMarkup"},
		},
		{
			name:    "blocking the bot becomes a stop event and sends nothing",
			fixture: "f4_my_chat_member_blocked.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345678", EventID: "734120004", Kind: bot.KindStop,
				Lang: "ru", DisplayName: "Айбек", Time: time.Unix(1718000300, 0).UTC()},
			calls: nil,
		},
		{
			name:    "a photo is unsupported and gets a polite answer",
			fixture: "f5_photo.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345678", EventID: "734120005", Kind: bot.KindUnsupported,
				Lang: "ru", DisplayName: "Айбек", Time: time.Unix(1718000400, 0).UTC()},
			calls: []string{"sendMessage"},
		},
		{
			name:    "an edited message is unsupported and gets a polite answer",
			fixture: "f6_edited.json",
			want: bot.Event{Platform: bot.Telegram, UserID: "5512345678", EventID: "734120006", Kind: bot.KindUnsupported,
				Lang: "ru", DisplayName: "Айбек", Time: time.Unix(1718000050, 0).UTC()},
			calls: []string{"sendMessage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)

			w := post(t, a, mustRead(t, tt.fixture), testSecret)

			if got, want := w.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			events := b.handled()
			if len(events) != 1 {
				t.Fatalf("handled %d events, want 1: %+v", len(events), events)
			}
			if got, want := events[0], tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("event =\n%+v\nwant\n%+v", got, want)
			}
			if got, want := f.methods(), tt.calls; !reflect.DeepEqual(got, want) {
				t.Errorf("calls = %v, want %v", got, want)
			}
			for _, c := range f.callsOf("sendMessage") {
				if got, want := c.Form.Get("chat_id"), tt.want.UserID; got != want {
					t.Errorf("sendMessage chat_id = %q, want %q", got, want)
				}
				if got, want := c.Form.Get("text"), "re:"+tt.want.EventID; got != want {
					t.Errorf("sendMessage text = %q, want %q", got, want)
				}
				if got, want := c.Form.Get("parse_mode"), "HTML"; got != want {
					t.Errorf("parse_mode = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestWebhookCallbackDetails(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	post(t, a, mustRead(t, "f3_callback.json"), testSecret)

	ans := f.callsOf("answerCallbackQuery")
	if len(ans) != 1 || ans[0].Form.Get("callback_query_id") != "2370000000000000123" {
		t.Fatalf("answerCallbackQuery calls = %+v", ans)
	}
	ed := f.callsOf("editMessageReplyMarkup")
	if len(ed) != 1 {
		t.Fatalf("editMessageReplyMarkup calls = %d, want 1", len(ed))
	}
	if got, want := ed[0].Form.Get("message_id"), "17"; got != want {
		t.Errorf("edited message_id = %q, want %q", got, want)
	}
	if got, want := ed[0].Form.Get("reply_markup"), `{"inline_keyboard":[]}`; got != want {
		t.Errorf("reply_markup = %q, want %q", got, want)
	}
}

func TestWebhookRejectsWrongSecret(t *testing.T) {
	for name, secret := range map[string]string{
		"a missing secret is refused":       "",
		"a wrong secret is refused":         "s3cret-Token_2",
		"a prefix of the secret is refused": testSecret[:5],
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)

			w := post(t, a, mustRead(t, "f1_text_ru.json"), secret)

			if got, want := w.Code, http.StatusUnauthorized; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got := b.handled(); len(got) != 0 {
				t.Errorf("handler called with %v", got)
			}
			if got := f.all(); len(got) != 0 {
				t.Errorf("API calls: %v", got)
			}
		})
	}
}

func TestWebhookRejectsOtherMethods(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	r := httptest.NewRequest(http.MethodGet, "/telegram/webhook", nil)
	r.Header.Set("X-Telegram-Bot-Api-Secret-Token", testSecret)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if got, want := w.Code, http.StatusMethodNotAllowed; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if len(b.handled()) != 0 {
		t.Error("handler called")
	}
}

func TestWebhookAcknowledgesWhatItCannotUse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"a body that is not JSON", []byte("not json at all")},
		{"an empty object", []byte("{}")},
		{"a JSON array", []byte(`[{"update_id":1}]`)},
		{"a channel post", []byte(`{"update_id":734120100,"channel_post":{"message_id":1,"date":1,"chat":{"id":-100,"type":"channel"},"text":"x"}}`)},
		{"an update of an unknown type", []byte(`{"update_id":734120101,"message_reaction":{"chat":{"id":1,"type":"private"}}}`)},
		{"a message without chat", []byte(`{"update_id":734120102,"message":{"message_id":1,"date":1,"text":"hi"}}`)},
		{"a callback without sender or message", []byte(`{"update_id":734120103,"callback_query":{"id":"9","chat_instance":"1","data":"x"}}`)},
		{"a body over 1 MiB", append(append([]byte(`{"update_id":734120104,"message":{"text":"`), bytes.Repeat([]byte("a"), 1<<20)...), `"}}`...)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is acknowledged and not handled", func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)

			w := post(t, a, tt.body, testSecret)

			if got, want := w.Code, http.StatusOK; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got := b.handled(); len(got) != 0 {
				t.Errorf("handler called with %+v", got)
			}
			if got := f.methods(); len(got) != 0 && !reflect.DeepEqual(got, []string{"answerCallbackQuery"}) {
				t.Errorf("API calls: %v", got)
			}
		})
	}
}

func TestWebhookMalformedCommandEntityDoesNotPanic(t *testing.T) {
	// The library's Message.Command slices the text by the entity length.
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	body := `{"update_id":734120200,"message":{"message_id":1,"date":1,"text":"/","entities":[{"offset":0,"length":90,"type":"bot_command"}],` +
		`"from":{"id":7,"is_bot":false,"first_name":"A"},"chat":{"id":7,"type":"private"}}}`
	if got, want := post(t, a, []byte(body), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := b.handled(); len(got) != 1 || got[0].Kind != bot.KindText {
		t.Errorf("events = %+v, want one text event", got)
	}
}

func TestWebhookStoreOutage(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	b.setUnavailable(true)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status during the outage = %d, want %d", got, want)
	}
	if got := f.callsOf("sendMessage"); len(got) != 0 {
		t.Fatalf("sent %d messages during the outage", len(got))
	}

	b.setUnavailable(false)
	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status after the outage = %d, want %d", got, want)
	}
	if got, want := f.sentTexts(), []string{"re:734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestWebhookCallbackIsAnsweredDuringAnOutage(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	b.setUnavailable(true)

	if got, want := post(t, a, mustRead(t, "f3_callback.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := f.methods(), []string{"answerCallbackQuery"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func TestWebhookReplayedUpdateGetsOneReply(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	for range 3 {
		if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
	}
	if got, want := f.sentTexts(), []string{"re:734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

func TestWebhookResendsRepliesLostInACrash(t *testing.T) {
	// The first attempt commits but cannot send (Telegram answers 500);
	// the redelivery finds the event committed but undelivered and sends.
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	f.failNext("sendMessage", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("first status = %d, want %d", got, want)
	}
	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("second status = %d, want %d", got, want)
	}
	if got, want := b.committed(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("committed %v, want %v", got, want)
	}
	if got, want := len(f.callsOf("sendMessage")), 2; got != want {
		t.Errorf("sendMessage calls = %d, want %d (one failed, one delivered)", got, want)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

func TestWebhookHonoursRetryAfter(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	f.failNext("sendMessage", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := f.methods(), []string{"sendMessage", "sendMessage"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

func TestWebhookBlockedUserIsMarkedInactive(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	f.failNext("sendMessage", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	events := b.handled()
	if len(events) != 2 {
		t.Fatalf("events = %+v, want the text and a stop", events)
	}
	stop := events[1]
	if stop.Kind != bot.KindStop || stop.UserID != "5512345678" || stop.EventID != "blocked:5512345678:734120001" {
		t.Errorf("stop event = %+v", stop)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

func TestWebhookSilentOutcomeSendsNothing(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	b.silent = true
	a := newAdapter(t, f, b, nil, nil)
	post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	if got := f.methods(); len(got) != 0 {
		t.Errorf("calls = %v, want none", got)
	}
}

func TestWebhookCommands(t *testing.T) {
	tests := []struct {
		text     string
		kind     bot.Kind
		wantText string
	}{
		{"/start", bot.KindStart, ""},
		{"/start@ssw_guide_bot worker", bot.KindStart, "worker"},
		{"/help", bot.KindChoice, bot.PayloadHelp},
		{"/lang", bot.KindChoice, bot.PayloadLang},
		{"/restart", bot.KindChoice, bot.PayloadRestart},
		{"/contacts", bot.KindChoice, bot.PayloadContacts},
		{"/staff", bot.KindChoice, bot.PayloadStaff},
		{"/forget", bot.KindChoice, bot.PayloadForget},
		{"/Help", bot.KindChoice, bot.PayloadHelp},
		{"/unknown", bot.KindText, "/unknown"},
		{"help", bot.KindText, "help"},
	}
	for _, tt := range tests {
		t.Run(tt.text+" becomes "+string(tt.kind), func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)
			post(t, a, textUpdate(500, tt.text), testSecret)
			ev := b.handled()
			if len(ev) != 1 {
				t.Fatalf("events = %+v", ev)
			}
			if ev[0].Kind != tt.kind || ev[0].Text != tt.wantText {
				t.Errorf("got %s %q, want %s %q", ev[0].Kind, ev[0].Text, tt.kind, tt.wantText)
			}
		})
	}
}

func TestWebhookBadCallbackDataIsUnsupported(t *testing.T) {
	for name, data := range map[string]string{
		"over 64 bytes": strings.Repeat("x", 65),
		"not ASCII":     "поле:уход",
	} {
		t.Run("callback data "+name+" is unsupported but answered", func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)
			body := strings.Replace(string(mustRead(t, "f3_callback.json")), `"data": "field:care"`, `"data": "`+data+`"`, 1)
			post(t, a, []byte(body), testSecret)
			ev := b.handled()
			if len(ev) != 1 || ev[0].Kind != bot.KindUnsupported || ev[0].Text != "" {
				t.Errorf("events = %+v, want one unsupported event", ev)
			}
			if len(f.callsOf("answerCallbackQuery")) != 1 {
				t.Error("callback not answered")
			}
		})
	}
}

func TestWebhookGroupMessageIsAGroupEvent(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	body := `{"update_id":734120300,"message":{"message_id":3,"date":1718000000,"text":"/start",` +
		`"from":{"id":7,"is_bot":false,"first_name":"A"},"chat":{"id":-1001234,"type":"supergroup","title":"G"}}}`
	post(t, a, []byte(body), testSecret)
	ev := b.handled()
	if len(ev) != 1 || ev[0].Kind != bot.KindGroup || ev[0].UserID != "-1001234" {
		t.Fatalf("events = %+v, want one group event", ev)
	}
	if got, want := f.methods(), []string{"sendMessage"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if got := b.deliveries(); len(got) != 0 {
		t.Errorf("MarkDelivered for a group: %v", got)
	}
}

func TestWebhookHandlesChatsConcurrently(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.ReplaceAll(string(textUpdate(1000+i, "hi")), "5512345678", strconv.Itoa(7000+i))
			if got := post(t, a, []byte(body), testSecret).Code; got != http.StatusOK {
				t.Errorf("status = %d", got)
			}
		}()
	}
	wg.Wait()
	if got, want := len(f.sentTexts()), 20; got != want {
		t.Errorf("sent %d replies, want %d", got, want)
	}
}
