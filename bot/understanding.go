package bot

import (
	"unicode"
	"unicode/utf8"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/understand"
)

// Corpus turns the content's intents into what the understanding model
// learns from, like buildFlow turns it into the dialog's structure. Besides
// the written examples, every button label the content gives for a slot
// value (role, location, country, route, compare) is an example in its
// language: people type the labels they see, with typos the model forgives.
func Corpus(kb *knowledge.Base) understand.Corpus {
	c := understand.Corpus{Languages: knowledge.Languages}
	for _, sp := range kb.Spellings {
		c.Spellings = append(c.Spellings, understand.Spelling{Kana: sp.Kana, Kanji: sp.Kanji})
	}
	index := map[string]int{}
	add := func(slot, value, lang, text string) {
		k := slot + "=" + value
		i, ok := index[k]
		if !ok {
			i = len(c.Intents)
			index[k] = i
			c.Intents = append(c.Intents, understand.Intent{Slot: slot, Value: value, Examples: map[string][]string{}})
		}
		for _, s := range c.Intents[i].Examples[lang] {
			if s == text {
				return
			}
		}
		c.Intents[i].Examples[lang] = append(c.Intents[i].Examples[lang], text)
	}
	for _, in := range kb.Intents {
		for lang, exs := range in.Examples {
			for _, ex := range exs {
				add(in.Slot, in.Value, lang, ex)
			}
		}
		if len(in.Cues) > 0 {
			i := index[in.Slot+"="+in.Value]
			c.Intents[i].Over, c.Intents[i].Cues = in.Over, in.Cues
		}
	}
	labels := func(slot, value string, t knowledge.Text) {
		if t.IsZero() {
			return
		}
		for _, lang := range knowledge.Languages {
			add(slot, value, lang, t.In(lang))
		}
	}
	for _, in := range kb.Intents {
		switch in.Slot {
		case "role":
			labels("role", in.Value, kb.UI["role_"+in.Value])
		case "location":
			labels("location", in.Value, kb.UI["loc_"+in.Value])
		}
	}
	labels("route", "compare", kb.UI["btn_compare"])
	// The employer is in Japan, so a place in a sending country named in
	// passing says where the worker is ("a company in Japan, the worker in
	// Bishkek"); a place in Japan may be the employer's.
	for i := range c.Intents {
		if in := &c.Intents[i]; in.Slot == "location" && kb.Country(in.Value) != nil {
			in.Passing = true
		}
	}
	for _, co := range kb.Countries {
		if kb.Intent("country", co.ID) != nil {
			labels("country", co.ID, co.Name)
		}
		for _, r := range co.Routes {
			if kb.Intent("route", r.ID) != nil {
				labels("route", r.ID, r.Button)
			}
		}
	}
	return c
}

// read is what typed text means at the user's question (or, for a first
// message or a sentence at the language question, at the question after
// it), in dialog's terms.
func (s *Service) read(sess dialog.Session, in dialog.Input) dialog.Reading {
	if s.model == nil {
		return dialog.Reading{}
	}
	lang, expect := dialog.ReadAs(s.flow, sess, in)
	r := s.model.Read(understand.Query{Text: in.Text, Lang: lang, Expect: expect})
	out := dialog.Reading{Confident: r.Confident}
	for _, m := range r.Matches {
		out.Matches = append(out.Matches, meaning(m))
	}
	for _, m := range r.Alternatives {
		out.Alternatives = append(out.Alternatives, meaning(m))
	}
	return out
}

func meaning(m understand.Match) dialog.Meaning {
	return dialog.Meaning{Slot: m.Slot, Value: m.Value, Score: m.Score, Negated: m.Negated, Confident: m.Confident}
}

// outOfScope returns the out-of-scope topic a turn answered, for the
// transcript (the console counts them by topic).
func outOfScope(rs []dialog.Reply) string {
	for _, r := range rs {
		if r.Say == dialog.SayOutOfScope {
			return r.Step
		}
	}
	return ""
}

// typedLang is the language typed text is written in, for the dialog
// (Input.TypedLang): at the start and at the language question whatever the
// model tells; elsewhere only a language of another script than the
// session's (Cyrillic typed to the English or Japanese texts, Japanese to
// the others), as people who write in another alphabet read it too. A
// Latin word in a Japanese or Russian conversation ("OK", "COE", "ishu
// rabotu") changes nothing, nor does a lone name in Cyrillic («Айбек»).
func (s *Service) typedLang(sess dialog.Session, text string) string {
	if dialog.ChoosesLang(s.flow, sess) {
		return s.model.Language(text)
	}
	var cyrillic, japanese bool
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic = cyrillic || sess.Lang == "ja" || sess.Lang == "en"
		case unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han):
			japanese = japanese || sess.Lang != "ja"
		}
	}
	if !cyrillic && !japanese {
		return ""
	}
	l, shown := s.model.LanguageOf(text)
	switch {
	case !shown: // a name in Cyrillic says nothing of the reader
	case japanese && l == "ja", cyrillic && (l == "ru" || l == "ky"):
		return l
	}
	return ""
}
