package understand_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"example.com/sswbot/understand"
)

// want is one expected slot value; "!" before the value: named but negated;
// "?" before the slot: must not be confident (or absent).
func TestRead(t *testing.T) {
	m := mustModel(t)
	tests := []struct {
		name, lang, expect, text string
		want                     []string // slot=value that must be confident
		not                      []string // slot=value that must not be confident
	}{
		{"several answers at once", "en", "role", "We are a Japanese company hiring a worker who is still in Bishkek, through a certified agency",
			[]string{"role=employer", "location=kg", "route=agency"}, []string{"role=worker"}},
		{"a job seeker in English", "en", "role", "I'm looking for a job in Japan", []string{"role=worker"}, nil},
		{"an employer in Japanese", "ja", "role", "日本の受入機関です", []string{"role=employer"}, nil},
		{"in Tokyo in Russian", "ru", "location", "я уже в Токио", []string{"location=jp"}, []string{"location=kg"}},
		{"in Tokyo in Latin Russian", "ru", "location", "ya uzhe v Tokio", []string{"location=jp"}, nil},
		{"a job seeker in Kyrgyz", "ky", "role", "мен жумуш издеп жүрөм", []string{"role=worker"}, nil},
		{"a job seeker in Latin Kyrgyz", "ky", "role", "men japoniyada ishtegim kelet", []string{"role=worker"}, nil},
		{"Latin Kyrgyz without the language", "", "role", "men japoniyada ishtegim kelet", []string{"role=worker"}, nil},
		{"a typo", "en", "role", "im an emploer", []string{"role=employer"}, nil},
		{"a Russian ending", "ru", "route", "через агентства", []string{"route=agency"}, nil},
		{"an agency at the route question", "en", "route", "agency", []string{"route=agency"}, []string{"route=direct"}},
		{"an agency inside a walk", "en", "", "agency", []string{"topic=agency"}, nil},
		{"no agency", "en", "route", "no agency involved", nil, []string{"route=agency", "control=help"}},
		{"without an agency in Russian", "ru", "route", "без агентства", nil, []string{"route=agency"}},
		{"without an agency in Kyrgyz", "ky", "route", "агенттиксиз", nil, []string{"route=agency"}},
		{"direct, not an agency, in Japanese", "ja", "route", "直接採用で、送出機関は使いません", []string{"route=direct"}, []string{"route=agency"}},
		{"help inside a sentence", "en", "", "we help our students", nil, []string{"control=help"}},
		{"thanks", "en", "", "thanks!", []string{"control=thanks"}, nil},
		{"thanks in Russian", "ru", "", "спасибо большое", []string{"control=thanks"}, nil},
		{"ok", "en", "role", "ok", []string{"control=ok"}, []string{"role=employer", "role=worker", "role=other"}},
		{"gibberish", "en", "role", "asdkjhasd qwe", nil, []string{"role=employer", "role=worker", "role=other"}},
		{"the price of a visa", "en", "", "how much is the visa?", []string{"oos=fees"}, nil},
		{"the price of an agency in Russian", "ru", "", "сколько стоит агентство?", []string{"oos=fees"}, nil},
		{"not X but Y in Latin Russian", "ru", "route", "ne cherez agentstvo a cherez centr", []string{"route=center"}, []string{"route=agency"}},
		{"not X but Y in Kyrgyz", "ky", "route", "агенттик аркылуу эмес, борбор аркылуу", []string{"route=center"}, []string{"route=agency"}},
		{"a Kyrgyz suffix chain on a place", "ky", "location", "нагоядамын", []string{"location=jp"}, []string{"location=kg"}},
		{"a Russian «с собой» is no Kyrgyz negation", "ru", "", "можно взять жену с собой", []string{"oos=family"}, nil},
		{"a Russian word is not a Kyrgyz one with an ending", "ru", "role", "пишу за сына", nil, []string{"oos=skills_test", "oos=language_test"}},
		{"a Kyrgyz person ending is no typo", "ky", "role", "кызым Японияга иштегени барат, ошого жардам берип жатам", nil, []string{"role=worker"}},
		{"not X but Y", "en", "route", "not through an agency but directly", []string{"route=direct"}, []string{"route=agency"}},
		{"not X, but Y in Russian", "ru", "route", "не через агентство, а напрямую", []string{"route=direct"}, []string{"route=agency"}},
		{"not X but Y in Latin Russian", "ru", "route", "ne cherez agentstvo a napryamuyu", []string{"route=direct"}, []string{"route=agency"}},
		{"X is not it, Y in Kyrgyz", "ky", "route", "агенттик эмес, борбор аркылуу", []string{"route=center"}, []string{"route=agency"}},
		{"not X but Y in Japanese", "ja", "route", "送出機関ではなくセンター経由で", []string{"route=center"}, []string{"route=agency"}},
		{"a value ruled out and another named", "en", "route", "we don't want to use an agency, the center is fine", []string{"route=center"}, []string{"route=agency", "route=direct"}},
		{"full-width Latin", "ja", "", "ＶＩＳＡ", []string{"topic=visa"}, nil},
		{"half-width katakana", "ja", "", "ﾋﾞｻﾞ", []string{"topic=visa"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var expect []string
			if tt.expect != "" {
				expect = []string{tt.expect}
			}
			r := m.Read(understand.Query{Text: tt.text, Lang: tt.lang, Expect: expect})
			sure := map[string]bool{}
			for _, mt := range r.Matches {
				if mt.Confident {
					sure[mt.Slot+"="+mt.Value] = true
				}
			}
			for _, w := range tt.want {
				if !sure[w] {
					t.Errorf("Read(%q) = %+v, want %s confident", tt.text, r.Matches, w)
				}
			}
			for _, n := range tt.not {
				if sure[n] {
					t.Errorf("Read(%q) = %+v, want %s not confident", tt.text, r.Matches, n)
				}
			}
			if len(tt.want) > 0 && tt.expect != "" && strings.HasPrefix(tt.want[0], tt.expect+"=") && !r.Confident {
				t.Errorf("Read(%q).Confident = false, want true: %+v", tt.text, r)
			}
		})
	}
}

// An intent with cues takes the place of its Over values at its question:
// "my brother wants to work" is someone else's job search.
func TestReadCuesSaySomeoneElse(t *testing.T) {
	m, err := understand.New(understand.Corpus{Intents: []understand.Intent{
		{Slot: "role", Value: "worker", Examples: map[string][]string{"en": {"I want to work in Japan"}, "ru": {"хочу работать в Японии"}}},
		{Slot: "role", Value: "employer", Examples: map[string][]string{"en": {"we are hiring"}}},
		{Slot: "role", Value: "other", Examples: map[string][]string{"en": {"other"}}, Over: []string{"worker"},
			Cues: map[string][]string{"en": {"brother"}, "ru": {"брат"}, "ja": {"兄"}}},
		{Slot: "topic", Value: "visa", Examples: map[string][]string{"en": {"visa"}, "ja": {"ビザ"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, expect, text string
		want, not          string
	}{
		{"en", "role", "my brother wants to work in Japan", "role=other", "role=worker"},
		{"en", "role", "my brothers want to work in Japan", "role=other", "role=worker"},
		{"ru", "role", "брату хочу помочь, он хочет работать в Японии", "role=other", "role=worker"},
		{"ru", "role", "brat hochet rabotat v Yaponii", "role=other", "role=worker"},
		{"ja", "role", "兄のことです", "role=other", "role=worker"},
		{"en", "role", "I want to work in Japan", "role=worker", "role=other"},
		{"en", "role", "we are hiring my brother", "role=employer", "role=other"},
		{"en", "", "my brother wants to work in Japan", "", "role=other"}, // only at its question
	}
	for _, tt := range tests {
		var expect []string
		if tt.expect != "" {
			expect = []string{tt.expect}
		}
		r := m.Read(understand.Query{Text: tt.text, Lang: tt.lang, Expect: expect})
		sure := map[string]bool{}
		for _, mt := range r.Matches {
			sure[mt.Slot+"="+mt.Value] = mt.Confident
		}
		if tt.want != "" && !sure[tt.want] {
			t.Errorf("Read(%q) = %+v, want %s confident", tt.text, r.Matches, tt.want)
		}
		if sure[tt.not] {
			t.Errorf("Read(%q) = %+v, want %s not confident", tt.text, r.Matches, tt.not)
		}
	}
}

func TestReadPutsTheExpectedSlotFirst(t *testing.T) {
	m := mustModel(t)
	for _, slot := range []string{"route", "topic"} {
		r := m.Read(understand.Query{Text: "agency", Lang: "en", Expect: []string{slot}})
		if len(r.Matches) == 0 || r.Matches[0].Slot != slot {
			t.Errorf("Read(agency, expect %s).Matches = %+v, want %s first", slot, r.Matches, slot)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ text, lang, want string }{
		{"Ёлки, ПАЛКИ!!", "ru", "елки палки"},
		{"ya uzhe v Tokio 😀", "ru", "я уже в токио"},
		{"men japoniyada ishtegim kelet", "ky", "мен жапонияда иштегим келет"},
		{"shchi zhizn kharakter tsena chay agentstvo", "ru", "щи жизн характер цена чай агентство"},
		{"jangy öz üy", "ky", "жаңы өз үй"},
		{"ＨＥＬＬＯ　ｗｏｒｌｄ", "en", "hello world"},
		{"ﾋﾞｻﾞ　ビザ", "ja", "びざ びざ"},
		{"I don't know", "en", "i dont know"},
		{"採用させていただきたいのですが", "ja", "採用したい"},
		{"仕事を探してるんですけど", "ja", "仕事を探している"},
		{"検討しております", "ja", "検討しています"},
		{"かいしゃのしゃちょうです", "ja", "会社の社長です"},
		{"にほんではたらきたい", "ja", "日本で働きたい"},
		{"いくらかかりますか", "ja", "いくらかかるか"},
		{"了解っす", "ja", "了解です"},
	}
	m := mustModel(t)
	for _, tt := range tests {
		if got := m.Fold(tt.text, tt.lang); got != tt.want {
			t.Errorf("Fold(%q, %q) = %q, want %q", tt.text, tt.lang, got, tt.want)
		}
	}
}

func TestNewRejectsABadSpelling(t *testing.T) {
	in := []understand.Intent{{Slot: "role", Value: "employer", Examples: map[string][]string{"ja": {"会社"}}}}
	for _, sp := range []understand.Spelling{{Kana: "カイシャ", Kanji: "会社"}, {Kana: "かいしゃ", Kanji: "かいしゃ"}, {Kana: "", Kanji: "会社"}} {
		if _, err := understand.New(understand.Corpus{Intents: in, Spellings: []understand.Spelling{sp}}); err == nil {
			t.Errorf("New with spelling %+v = nil error, want one", sp)
		}
	}
}

func TestNewRejectsAnIntentWithoutExamples(t *testing.T) {
	for _, c := range []understand.Corpus{
		{Intents: []understand.Intent{{Slot: "role", Value: "employer"}}},
		{Intents: []understand.Intent{{Slot: "role", Examples: map[string][]string{"en": {"boss"}}}}},
		{Intents: []understand.Intent{{Slot: "role", Value: "x", Examples: map[string][]string{"en": {"!!!"}}}}},
	} {
		if _, err := understand.New(c); err == nil {
			t.Errorf("New(%+v) = nil error, want one", c)
		}
	}
}

// Many goroutines read at once while the word cache fills: each reading is
// the one a lone read gives (run with -race).
func TestConcurrentReadsAgreeWithOneRead(t *testing.T) {
	texts := []string{"ya uzhe v Tokio", "men japoniyada ishtegim kelet", "We are a Japanese company in Osaka",
		"через агенство", "送出機関は使いません", "agenttiksiz", "how much does it cost", "rahmat"}
	want := make([]string, len(texts))
	for i, s := range texts {
		want[i] = fmt.Sprint(mustModel(t).Read(understand.Query{Text: s, Lang: "ky"}))
	}
	m := mustModel(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range texts {
				k := (i + g) % len(texts)
				if got := fmt.Sprint(m.Read(understand.Query{Text: texts[k], Lang: "ky"})); got != want[k] {
					t.Errorf("%q: %s, alone %s", texts[k], got, want[k])
				}
			}
		}()
	}
	wg.Wait()
}

func TestKyrgyzStems(t *testing.T) {
	tests := []struct {
		word string
		want []string // among the stems
		not  []string
	}{
		{"нагоядамын", []string{"нагояда", "нагоя"}, nil},
		{"агенттигинен", []string{"агенттик"}, nil},
		{"элчиликтин", []string{"элчилик"}, nil},
		{"кыргызстандамын", []string{"кыргызстан"}, nil},
		{"жумушчу", nil, []string{"жумуш"}}, // a worker is not a job
		{"ош", nil, nil},
	}
	for _, tt := range tests {
		got := understand.KyrgyzStems(tt.word)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("KyrgyzStems(%q) = %q, want %q among them", tt.word, got, w)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("KyrgyzStems(%q) = %q, want no %q", tt.word, got, n)
			}
		}
	}
}

// A place only the worker can be in (Intent.Passing) answers the location
// unasked even when a Kyrgyz ending or Latin letters leave it below the
// bar of other unasked answers.
func TestAPassingPlaceWithAnEnding(t *testing.T) {
	c := mustCorpus(t)
	c.Intents = slices.Clone(c.Intents)
	for i, in := range c.Intents {
		if in.Slot == "location" && in.Value == "kg" {
			c.Intents[i].Passing = true
		}
	}
	m, err := understand.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, text string }{
		{"ky", "мен Оштомун, Японияда иштегим келет"},
		{"ru", "ya iz Bishkeka, hochu rabotat v Yaponii"},
	} {
		r := m.Read(understand.Query{Text: tt.text, Lang: tt.lang, Expect: []string{"role"}})
		loc, ok := r.Best("location")
		if !ok || loc.Value != "kg" || !loc.Confident || loc.Score >= 0.9 {
			t.Errorf("%q: location %+v, want kg, confident, below 0.9 (an ending or a transliteration)", tt.text, loc)
		}
	}
}
