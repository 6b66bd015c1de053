package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
)

type kbButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
	URL          string `json:"url"`
}

func keyboardOf(t *testing.T, c call) [][]kbButton {
	t.Helper()
	var kb struct {
		InlineKeyboard [][]kbButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(c.Form.Get("reply_markup")), &kb); err != nil {
		t.Fatalf("reply_markup %q: %v", c.Form.Get("reply_markup"), err)
	}
	return kb.InlineKeyboard
}

func TestRepliesBecomeInlineKeyboards(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	b.replies = func(bot.Event) []bot.Reply {
		return []bot.Reply{{
			Text: "Выберите сферу работы:",
			Choices: []bot.Choice{
				{Label: "Уход (介護)", Payload: "field:care"},
				{Label: "Стройка", Payload: "field:construction"},
				{Label: "Сельское хозяйство и рыболовство", Payload: "field:agri"},
				{Label: "Too long", Payload: strings.Repeat("p", 65)},
				{Label: "Not ASCII", Payload: "поле"},
				{Label: "", Payload: "field:empty"},
				{Label: "Назад", Payload: bot.PayloadBack},
			},
			Links: []bot.Link{
				{Label: "ISA", URL: "https://www.moj.go.jp/isa/"},
				{Label: "Bad", URL: "javascript:alert(1)"},
			},
		}}
	}
	a := newAdapter(t, f, b, nil, nil)
	post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)

	sent := f.callsOf("sendMessage")
	if len(sent) != 1 {
		t.Fatalf("sendMessage calls = %d, want 1", len(sent))
	}
	got := keyboardOf(t, sent[0])
	want := [][]kbButton{
		{{Text: "Уход (介護)", CallbackData: "field:care"}, {Text: "Стройка", CallbackData: "field:construction"}},
		{{Text: "Сельское хозяйство и рыболовство", CallbackData: "field:agri"}},
		{{Text: "Назад", CallbackData: bot.PayloadBack}},
		{{Text: "ISA", URL: "https://www.moj.go.jp/isa/"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keyboard =\n%+v\nwant\n%+v", got, want)
	}
	for _, row := range got {
		for _, btn := range row {
			if len(btn.CallbackData) > 64 {
				t.Errorf("callback_data %q is %d bytes", btn.CallbackData, len(btn.CallbackData))
			}
		}
	}
}

func TestKeyboardGoesOnTheLastPartOnly(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	long := strings.Repeat("Абзац текста. ", 400) // 5600 runes
	b.replies = func(bot.Event) []bot.Reply {
		return []bot.Reply{{Text: long, Choices: []bot.Choice{{Label: "OK", Payload: "ok"}}}}
	}
	a := newAdapter(t, f, b, nil, nil)
	post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)

	sent := f.callsOf("sendMessage")
	if len(sent) != 2 {
		t.Fatalf("sendMessage calls = %d, want 2", len(sent))
	}
	if sent[0].Form.Get("reply_markup") != "" {
		t.Error("first part has a keyboard")
	}
	if len(keyboardOf(t, sent[1])) != 1 {
		t.Error("last part has no keyboard")
	}
}

func TestTextIsEscapedForHTML(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	if err := a.Push(context.Background(), "5512345678", `Tom & Jerry <3 "<b>" 特定技能`); err != nil {
		t.Fatal(err)
	}
	sent := f.callsOf("sendMessage")
	if len(sent) != 1 {
		t.Fatalf("sendMessage calls = %d", len(sent))
	}
	if got, want := sent[0].Form.Get("text"), `Tom &amp; Jerry &lt;3 &quot;&lt;b&gt;&quot; 特定技能`; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := sent[0].Form.Get("parse_mode"), "HTML"; got != want {
		t.Errorf("parse_mode = %q, want %q", got, want)
	}
}

func TestRejectedHTMLFallsBackToPlainText(t *testing.T) {
	f := newFakeTG(t)
	f.failNext("sendMessage", 400, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag"}`)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	if err := a.Push(context.Background(), "5512345678", "a < b"); err != nil {
		t.Fatal(err)
	}
	sent := f.callsOf("sendMessage")
	if len(sent) != 2 {
		t.Fatalf("sendMessage calls = %d, want 2", len(sent))
	}
	if got, want := sent[1].Form.Get("text"), "a < b"; got != want || sent[1].Form.Has("parse_mode") {
		t.Errorf("retry text = %q parse_mode %q, want %q without parse mode", got, sent[1].Form.Get("parse_mode"), want)
	}
}

func TestSplitText(t *testing.T) {
	para := strings.Repeat("ж", 3000)
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"short text stays whole", "привет", 10, []string{"привет"}},
		{"text of exactly the limit stays whole", strings.Repeat("я", 10), 10, []string{strings.Repeat("я", 10)}},
		{"paragraphs are split at the blank line", para + "\n\n" + para, 4000, []string{para, para}},
		{"lines are split at the newline", "aaaaaa\nbbbbbb", 10, []string{"aaaaaa", "bbbbbb"}},
		{"words are split at the space", "aaaaaa bbbbbb", 10, []string{"aaaaaa", "bbbbbb"}},
		{"a run without spaces is cut hard", strings.Repeat("語", 25), 10, []string{strings.Repeat("語", 10), strings.Repeat("語", 10), strings.Repeat("語", 5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := telegram.SplitText(tt.in, tt.max)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %d parts %q, want %d parts %q", len(got), abbrev(got), len(tt.want), abbrev(tt.want))
			}
			for _, p := range got {
				if n := utf8.RuneCountInString(p); n > tt.max {
					t.Errorf("part of %d runes, limit %d", n, tt.max)
				}
			}
		})
	}
}

func abbrev(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if r := []rune(s); len(r) > 12 {
			s = string(r[:12]) + "…"
		}
		out[i] = s
	}
	return out
}

func TestLongTextIsSentInPartsWithinTheLimit(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	var paras []string
	for range 5 {
		paras = append(paras, strings.Repeat("Кыргызстан & Япония. ", 100)) // 2100 runes
	}
	text := strings.Join(paras, "\n\n")
	if err := a.Push(context.Background(), "5512345678", text); err != nil {
		t.Fatal(err)
	}
	sent := f.sentTexts()
	if len(sent) < 3 {
		t.Fatalf("sent %d parts, want at least 3", len(sent))
	}
	var joined strings.Builder
	for _, s := range sent {
		plain := strings.ReplaceAll(s, "&amp;", "&")
		if n := utf8.RuneCountInString(plain); n > 4096 {
			t.Errorf("part of %d characters", n)
		}
		joined.WriteString(plain)
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if squash(joined.String()) != squash(text) {
		t.Error("parts do not add up to the text")
	}
}

func TestPush(t *testing.T) {
	t.Run("a chat id that is not a number is refused", func(t *testing.T) {
		f := newFakeTG(t)
		a := newAdapter(t, f, newFakeBot(), nil, nil)
		if err := a.Push(context.Background(), "abc", "hi"); err == nil {
			t.Error("Push = nil, want an error")
		}
		if len(f.all()) != 0 {
			t.Error("API called")
		}
	})
	t.Run("a blocked user is reported and marked inactive", func(t *testing.T) {
		f := newFakeTG(t)
		b := newFakeBot()
		f.failNext("sendMessage", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
		a := newAdapter(t, f, b, nil, nil)
		err := a.Push(context.Background(), "5512345678", "hi")
		if !errors.Is(err, telegram.ErrBlocked) {
			t.Fatalf("Push = %v, want ErrBlocked", err)
		}
		ev := b.handled()
		if len(ev) != 1 || ev[0].Kind != bot.KindStop || ev[0].UserID != "5512345678" || !strings.HasPrefix(ev[0].EventID, "blocked:5512345678:") {
			t.Errorf("events = %+v, want one stop", ev)
		}
	})
	t.Run("a message that is not modified counts as success when editing", func(t *testing.T) {
		f := newFakeTG(t)
		f.failNext("editMessageReplyMarkup", 400, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}`)
		a := newAdapter(t, f, newFakeBot(), nil, nil)
		if got, want := post(t, a, mustRead(t, "f3_callback.json"), testSecret).Code, http.StatusOK; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
}

func TestTokenNeverAppearsInErrorsOrLogs(t *testing.T) {
	// Nothing listens on port 1: the transport error names the URL, token
	// included, unless redacted.
	cfg := telegram.Config{Token: testToken, APIBaseURL: "http://127.0.0.1:1", WebhookURL: testHook, WebhookSecret: testSecret}
	log, buf := newTestLogger(t)
	cfg.Logger = log
	a, err := telegram.New(cfg, newFakeBot(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := []error{a.Push(ctx, "5512345678", "hi"), a.Setup(ctx)}
	post(t, a, mustRead(t, "f3_callback.json"), testSecret) // logs a failed answerCallbackQuery

	for _, err := range errs {
		if err == nil {
			t.Fatal("call to a closed port succeeded")
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "secretTOKEN") {
			t.Errorf("error leaks the token: %v", err)
		}
		if !strings.Contains(err.Error(), "<token>") {
			t.Errorf("error %q lost its context", err)
		}
	}
	if !strings.Contains(buf.String(), "<token>") {
		t.Errorf("expected a redacted log line, got:\n%s", buf.String())
	}
	// newTestLogger checks the log for the token when the test ends.
}

func TestTokenInAnAPIDescriptionIsRedacted(t *testing.T) {
	f := newFakeTG(t)
	f.failNext("sendMessage", 400, `{"ok":false,"error_code":400,"description":"Bad Request: bot `+testToken+` is odd"}`)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	err := a.Push(context.Background(), "5512345678", "hi")
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("Push = %v, want a redacted error", err)
	}
}
