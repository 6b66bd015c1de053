package knowledge_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"example.com/sswbot/knowledge"
)

// understandingYAML is a small valid understanding file for sharedYAML and
// countryYAML (roles need role_ buttons, so it adds none; it uses topics,
// routes, contacts, control words and one out-of-scope topic).
const understandingYAML = `kind: understanding
intents:
  - slot: topic
    value: visa
    examples:
      ja: [ビザ]
      en: [visa, the visa]
      ru: [виза]
      ky: [виза]
  - slot: route
    value: direct
    examples:
      ja: [直接]
      en: [directly]
      ru: [напрямую]
      ky: [түз]
  - slot: contact
    value: center
    examples:
      ja: [センター]
      en: [center]
      ru: [центр]
      ky: [борбор]
  - slot: control
    value: thanks
    examples: {ja: [ありがとう], en: [thanks], ru: [спасибо], ky: [рахмат]}
  - slot: oos
    value: fees
    examples: {ja: [費用], en: [cost], ru: [стоимость], ky: [баасы]}
    answer: {ja: 資料に記載がありません, en: The document does not say, ru: В документе не сказано, ky: Документте айтылган эмес}
spellings:
  ちょくせつ: 直接
  びざ: 査証
`

func loadWithIntents(understanding string) (*knowledge.Base, error) {
	return knowledge.Load(fstest.MapFS{
		"ssw.yaml":           {Data: []byte(sharedYAML)},
		"kg.yaml":            {Data: []byte(countryYAML)},
		"understanding.yaml": {Data: []byte(understanding)},
	})
}

func TestLoadIntents(t *testing.T) {
	t.Parallel()
	kb, err := loadWithIntents(understandingYAML)
	if err != nil {
		t.Fatal(err)
	}
	visa := kb.Intent("topic", "visa")
	if visa == nil {
		t.Fatal("intent topic=visa missing")
	}
	if got, want := strings.Join(visa.Examples["en"], ","), "visa,the visa"; got != want {
		t.Fatalf("en examples = %q, want %q", got, want)
	}
	if got, want := kb.Intent("oos", "fees").Answer.In("ru"), "В документе не сказано"; got != want {
		t.Fatalf("ru answer = %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(kb.Spellings), "[{ちょくせつ 直接} {びざ 査証}]"; got != want {
		t.Fatalf("spellings = %s, want %s (in file order)", got, want)
	}
}

func TestLoadMergesACountrysIntents(t *testing.T) {
	t.Parallel()
	country := countryYAML + `intents:
  - slot: topic
    value: visa
    examples:
      any: [VISA-KG]
`
	kb, err := knowledge.Load(fstest.MapFS{
		"ssw.yaml":           {Data: []byte(sharedYAML)},
		"kg.yaml":            {Data: []byte(country)},
		"understanding.yaml": {Data: []byte(understandingYAML)},
	})
	if err != nil {
		t.Fatal(err)
	}
	visa := kb.Intent("topic", "visa")
	if got, want := strings.Join(visa.Examples[knowledge.AnyLanguage], ","), "VISA-KG"; got != want {
		t.Fatalf("any examples = %q, want %q", got, want)
	}
	if len(visa.Examples["ja"]) != 1 {
		t.Fatalf("ja examples = %q, want the shared file's one", visa.Examples["ja"])
	}
}

func TestLoadRejectsBadIntents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  string
		new  string
		want string
	}{
		{"an unknown slot", "slot: route", "slot: rout",
			`understanding.yaml:10: intent: slot "rout" must be one of role, location, country, route, topic, contact, control, oos`},
		{"a value the content does not have", "value: direct", "value: drect",
			`understanding.yaml:10: intent route=drect: unknown route "drect"`},
		{"a topic no step has", "value: visa", "value: vias",
			`understanding.yaml:3: intent topic=vias: unknown topic "vias"`},
		{"an unknown control word", "value: thanks", "value: cheers",
			`understanding.yaml:24: intent control=cheers: unknown control "cheers"`},
		{"an answer outside the out-of-scope topics", "    examples: {ja: [ありがとう], en: [thanks], ru: [спасибо], ky: [рахмат]}\n",
			"    examples: {ja: [ありがとう], en: [thanks], ru: [спасибо], ky: [рахмат]}\n    answer: {ja: あ, en: a, ru: а, ky: а}\n",
			`understanding.yaml:27: intent control=thanks: only out-of-scope intents (slot oos) have an answer`},
		{"an out-of-scope topic without an answer", "    answer: {ja: 資料に記載がありません, en: The document does not say, ru: В документе не сказано, ky: Документте айтылган эмес}\n", "",
			`understanding.yaml:27: intent oos=fees: missing answer`},
		{"an answer without a translation", "ky: Документте айтылган эмес}", "}",
			`understanding.yaml:30: intent oos=fees answer: missing ky translation`},
		{"a language without examples", "      ky: [түз]\n", "",
			`understanding.yaml:10: intent route=direct: no examples in ky`},
		{"an unknown language", "      ky: [түз]\n", "      kk: [тікелей]\n",
			`understanding.yaml:10: intent route=direct: unknown language "kk" in examples (want ja, en, ru, ky or any)`},
		{"one phrasing for two values of a slot", "intents:\n", "intents:\n  - slot: control\n    value: ok\n    examples: {ja: [はい], en: [Thanks!], ru: [да], ky: [ооба]}\n",
			`understanding.yaml:29: intent control=thanks: example "thanks" also means control=ok (understanding.yaml:5)`},
		{"one phrasing twice", "en: [visa, the visa]", "en: [visa, the visa, the Visa.]",
			`understanding.yaml:7: intent topic=visa: example "the Visa." given twice (first at understanding.yaml:7)`},
		{"an empty example", "ru: [виза]", `ru: [" "]`,
			`understanding.yaml:8: intent topic=visa: empty example`},
		{"the same intent twice in a file", "  - slot: route\n", "  - slot: topic\n    value: visa\n    examples: {any: [v]}\n  - slot: route\n",
			`intent topic=visa: listed twice in this file (first at line 3)`},
		{"over without cues", "      ky: [түз]\n", "      ky: [түз]\n    over: [agency]\n",
			`understanding.yaml:10: intent route=direct: over and cues go together`},
		{"over a value the slot does not have", "      ky: [түз]\n", "      ky: [түз]\n    over: [agenzy]\n    cues: {any: [x]}\n",
			`intent route=agenzy: unknown route "agenzy"`},
		{"cues missing a language", "      ky: [түз]\n", "      ky: [түз]\n    over: [compare]\n    cues: {ja: [x], en: [x], ru: [x]}\n",
			`understanding.yaml:10: intent route=direct: no cues in ky`},
		{"a spelling's kana in katakana", "  びざ:", "  ビザ:",
			`understanding.yaml:33: spelling "ビザ": write the kana in hiragana`},
		{"a spelling's kana with a kanji", "  びざ:", "  び座:",
			`understanding.yaml:33: spelling "び座": write the kana in hiragana`},
		{"a spelling without a kanji", "びざ: 査証", "びざ: ビザ",
			`understanding.yaml:33: spelling "びざ": "ビザ" has no kanji`},
		{"a kana spelt twice", "  びざ:", "  ちょくせつ:",
			`understanding.yaml:33: spelling "ちょくせつ": given twice (first at understanding.yaml:32)`},
		{"spellings as a list", "  ちょくせつ: 直接\n  びざ: 査証\n", "  - ちょくせつ\n",
			`understanding.yaml:32: want spellings as kana: kanji, one a line`},
		{"a misspelled key", "    answer:", "    anwser:",
			`understanding.yaml:30: unknown key "anwser" in an intent (a typo?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(understandingYAML, tt.old) {
				t.Fatalf("the fixture has no %q", tt.old)
			}
			_, err := loadWithIntents(strings.Replace(understandingYAML, tt.old, tt.new, 1))
			var kerr *knowledge.Error
			if !errors.As(err, &kerr) {
				t.Fatalf("err = %v, want a *knowledge.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("errors:\n%s\nwant a line containing:\n%s", err, tt.want)
			}
		})
	}
}

// An out-of-scope answer says the document does not cover the question and
// offers a person; it never states a number (a fee, a duration, an age)
// that the document does not give.
func TestOutOfScopeAnswersStateNoNumbersAndOfferAPerson(t *testing.T) {
	b := loadContent(t)
	n := 0
	for _, in := range b.Intents {
		if in.Slot != "oos" {
			continue
		}
		n++
		for _, lang := range knowledge.Languages {
			s := in.Answer.In(lang)
			if i := strings.IndexAny(s, "0123456789０１２３４５６７８９"); i >= 0 {
				t.Errorf("oos=%s (%s) states a number: %q", in.Value, lang, s)
			}
			if staff := b.UIText("btn_staff", lang); !strings.Contains(s, staff) {
				t.Errorf("oos=%s (%s) does not offer a person (the %q button): %q", in.Value, lang, staff, s)
			}
		}
	}
	if n == 0 {
		t.Fatal("the content has no out-of-scope topics")
	}
}
