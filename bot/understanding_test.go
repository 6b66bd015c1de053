package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"example.com/sswbot/bot"
)

// typed is one typed message and what it must do: the session's state
// after it (the transcript's "to"), checked besides the golden file.
type typed struct{ text, wantState string }

// understandingScripts are conversations typed as people type them, in
// every language: several answers in one sentence, a question the document
// does not answer (alone, and about a step's detail), control words, gibberish, a topic of another route, an
// answer that rules a choice out ("not X but Y"), someone writing for a
// relative.
var understandingScripts = map[string][][]typed{
	"en": {
		{{"We are a Japanese company hiring a worker who is still in Bishkek, through a certified agency", "step:agency:1"},
			{"how much does it cost?", "step:agency:1"}, {"thanks!", "step:agency:1"}, {"asdfgh qwerty", "step:agency:1"}},
		{{"I'm looking for a job in Japan", "location"}, {"I'm already in Tokyo", "step:japan:1"},
			{"what about the visa?", "step:japan:1"}, {"ok", "step:japan:1"}},
		{{"employer", "location"}, {"still in Kyrgyzstan", "route"}, {"not sure which one", "route"}, {"we found him ourselves", "step:direct:1"}},
		// someone else's job search, then "not X but Y"
		{{"my brother lives in Osh and wants to work in Japan", "route"}, {"not through the centre, we'd use an agency", "step:agency:1"}},
		{{"Our company wants to hire someone from Osh directly, without any agency", "step:direct:1"},
			// a detail of another step the document does not give: both answers
			{"how long does the COE take?", "step:direct:1"}, {"how many steps are left?", "step:direct:1"}},
	},
	"ja": {
		{{"日本の受入機関です", "location"}, {"まだキルギスにいます", "route"}, {"送出機関を利用します", "step:agency:1"},
			{"費用はいくらですか", "step:agency:1"}, {"ありがとうございます", "step:agency:1"}},
		{{"日本で働きたいです", "location"}, {"もう日本にいます", "step:japan:1"}, {"ビザは？", "step:japan:1"}},
		{{"飲食店を経営しています。キルギスにいる人を直接雇用したいです", "step:direct:1"},
			{"ビザの申請にはどのくらい時間がかかりますか", "step:direct:1"}},
		// 特定技能 reads weakly as the change of status: it does not unmake the employer
		{{"弊社は愛知県で製造業を営んでおり、キルギスから特定技能の人材を受け入れたいと考えております", "route"}},
		{{"採用担当です", "location"}, {"キルギスにいます", "route"}, {"送出機関じゃなくて、センター経由にしたい", "step:center:1"}},
	},
	"ru": {
		{{"Мы компания в Японии, работник пока в Бишкеке, хотим через агентство", "step:agency:1"},
			{"сколько стоит агентство?", "step:agency:1"}, {"спасибо", "step:agency:1"}},
		{{"ya iz Bishkeka, hochu rabotat v Yaponii", "route"}},
		{{"ishu rabotu v yaponii", "location"}, {"ya uzhe v Tokio", "step:japan:1"}, {"а виза?", "step:japan:1"}, {"ок понятно", "step:japan:1"}},
		{{"я помогаю брату, он сейчас в Бишкеке", "route"}, {"не через агентство, а напрямую", "step:direct:1"},
			{"скольк стоит виза?", "step:direct:1"}, {"kak zaregistrirovat dogovor", "step:direct:1"}, {"pomenyat yazyk", "lang"}},
	},
	"ky": {
		{{"биз Япониядагы компаниябыз, жумушчу азыр Бишкекте, агенттик аркылуу алабыз", "step:agency:1"},
			{"канча акча керек?", "step:agency:1"}, {"рахмат", "step:agency:1"},
			// unsure between two topics of one step: that step
			{"жумушчу издөө боюнча келишимди кантип түзөбүз", "step:agency:1"}},
		// the same in the Center's route, where they are two steps: which one?
		{{"мен иш берүүчүмүн", "location"}, {"Кыргызстанда", "route"}, {"борбор аркылуу", "step:center:1"},
			{"жумушчу издөө боюнча келишимди кантип түзөбүз", "step:center:1"}},
		{{"men japoniyada ishtegim kelet", "location"}, {"азыр Японияда жашайм", "step:japan:1"}, {"виза кантип алам?", "step:japan:1"}},
		{{"иним Бишкекте, Японияга иштегени баргысы келет", "route"}, {"борбор эмес, агенттик аркылуу", "step:agency:1"},
			{"виза канча убакытта чыгат?", "step:agency:1"}},
	},
}

// TestUnderstandingTranscripts types each script and compares the whole
// conversation with testdata/golden/understanding; run with -update after
// a change to the model or the examples and review the diff.
func TestUnderstandingTranscripts(t *testing.T) {
	for lang, scripts := range understandingScripts {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			for i, script := range scripts {
				h := newHarness(t)
				user := fmt.Sprintf("u%d", i)
				out := h.send(t, bot.Event{Kind: bot.KindStart, Lang: lang, UserID: user})
				fmt.Fprintf(&b, "=== conversation %d\n", i+1)
				for _, msg := range script {
					out = h.send(t, bot.Event{Kind: bot.KindText, Text: msg.text, UserID: user})
					fmt.Fprintf(&b, "> %s\n", msg.text)
					for _, r := range out.Replies {
						b.WriteString(r.Text + "\n")
						for _, c := range r.Choices {
							fmt.Fprintf(&b, "  [%s] %s\n", c.Label, c.Payload)
						}
						b.WriteString("---\n")
					}
					if got := h.state(t, bot.Telegram, user); got != msg.wantState {
						t.Errorf("%q: state %q, want %q", msg.text, got, msg.wantState)
					}
				}
			}
			golden(t, filepath.Join("testdata", "golden", "understanding", lang+".txt"), b.String())
		})
	}
}

// state is where the user's conversation stands after the last turn.
func (h *harness) state(tb testing.TB, p bot.Platform, user string) string {
	tb.Helper()
	es, err := h.store.Transcript(context.Background(), bot.ConversationOf(p, user))
	if err != nil || len(es) == 0 {
		tb.Fatalf("transcript: %v (%d entries)", err, len(es))
	}
	return es[len(es)-1].StateAfter
}

// A topic of another route is explained in every language with the step of
// the user's route that plays its part, and its section: a worker already
// in Japan asking about the visa is told about the change of status of
// residence (B.2); one still in Kyrgyzstan asking about the change of
// status is told about the COE (A.4).
func TestATopicOfAnotherRouteIsExplainedWithTheStepInItsPlace(t *testing.T) {
	t.Parallel()
	kb := mustKB(t)
	typedVisa := map[string]string{"ja": "ビザは？", "en": "what about the visa?", "ru": "а виза?", "ky": "виза кантип алам?"}
	for _, lang := range []string{"ja", "en", "ru", "ky"} {
		t.Run(lang, func(t *testing.T) {
			h := newHarness(t)
			h.send(t, bot.Event{Kind: bot.KindStart, Lang: lang})
			h.send(t, press("r:worker"))
			h.send(t, press("w:jp"))
			out := h.send(t, bot.Event{Kind: bot.KindText, Text: typedVisa[lang]})
			got := out.Replies[0].Text
			b2 := kb.Countries[0].Steps["B.2"]
			for _, want := range []string{b2.Title.In(lang), "B.2", kb.Countries[0].Steps["A.5"].Title.In(lang)} {
				if !strings.Contains(got, want) {
					t.Errorf("%q → %q, want it to name %q", typedVisa[lang], got, want)
				}
			}
			if st := h.state(t, bot.Telegram, "u1"); st != "step:japan:1" {
				t.Errorf("the explanation moved the user to %s", st)
			}
		})
	}
}
