package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/adapters/telegram"
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
	slept := recordSleeps(a)
	f.failNext("sendMessage", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := f.methods(), []string{"sendMessage", "sendMessage"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if got := slept.waits(); len(got) == 0 || got[0] != 7*time.Second {
		t.Errorf("waits = %v, want retry_after (7s) first", got)
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

// groupMessage is a supergroup message from a person.
func groupMessage(id int, text string) []byte {
	return []byte(`{"update_id":` + strconv.Itoa(id) + `,"message":{"message_id":3,"date":1718000000,"text":` + strconv.Quote(text) + `,` +
		`"from":{"id":7,"is_bot":false,"first_name":"A"},"chat":{"id":-1001234,"type":"supergroup","title":"G"}}}`)
}

// setUp runs Setup against the fake (the adapter learns its name) and
// returns how many API calls it made.
func setUp(t *testing.T, a *telegram.Adapter, f *fakeTG) int {
	t.Helper()
	if err := a.Setup(context.Background()); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return len(f.methods())
}

func TestWebhookGroups(t *testing.T) {
	added := []byte(`{"update_id":734120301,"my_chat_member":{"chat":{"id":-1001234,"type":"supergroup","title":"G"},` +
		`"from":{"id":7,"is_bot":false,"first_name":"A","language_code":"ru"},"date":1718000000,` +
		`"old_chat_member":{"user":{"id":6000000001,"is_bot":true,"first_name":"SSW Guide"},"status":"left"},` +
		`"new_chat_member":{"user":{"id":6000000001,"is_bot":true,"first_name":"SSW Guide"},"status":"member"}}}`)
	promoted := strings.Replace(strings.Replace(string(added), `"status":"left"`, `"status":"member"`, 1), `"status":"member"}}}`, `"status":"administrator"}}}`, 1)
	groupCallback := strings.Replace(string(mustRead(t, "f3_callback.json")), `"type": "private"`, `"type": "group"`, 1)
	tests := []struct {
		name   string
		body   []byte
		answer bool
	}{
		{"adding the bot to a group gets the 1:1 answer", added, true},
		{"/start addressed to the bot gets the 1:1 answer", groupMessage(734120302, "/start@ssw_guide_bot"), true},
		{"/help addressed to the bot in any case gets the 1:1 answer", groupMessage(734120303, "/help@SSW_Guide_Bot"), true},
		{"a plain group message is ignored", groupMessage(734120304, "hello all"), false},
		{"/start without the bot's name is ignored", groupMessage(734120305, "/start"), false},
		{"/start addressed to another bot is ignored", groupMessage(734120306, "/start@other_bot"), false},
		{"another command addressed to the bot is ignored", groupMessage(734120307, "/lang@ssw_guide_bot"), false},
		{"a promotion to administrator is ignored", []byte(promoted), false},
		{"a button pressed in a group is ignored", []byte(groupCallback), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTG(t)
			b := newFakeBot()
			a := newAdapter(t, f, b, nil, nil)
			n := setUp(t, a, f)

			if got, want := post(t, a, tt.body, testSecret).Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			var sends []string
			for _, m := range f.methods()[n:] {
				if m != "answerCallbackQuery" {
					sends = append(sends, m)
				}
			}
			ev := b.handled()
			if !tt.answer {
				if len(ev) != 0 || len(sends) != 0 {
					t.Fatalf("events %+v, calls %v; want none", ev, sends)
				}
				return
			}
			if len(ev) != 1 || ev[0].Kind != bot.KindGroup || ev[0].UserID != "-1001234" {
				t.Fatalf("events = %+v, want one group event", ev)
			}
			if got, want := sends, []string{"sendMessage"}; !reflect.DeepEqual(got, want) {
				t.Errorf("calls = %v, want %v", got, want)
			}
			if got := b.deliveries(); len(got) != 0 {
				t.Errorf("MarkDelivered for a group: %v", got)
			}
		})
	}
}

func TestWebhookGroupCommandsNeedTheBotsName(t *testing.T) {
	// Without Setup the adapter does not know its name: nothing counts as
	// addressed to it.
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	post(t, a, groupMessage(734120310, "/start@ssw_guide_bot"), testSecret)
	if got := b.handled(); len(got) != 0 {
		t.Errorf("events = %+v, want none", got)
	}
}

func TestWebhookRefusedGroupReplyMarksNobodyInactive(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	setUp(t, a, f)
	f.failNext("sendMessage", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the supergroup chat"}`)

	if got, want := post(t, a, groupMessage(734120320, "/start@ssw_guide_bot"), testSecret).Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if ev := b.handled(); len(ev) != 1 || ev[0].Kind != bot.KindGroup {
		t.Errorf("events = %+v, want only the group event (no stop)", ev)
	}
}

func TestWebhookPartlySentRepliesAreNotRepeated(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	b.replies = func(ev bot.Event) []bot.Reply {
		// A keyboard under part 1 keeps the two from being joined.
		return []bot.Reply{{Text: "part 1", Choices: []bot.Choice{{Label: "A", Payload: "c:a"}}}, {Text: "part 2"}}
	}
	a := newAdapter(t, f, b, nil, nil)
	f.passNext("sendMessage")
	f.failNext("sendMessage", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)

	for i := range 2 { // the first delivery, then Telegram's replay
		if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
			t.Fatalf("delivery %d: status = %d, want %d", i+1, got, want)
		}
	}

	if got, want := f.sentTexts(), []string{"part 1", "part 2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sendMessage texts = %v, want %v (the second failed; nothing repeated)", got, want)
	}
	if got, want := b.deliveries(), []string{"734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MarkDelivered calls = %v, want %v", got, want)
	}
}

func TestWebhookAnswersACopyInProgressWith503(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.beforeHandle = func(context.Context, bot.Event) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	a := newAdapter(t, f, b, nil, nil)
	first := make(chan int, 1)
	go func() { first <- post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code }()
	<-entered

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Errorf("copy status = %d, want %d", got, want)
	}
	close(release)
	if got, want := <-first, http.StatusOK; got != want {
		t.Errorf("first status = %d, want %d", got, want)
	}
	if got := len(b.handled()); got != 1 {
		t.Errorf("Handle called %d times, want 1", got)
	}
	if got, want := f.sentTexts(), []string{"re:734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	// Once the first copy is done, a redelivery is acknowledged.
	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusOK; got != want {
		t.Errorf("later copy status = %d, want %d", got, want)
	}
}

func TestWebhookWorkHasADeadlineAndOutlivesTheRequest(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	var hasDeadline bool
	var ctxErr error
	b.beforeHandle = func(ctx context.Context, _ bot.Event) {
		_, hasDeadline = ctx.Deadline()
		ctxErr = ctx.Err()
	}
	a := newAdapter(t, f, b, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Telegram hung up
	r := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(mustRead(t, "f1_text_ru.json"))).WithContext(ctx)
	r.Header.Set("X-Telegram-Bot-Api-Secret-Token", testSecret)
	a.ServeHTTP(httptest.NewRecorder(), r)

	if !hasDeadline || ctxErr != nil {
		t.Errorf("Handle got a context with deadline %v and error %v, want a deadline and no error", hasDeadline, ctxErr)
	}
	if got, want := f.sentTexts(), []string{"re:734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

// brokenBody fails like a connection that dropped mid-body.
type brokenBody struct{}

func (brokenBody) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestWebhookBodyReadErrorAsksForARedelivery(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	r := httptest.NewRequest(http.MethodPost, "/telegram/webhook", brokenBody{})
	r.Header.Set("X-Telegram-Bot-Api-Secret-Token", testSecret)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if got, want := w.Code, http.StatusServiceUnavailable; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if len(b.handled()) != 0 {
		t.Error("handler called")
	}
}

func TestWebhookLongRetryAfterFailsAtOnce(t *testing.T) {
	// A 429 asking for more time than the update has left is not waited out:
	// nothing was sent, so Telegram redelivers.
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	slept := recordSleeps(a)
	f.failNext("sendMessage", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 40","parameters":{"retry_after":40}}`)

	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := slept.waits(); len(got) != 0 {
		t.Errorf("waits = %v, want none", got)
	}
	if got := b.deliveries(); len(got) != 0 {
		t.Errorf("MarkDelivered = %v, want none", got)
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

// A copy of an update another handler (maybe another process) holds gets a
// non-2xx answer and sends nothing: Telegram delivers it again later.
func TestWebhookUpdateInFlightElsewhereIsRefused(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	b.inFlight = true
	a := newAdapter(t, f, b, nil, nil)
	if got, want := post(t, a, mustRead(t, "f1_text_ru.json"), testSecret).Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := f.callsOf("sendMessage"); len(got) != 0 {
		t.Fatalf("sent %d messages for an update in flight elsewhere", len(got))
	}
}

// An update without a positive update_id could not be told from its
// redelivery: acknowledged, counted, not handled.
func TestWebhookUpdateWithoutAnIDIsNotHandled(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	a := newAdapter(t, f, b, nil, nil)
	for _, body := range []string{
		`{"update_id":0,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"A"},"text":"hi"}}`,
		`{"update_id":-3,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"A"},"text":"hi"}}`,
	} {
		if got, want := post(t, a, []byte(body), testSecret).Code, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
	}
	if got := b.handled(); len(got) != 0 {
		t.Errorf("handled %v, want nothing", got)
	}
	if got := f.callsOf("sendMessage"); len(got) != 0 {
		t.Errorf("sent %d messages", len(got))
	}
}
