package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"golang.org/x/text/unicode/norm"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// controlMessages are what people send to acknowledge, to fill a silence or
// by accident, in every language: none of them answers a question.
var controlMessages = []string{
	// acknowledgements and thanks
	"ok", "OK!", "okay", "k", "kk", "ok ok", "got it", "thanks", "thank you!", "thx", "ty", "cool", "fine", "alright", "nice",
	"了解", "了解です", "はい了解", "OK です", "ありがとう", "ありがとうございます！", "どうも", "わかりました", "なるほど",
	"ок", "окей", "ладно", "хорошо", "понял", "поняла", "ясно", "спасибо", "спс", "благодарю", "норм",
	"макул", "жакшы", "түшүндүм", "рахмат", "чоң рахмат", "ооба макул", "макул рахмат", "ok rahmat", "spasibo", "ponyal",
	// emoji only, stickers forwarded as text, punctuation
	"👍", "👍👍👍", "🙏", "😊", "😂😂", "❤️", "👌", "🇯🇵", "🇰🇬", "🙂👍", "(sticker)", "[Sticker]", "[スタンプ]", "[Стикер]",
	"...", "?", "!!!", "??", "-", "+", ")", ")))", "((", "ー", "。",
	// gibberish and keyboard mashing
	"asdfgh", "qwerty", "jjjjjj", "hmm", "lol", "ааааа", "ыыыы", "фыва", "йцукен", "ぁぁぁ", "あｓｄｆ", "ｗｗｗ", "zzz", "123", "1111",
}

// TestControlMessagesNeverMoveTheUser sends every control message in every
// state the buttons reach, in every language: the user's answers, route,
// step and question stay what they were (a third miss may offer a person,
// an aside that returns to the same place).
func TestControlMessagesNeverMoveTheUser(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(nil, kb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := svc.flow
	for _, lang := range knowledge.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			// one session per place (state, answers, aside): the rest of
			// a session (misses, hand-off) does not change a reading
			type place struct {
				state         dialog.State
				role, loc, rt string
				step          string
				ret           dialog.State
			}
			done := map[place]bool{}
			for _, s := range reachableSessions(f, lang) {
				s = dialog.Normalize(f, s)
				p := place{s.State, s.Role, s.Location, s.Route, s.Step, s.Return}
				if s.State == "" || done[p] {
					continue // a new conversation: any message starts it
				}
				done[p] = true
				for _, msg := range controlMessages {
					in := dialog.Input{Kind: dialog.Text, Text: msg}
					in.Reading = svc.read(s, in)
					got := dialog.Step(f, s, in).Session
					if moved(s, got) {
						t.Errorf("%q at %s (%s): moved to %s %+v (read %+v)", msg, s.Label(f), s.Route, got.Label(f), got, in.Reading.Matches)
					}
				}
			}
		})
	}
}

// moved says whether a turn changed what the user answered or where they
// are, beyond an aside that returns to the same place.
func moved(before, after dialog.Session) bool {
	if after.State == dialog.StateOffer && after.Return == before.State {
		after.State, after.Return = before.State, before.Return
	}
	return before.Lang != after.Lang || before.State != after.State || before.Role != after.Role ||
		before.Country != after.Country || before.Location != after.Location ||
		before.Route != after.Route || before.Step != after.Step
}

// reachableSessions are the sessions pressing buttons reaches from a new
// conversation in lang.
func reachableSessions(f *dialog.Flow, lang string) []dialog.Session {
	start := dialog.Step(f, dialog.Session{}, dialog.Input{Kind: dialog.Start, LangHint: lang})
	seen := map[dialog.Session]bool{}
	var out []dialog.Session
	queue := []dialog.Result{start}
	for len(queue) > 0 {
		res := queue[0]
		queue = queue[1:]
		if s := res.Session; !seen[s] {
			seen[s] = true
			out = append(out, s)
			last := res.Replies[len(res.Replies)-1]
			for _, p := range last.Choices {
				queue = append(queue, dialog.Step(f, s, dialog.Input{Kind: dialog.Choice, Text: p.String()}))
			}
		}
	}
	return out
}

// TestOutOfScopeAnswersInventNoNumbers renders the answer to every
// out-of-scope topic as the user gets it, in every language and at every
// place: every number in it (a fee, a duration, an age, a phone) is one
// the ISA document gives.
func TestOutOfScopeAnswersInventNoNumbers(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(nil, kb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "knowledge", "testdata", "source.txt"))
	if err != nil {
		t.Fatal(err)
	}
	inSource := map[string]bool{}
	for _, n := range numbers(string(src)) {
		inSource[n] = true
	}
	topics := 0
	for _, lang := range knowledge.Languages {
		// one session per route and role: the answer differs by nothing else
		var places []dialog.Session
		seen := map[[2]string]bool{}
		for _, s := range reachableSessions(svc.flow, lang) {
			if k := [2]string{s.Route, s.Role}; s.State == dialog.StateStep && !seen[k] {
				seen[k] = true
				places = append(places, s)
			}
		}
		for _, in := range kb.Intents {
			if in.Slot != dialog.SlotOOS {
				continue
			}
			topics++
			for _, s := range places {
				for _, r := range svc.r.render(s, []dialog.Reply{{Say: dialog.SayOutOfScope, Step: in.Value}}, nil) {
					for _, n := range numbers(r.Text) {
						if !inSource[n] {
							t.Fatalf("oos=%s (%s) says %q, a number the document does not give:\n%s", in.Value, lang, n, r.Text)
						}
					}
				}
			}
		}
	}
	if topics == 0 {
		t.Fatal("no out-of-scope topics")
	}
}

// numbers are the runs of digits in text, full-width ones folded.
func numbers(text string) []string {
	return regexp.MustCompile(`[0-9]+`).FindAllString(norm.NFKC.String(text), -1)
}
