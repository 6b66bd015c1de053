package understand

import "strings"

// The languages' bits of Model.langs; bitAny for the examples of any
// language (place names, codes).
const (
	bitJa uint8 = 1 << iota
	bitEn
	bitRu
	bitKy
	bitAny
)

func langBit(lang string) uint8 {
	switch lang {
	case "ja":
		return bitJa
	case "en":
		return bitEn
	case "ru":
		return bitRu
	case "ky":
		return bitKy
	}
	return bitAny
}

// Language guesses which language text is written in, so that a first
// message or an answer to the language question typed as a sentence
// («Здравствуйте, я ищу работу») picks the language itself. Japanese script
// says ja; Cyrillic says ky with ө, ү or ң or more words only Kyrgyz
// examples use than words only Russian ones use, and ru otherwise; Latin
// letters say en when known English words are at least as many as the
// words that read as Russian or Kyrgyz only (transliterated: "ishu rabotu",
// "jumush izdeym"). "" when nothing tells (digits, a name, "salam").
func (m *Model) Language(text string) string {
	lang, _ := m.LanguageOf(text)
	return lang
}

// LanguageOf is Language, and whether the text shows it beyond its script:
// Japanese script, a Kyrgyz letter, or a word the examples use in their
// language. A lone name in Cyrillic («Айбек») is Russian only by default.
func (m *Model) LanguageOf(text string) (lang string, shown bool) {
	if strings.ContainsAny(strings.ToLower(text), "өүң") {
		return "ky", true
	}
	var en, ru, ky, known int
	cyrillic := false
	only := func(b uint8) {
		if b&(bitRu|bitKy) != 0 {
			known++
		}
		switch b & (bitRu | bitKy) {
		case bitRu:
			ru++
		case bitKy:
			ky++
		}
	}
	for _, r := range scan(text, nil, m.kanji) {
		k := key(r.text, r.script)
		switch r.script {
		case scriptCJK:
			return "ja", true
		case scriptCyrillic:
			cyrillic = true
			if id, ok := m.vocab.get(k); ok {
				only(m.langs[id])
			}
		case scriptLatin:
			if m.isEnglish(k) {
				en++
				continue
			}
			for _, tr := range translits(k) {
				if id, ok := m.vocab.get(tr); ok {
					only(m.langs[id])
					break
				}
			}
		}
	}
	switch {
	case cyrillic && ky > ru:
		return "ky", true
	case cyrillic:
		return "ru", known > 0
	case en > 0 && en >= ru && en >= ky:
		return "en", true
	case ky > ru:
		return "ky", true
	case ru > ky:
		return "ru", true
	}
	return "", false
}
