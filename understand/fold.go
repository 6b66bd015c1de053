package understand

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// script classes of a run of letters.
const (
	scriptNone byte = iota
	scriptLatin
	scriptCyrillic
	scriptCJK // Han, hiragana, katakana: no spaces between words
	scriptDigit
)

// run is one word (or, for CJK, one run of characters without spaces) of a
// folded message. clause counts punctuation seen before it, so a negation
// does not reach across a comma or a full stop.
type run struct {
	text   string
	script byte
	clause int
}

// Fold normalises text the way Read sees it: NFKC (full-width Latin and
// half-width katakana become ordinary), lower case, ё→е, katakana→hiragana,
// the Corpus' kana Spellings in kanji, punctuation, symbols and emoji
// dropped, single spaces. For Russian and Kyrgyz ("ru", "ky") Latin words
// are transliterated to Cyrillic, accepting phone spellings (sh, ch, zh,
// kh, ts, ya, yu, j for ж, w for в) and the official romanisations (ö, ü,
// ng for ө, ү, ң).
func (m *Model) Fold(text, lang string) string {
	runs := scan(text, nil, m.kanji)
	var b strings.Builder
	for i, r := range runs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.script == scriptLatin && (lang == "ru" || lang == "ky") {
			b.WriteString(translit(r.text, lang == "ky", false))
			continue
		}
		b.WriteString(r.text)
	}
	return b.String()
}

// scan splits text into folded runs, appending to dst; Japanese kana
// spellings are written as kj says.
func scan(text string, dst []run, kj *kanji) []run {
	if !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	// the runs' texts are cut from one string: one allocation a message
	b := make([]byte, 0, len(text))
	ends := make([]int, 0, 2*maxTokens)
	first := len(dst)
	start, script, clause := 0, scriptNone, 0
	flush := func() {
		if len(b) > start {
			dst = append(dst, run{script: script, clause: clause})
			ends = append(ends, start, len(b))
			start = len(b)
		}
		script = scriptNone
	}
	var last rune
	repeats := 0
	for _, r := range text {
		if r == 'ー' || r == '〜' || r == '~' {
			// a drawn-out vowel: はーい is はい, ありがとー is ありがとう's
			// casual form; the examples are folded the same way
			continue
		}
		s := classify(r)
		switch {
		case s == scriptNone:
			if r == '\'' || r == '’' || r == 'ʼ' || r == '`' {
				continue // don't → dont, Latin-typed ъ/ь
			}
			flush()
			if breaksClause(r) {
				clause++
			}
			continue
		case s != script && script != scriptNone:
			flush()
		}
		script = s
		fr := foldRune(r)
		// a letter held down ("okkkk", «спасибоооо») counts twice at
		// most: a doubled letter may be the word's own (ооба, агенттик)
		if fr == last && len(b) > start {
			if repeats++; repeats >= 2 {
				continue
			}
		} else {
			last, repeats = fr, 0
		}
		b = utf8.AppendRune(b, fr)
	}
	flush()
	all := string(b)
	for i := first; i < len(dst); i++ {
		k := 2 * (i - first)
		dst[i].text = all[ends[k]:ends[k+1]]
		if dst[i].script == scriptCJK {
			dst[i].text = plainJa(kj.apply(dst[i].text))
		}
	}
	return dst
}

// plainJa writes the long polite and casual endings of Japanese in their
// plain form (させていただきたい → したい, しております → しています,
// 探してる → 探している) and drops the hedges that carry no meaning
// (〜んですけど, 〜と思っています), so an example and a message that differ
// only in how politely they end read alike. Examples are folded the same
// way. A run without such an ending is returned as it is, unallocated.
func plainJa(s string) string {
	for _, c := range jaEndingCues {
		if strings.Contains(s, c) {
			return jaEndings.Replace(s)
		}
	}
	return s
}

var jaEndingCues = [...]string{"いただ", "いたし", "ており", "ござい", "んです", "のです", "んだけど", "でしょう", "てる", "てます", "と思", "と考", "りま", "っす"}

// jaEndings: longer endings first (the Replacer tries them in this order).
var jaEndings = strings.NewReplacer(
	"させていただきたい", "したい",
	"させていただきます", "します",
	"させていただいて", "して",
	"させていただく", "する",
	"いたします", "します",
	"いたしたい", "したい",
	"と思っております", "",
	"と考えております", "",
	"と思っています", "",
	"と考えています", "",
	"と思います", "",
	"と考えます", "",
	"しております", "しています",
	"ております", "ています",
	"でございます", "です",
	"なのですが", "です",
	"なんですけど", "です",
	"なんですが", "です",
	"なんです", "です",
	"のですが", "",
	"んですけど", "",
	"んですが", "",
	"んだけど", "",
	"んです", "",
	"でしょうか", "ですか",
	"てます", "ています",
	"てる", "ている",
	"っす", "です", // 了解っす, 会社っす
	// a verb in -る politely (かかります, わかりません) as it is plainly
	"ります", "る",
	"りません", "らない",
	"りました", "った",
)

func classify(r rune) byte {
	switch {
	case r >= '0' && r <= '9':
		return scriptDigit
	case r < 0x80:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return scriptLatin
		}
		return scriptNone
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), r == 'ー', r == '々':
		return scriptCJK
	case unicode.IsLetter(r):
		return scriptLatin // other alphabets: kept as words, matched exactly
	case unicode.IsDigit(r):
		return scriptDigit
	}
	return scriptNone
}

func breaksClause(r rune) bool {
	switch r {
	case ',', '.', '!', '?', ';', ':', '、', '。', '！', '？', '…', '(', ')', '「', '」', '\n':
		return true
	}
	return false
}

// foldRune lowers case and folds the spellings that do not change meaning.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	switch {
	case r == 'ё':
		return 'е'
	case r >= 'ァ' && r <= 'ヶ':
		return r - 0x60 // katakana → hiragana
	}
	return r
}

// key is the matching form of a folded word: letters people commonly leave
// out or type differently on a phone are folded together (ө/ү/ң/й/ь/ъ/щ/э
// in Cyrillic, diacritics in Latin). Both the examples and the message are
// keyed the same way.
func key(w string, script byte) string {
	switch script {
	case scriptCyrillic:
		if !strings.ContainsAny(w, "йөүңщэьъ") {
			return w
		}
		var b strings.Builder
		b.Grow(len(w))
		for _, r := range w {
			switch r {
			case 'й':
				r = 'и'
			case 'ө':
				r = 'о'
			case 'ү':
				r = 'у'
			case 'ң':
				r = 'н'
			case 'щ':
				r = 'ш'
			case 'э':
				r = 'е'
			case 'ь', 'ъ':
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	case scriptLatin:
		ascii := true
		for i := 0; i < len(w); i++ {
			if w[i] >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			return w
		}
		var b strings.Builder
		for _, r := range w {
			if f, ok := latinFold[r]; ok {
				b.WriteString(f)
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return w
}

var latinFold = map[rune]string{
	'ö': "o", 'ü': "u", 'ı': "i", 'ş': "sh", 'ç': "ch", 'ğ': "g", 'ñ': "n", 'é': "e", 'è': "e",
	'á': "a", 'à': "a", 'ó': "o", 'ú': "u", 'í': "i", 'â': "a", 'ê': "e", 'ô': "o", 'û': "u", 'ä': "a",
	'ň': "n", 'ŋ': "n", 'ž': "zh", 'š': "sh", 'č': "ch",
}

// translit writes a lower-case Latin word in Cyrillic. ky adds the Kyrgyz
// letters (ng → ң, oe/ö → ө, ue/ü → ү). iotated reads j before a vowel as
// я/ю/е (Yaponiya typed "japoniya") instead of ж (jumush).
func translit(w string, ky, iotated bool) string {
	var b strings.Builder
	b.Grow(len(w) * 2)
	rs := []rune(w)
	prevVowel := false
	for i := 0; i < len(rs); {
		rest := rs[i:]
		out, n := "", 1
		switch {
		case hasPrefix(rest, "shch"):
			out, n = "щ", 4
		case hasPrefix(rest, "sch"):
			out, n = "щ", 3
		case hasPrefix(rest, "zh"):
			out, n = "ж", 2
		case hasPrefix(rest, "kh"):
			out, n = "х", 2
		case hasPrefix(rest, "ts") && (len(rest) == 2 || strings.ContainsRune("aeiouy", rest[2])):
			out, n = "ц", 2 // tsena, kuritsa; but agentstvo, sovetskiy
		case hasPrefix(rest, "ch"):
			out, n = "ч", 2
		case hasPrefix(rest, "sh"):
			out, n = "ш", 2
		case hasPrefix(rest, "yo"), hasPrefix(rest, "ye"):
			out, n = "е", 2
		case hasPrefix(rest, "yu"), hasPrefix(rest, "iu") && i > 0:
			out, n = "ю", 2
		case hasPrefix(rest, "ya"), hasPrefix(rest, "ia") && i > 0:
			if rest[0] == 'i' {
				out, n = "ия", 2
			} else {
				out, n = "я", 2
			}
		case iotated && hasPrefix(rest, "ja"):
			out, n = "я", 2
		case iotated && hasPrefix(rest, "ju"):
			out, n = "ю", 2
		case iotated && (hasPrefix(rest, "jo") || hasPrefix(rest, "je")):
			out, n = "е", 2
		case ky && hasPrefix(rest, "ng"):
			out, n = "ң", 2
		case ky && hasPrefix(rest, "oe"):
			out, n = "ө", 2
		case ky && hasPrefix(rest, "ue"):
			out, n = "ү", 2
		case rest[0] == 'y':
			if prevVowel {
				out = "й"
			} else {
				out = "ы"
			}
		default:
			out = latinLetter(rest[0])
		}
		b.WriteString(out)
		last, _ := utf8.DecodeLastRuneInString(out)
		prevVowel = strings.ContainsRune("аеиоуыэюяөү", last)
		i += n
	}
	return b.String()
}

func hasPrefix(rs []rune, p string) bool {
	if len(rs) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if rs[i] != rune(p[i]) {
			return false
		}
	}
	return true
}

func latinLetter(r rune) string {
	switch r {
	case 'a':
		return "а"
	case 'b':
		return "б"
	case 'c':
		return "ц"
	case 'd':
		return "д"
	case 'e':
		return "е"
	case 'f':
		return "ф"
	case 'g':
		return "г"
	case 'h':
		return "х"
	case 'i':
		return "и"
	case 'j':
		return "ж"
	case 'k', 'q':
		return "к"
	case 'l':
		return "л"
	case 'm':
		return "м"
	case 'n':
		return "н"
	case 'o':
		return "о"
	case 'p':
		return "п"
	case 'r':
		return "р"
	case 's':
		return "с"
	case 't':
		return "т"
	case 'u':
		return "у"
	case 'v', 'w':
		return "в"
	case 'x':
		return "кс"
	case 'z':
		return "з"
	case 'ö':
		return "ө"
	case 'ü':
		return "ү"
	case 'ı':
		return "ы"
	case 'ş':
		return "ш"
	case 'ç':
		return "ч"
	case 'ğ':
		return "г"
	case 'ñ', 'ŋ':
		return "ң"
	case 'é', 'è', 'ê':
		return "е"
	}
	return string(r)
}

// kyrgyzSuffixes are the case, number, possessive, person and question
// endings a Kyrgyz word chains (keyed: ө, ү, ң, й typed as о, у, н, и), the
// longest first. The agent suffix -чы/-чу is not one: жумушчу (a worker)
// is not жумуш (a job).
var kyrgyzSuffixes = func() [][]rune {
	var out [][]rune
	for _, s := range []string{
		"дагы", "деги", "догу", "тагы", "теги", "тогу", "ыбыз", "ибиз", "убуз", "ыныз", "иниз", "унуз",
		"мын", "мин", "мун", "быз", "биз", "буз", "пыз", "пиз", "пуз", "сын", "син", "сун", "сыз", "сиз", "суз",
		"дан", "ден", "дон", "тан", "тен", "тон", "нан", "нен", "нон",
		"нын", "нин", "нун", "дын", "дин", "дун", "тын", "тин", "тун",
		"лар", "лер", "лор", "дар", "дер", "дор", "тар", "тер", "тор",
		"да", "де", "до", "та", "те", "то", "га", "ге", "го", "ка", "ке", "ко",
		"ны", "ни", "ну", "ды", "ди", "ду", "ты", "ти", "ту",
		"ым", "им", "ум", "сы", "си", "су", "бы", "би", "бу", "пы", "пи", "пу",
	} {
		out = append(out, []rune(s))
	}
	return out
}()

var kyrgyzSuffixesInner = append(append([][]rune(nil), kyrgyzSuffixes...), []rune("ы"), []rune("и"), []rune("у"))

// kyrgyzStems returns what is left of a keyed Cyrillic word with one to
// three Kyrgyz endings taken off (нагоядамын → нагояда, нагоя;
// агенттигинен → агенттик), at least two letters, at most 8 stems. A final
// г or б an ending voiced is read back as к or п (агенттиги → агенттик).
func kyrgyzStems(w string, dst []string) []string {
	rs := []rune(w)
	if len(rs) < 4 {
		return dst
	}
	type cut struct{ n, depth int }
	todo := []cut{{len(rs), 0}}
	seen := map[int]bool{}
	add := func(s string) {
		for _, d := range dst {
			if d == s {
				return
			}
		}
		dst = append(dst, s)
	}
	for len(todo) > 0 && len(dst) < 8 {
		c := todo[0]
		todo = todo[1:]
		if c.depth == 3 {
			continue
		}
		sufs := kyrgyzSuffixes
		if c.depth > 0 {
			// a possessive -ы/-и/-у before another ending (агенттиг-и-нен)
			sufs = kyrgyzSuffixesInner
		}
		for _, suf := range sufs {
			n := c.n - len(suf)
			if n < 2 || !runesHaveSuffix(rs[:c.n], suf) || seen[n] {
				continue
			}
			seen[n] = true
			add(string(rs[:n]))
			switch rs[n-1] {
			case 'г':
				add(string(rs[:n-1]) + "к")
			case 'б':
				add(string(rs[:n-1]) + "п")
			}
			todo = append(todo, cut{n, c.depth + 1})
		}
	}
	return dst
}

func runesHaveSuffix(rs, suf []rune) bool {
	if len(rs) < len(suf) {
		return false
	}
	for i := range suf {
		if rs[len(rs)-len(suf)+i] != suf[i] {
			return false
		}
	}
	return true
}

// Spelling is a word of this domain that people type in kana only (phones,
// learners of Japanese: 「かいしゃのしゃちょうです」, 「にほんではたらきたい」)
// and the kanji the examples write it in. Kana is hiragana, as folded
// text is; only words whose kana spelling means nothing else in practice
// belong here (the content's understanding file lists them).
type Spelling struct{ Kana, Kanji string }

// kanji writes a Corpus' kana Spellings in their kanji, so that a bigram of
// kana meets the example's kanji. A nil *kanji writes nothing.
type kanji struct {
	r       *strings.Replacer
	byFirst map[rune][]string // first letter → the kana spellings it starts
}

// newKanji checks spellings and indexes them; nil when there are none.
func newKanji(spellings []Spelling) (*kanji, error) {
	if len(spellings) == 0 {
		return nil, nil
	}
	k := &kanji{byFirst: map[rune][]string{}}
	pairs := make([]string, 0, 2*len(spellings))
	for _, sp := range spellings {
		if sp.Kana == "" || strings.IndexFunc(sp.Kana, func(r rune) bool { return !unicode.Is(unicode.Hiragana, r) && r != 'ー' }) >= 0 {
			return nil, fmt.Errorf("understand: spelling %q: want hiragana", sp.Kana)
		}
		if strings.IndexFunc(sp.Kanji, func(r rune) bool { return unicode.Is(unicode.Han, r) }) < 0 {
			return nil, fmt.Errorf("understand: spelling %q: kanji %q has none", sp.Kana, sp.Kanji)
		}
		pairs = append(pairs, sp.Kana, sp.Kanji)
		r, _ := utf8.DecodeRuneInString(sp.Kana)
		k.byFirst[r] = append(k.byFirst[r], sp.Kana)
	}
	k.r = strings.NewReplacer(pairs...)
	return k, nil
}

// apply returns s with the kana spellings written in kanji; a run without
// one is returned unallocated.
func (k *kanji) apply(s string) string {
	if k == nil {
		return s
	}
	for i, r := range s {
		for _, kana := range k.byFirst[r] {
			if strings.HasPrefix(s[i:], kana) {
				// again until nothing changes: a kanji's okurigana may start
				// a spelling with the kana after it (さがしごと → 探しごと →
				// 探仕事), and folding folded text must change nothing. Each
				// pass writes fewer kana, so it ends.
				for n := 0; n < 4; n++ {
					t := k.r.Replace(s)
					if t == s {
						break
					}
					s = t
				}
				return s
			}
		}
	}
	return s
}
