package bot_test

import (
	"strings"
	"testing"

	"example.com/sswbot/bot"
)

// A first message, or a sentence at the language question, is answered in
// the language it is written in, whatever the platform assumed, and what it
// says is taken (Outcome.Lang; the next question in that language).
func TestAFirstMessageChoosesItsLanguage(t *testing.T) {
	for _, tt := range []struct {
		name     string
		platform bot.Platform
		lang     string // the platform's
		text     string
		want     string
		asks     string // a word of the question that follows
	}{
		{"Russian on LINE (Japanese by default)", bot.LINE, "", "Здравствуйте! Я из Бишкека, ищу работу в Японии", "ru", "Прямой наем"},
		{"Kyrgyz on a Russian Telegram", bot.Telegram, "ru", "Салам, мен Бишкекте жашайм, Японияда иштегим келет", "ky", "Түз ишке алуу"},
		{"English on LINE", bot.LINE, "", "We are a company in Osaka and want to hire a worker who lives in Bishkek", "en", "Direct hiring"},
		{"Japanese on an English Telegram", bot.Telegram, "en", "キルギスにいる人を雇いたい会社です", "ja", "送出機関"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			out := h.send(t, bot.Event{Platform: tt.platform, Kind: bot.KindText, Text: tt.text, Lang: tt.lang})
			if out.Lang != tt.want {
				t.Fatalf("language %q, want %q", out.Lang, tt.want)
			}
			var all strings.Builder
			for _, r := range out.Replies {
				all.WriteString(r.Text)
				for _, c := range r.Choices {
					all.WriteString(" [" + c.Label + "]")
				}
			}
			if !strings.Contains(all.String(), tt.asks) {
				t.Errorf("replies do not ask on with %q:\n%s", tt.asks, all.String())
			}
		})
	}
	// at the language question (a platform that gives no language)
	h := newHarness(t)
	h.send(t, bot.Event{Platform: bot.Telegram, Kind: bot.KindStart})
	out := h.send(t, bot.Event{Platform: bot.Telegram, Kind: bot.KindText, Text: "хочу на русском, я работодатель"})
	if out.Lang != "ru" {
		t.Fatalf("at the language question: language %q, want ru", out.Lang)
	}
}

// In a conversation, text in another script than the language's goes on in
// its language; a Latin word, or Russian in a Kyrgyz conversation, does not.
func TestAnotherScriptSwitchesTheLanguage(t *testing.T) {
	for _, tt := range []struct {
		lang, text, want string
	}{
		{"en", "я работодатель", "ru"},
		{"en", "мен жумуш издеп жатам", "ky"},
		{"ja", "я ищу работу", "ru"},
		{"en", "日本の会社です", "ja"},
		{"ru", "日本の会社です", "ja"},
		{"ja", "OK", "ja"},
		{"ja", "employer", "ja"},
		{"ru", "ishu rabotu", "ru"},
		{"ky", "я ищу работу", "ky"},
		{"ja", "Айбек", "ja"}, // a name
		{"en", "Айбек Асанов", "en"},
		{"ru", "мен жумуш издеп жатам", "ru"},
	} {
		h := newHarness(t)
		h.send(t, bot.Event{Kind: bot.KindStart, Lang: tt.lang})
		out := h.send(t, bot.Event{Kind: bot.KindText, Text: tt.text, Lang: tt.lang})
		if out.Lang != tt.want {
			t.Errorf("%s conversation, %q: language %q, want %q", tt.lang, tt.text, out.Lang, tt.want)
		}
	}
}
