package understand_test

import (
	"testing"
	"unicode/utf8"

	"example.com/sswbot/understand"
)

// FuzzFold: Model.Fold never panics, returns valid UTF-8 and is idempotent for
// languages that do not transliterate.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"ya uzhe v Tokio", "ＶＩＳＡ ﾋﾞｻﾞ", "Ёлки!!", "agenttiksiz", "日本の受入機関です", "\xff\xfe", ""} {
		f.Add(s, "ru")
	}
	m := mustModel(f)
	f.Fuzz(func(t *testing.T, s, lang string) {
		got := m.Fold(s, lang)
		if !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q: not UTF-8", s, got)
		}
		if lang == "en" || lang == "ja" {
			if again := m.Fold(got, lang); again != got {
				t.Fatalf("Fold(Fold(%q)) = %q, want %q", s, again, got)
			}
		}
	})
}

// FuzzRead: Read never panics and its scores stay in 0..1, best first
// within the expected slot.
func FuzzRead(f *testing.F) {
	m := mustModel(f)
	for _, s := range []string{"we found him ourselves", "no agency involved", "直接採用で、送出機関は使いません", "men japoniyada ishtegim kelet", "ok", "сколько стоит агентство?"} {
		f.Add(s, "en", "route")
	}
	f.Fuzz(func(t *testing.T, s, lang, expect string) {
		r := m.Read(understand.Query{Text: s, Lang: lang, Expect: []string{expect}})
		for _, mt := range append(r.Matches, r.Alternatives...) {
			if mt.Score < 0 || mt.Score > 1 {
				t.Fatalf("Read(%q): score %v out of 0..1", s, mt.Score)
			}
			if mt.Confident && mt.Negated {
				t.Fatalf("Read(%q): %+v is confident and negated", s, mt)
			}
		}
		if r.Confident && (len(r.Matches) == 0 || !r.Matches[0].Confident) {
			t.Fatalf("Read(%q): confident without a confident first match: %+v", s, r)
		}
	})
}

// A kanji's okurigana followed by kana can start another spelling; one
// more fold must not find it.
func TestFoldIsIdempotentAcrossSpellings(t *testing.T) {
	m := mustModel(t)
	for _, s := range []string{"さがしごと", "にほんではたらきたいしごとさがしごと"} {
		once := m.Fold(s, "ja")
		if again := m.Fold(once, "ja"); again != once {
			t.Errorf("Fold(Fold(%q)) = %q, want %q", s, again, once)
		}
	}
}
