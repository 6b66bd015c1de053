package knowledge

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slots a message can fill, in the order a reader thinks of them. An
// intent's Value is checked against the rest of the content: a role needs
// its role_<value> button, a location its loc_<value> button, a country,
// route, topic or contact must exist, control words are the fixed list
// below, and every out-of-scope topic carries its own honest answer.
var Slots = []string{"role", "location", "country", "route", "topic", "contact", "control", "oos"}

// Controls are the control words the bot acts on without moving the user
// forward on their own (except next/back): acknowledgements, yes/no,
// greetings, and requests for help, a person, a fresh start, another
// language or the list of all steps.
var Controls = []string{"yes", "no", "thanks", "ok", "hello", "next", "back", "help", "staff", "restart", "contacts", "lang", "all"}

// AnyLanguage is the Examples key of phrasings that mean the same in every
// language: place names, codes, numbers. In YAML it is written "any".
const AnyLanguage = ""

// Intent is one value of one slot and the ways people type it. Intents
// come from every content file; the same slot and value in several files
// (shared phrasings in understanding.yaml, a country's places in its own
// file) are merged into one Intent.
type Intent struct {
	Slot, Value string
	Examples    map[string][]string // language (or AnyLanguage) → phrasings as users type them
	Answer      Text                // out-of-scope topics only: the honest answer
	// Over and Cues: a message with one of Cues' words (language → words)
	// means this value instead of the values in Over, of the same slot: a
	// job search told of "my brother" is not the writer's own.
	Over []string
	Cues map[string][]string
}

// Intent returns the intent for slot and value, or nil.
func (b *Base) Intent(slot, value string) *Intent {
	for i := range b.Intents {
		if b.Intents[i].Slot == slot && b.Intents[i].Value == value {
			return &b.Intents[i]
		}
	}
	return nil
}

// Spelling is a word of this domain that people type in kana only (on a
// phone, or learning Japanese: かいしゃ, そうしゅつきかん) and the kanji the
// examples write it in (会社, 送出機関). The understanding model reads the
// kana as the kanji in messages and examples alike, so the two meet.
type Spelling struct{ Kana, Kanji string }

// spellings validates an understanding file's spellings and adds them. The
// kana is hiragana because the model folds katakana to hiragana first; a
// kana given twice, in any file, would be read two ways.
func (l *loader) spellings(ys ySpellings) {
	if l.spelled == nil {
		l.spelled = map[string]placed{}
	}
	for _, y := range ys {
		what := fmt.Sprintf("spelling %q", y.Kana.V)
		switch {
		case y.Kana.V == "" || strings.IndexFunc(y.Kana.V, notHiragana) >= 0:
			l.at(y.Kana.Line, "%s: write the kana in hiragana (messages are read with katakana as hiragana)", what)
		case strings.IndexFunc(y.Kanji.V, isHan) < 0:
			l.at(y.Kanji.Line, "%s: %q has no kanji", what, y.Kanji.V)
		default:
			if prev, ok := l.spelled[y.Kana.V]; ok {
				l.at(y.Kana.Line, "%s: given twice (first at %s:%d)", what, prev.file, prev.line)
				continue
			}
			l.spelled[y.Kana.V] = placed{file: l.file, line: y.Kana.Line}
			l.b.Spellings = append(l.b.Spellings, Spelling{Kana: y.Kana.V, Kanji: y.Kanji.V})
		}
	}
}

func notHiragana(r rune) bool { return !unicode.Is(unicode.Hiragana, r) && r != 'ー' }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// exampleAt remembers where an example was first written, to report
// duplicates and conflicts with both places.
type exampleAt struct {
	slot, value, lang, file string
	line                    int
}

// intents validates the intents of one file and merges them into the base.
// Values are checked later, in checkIntents, when every file is loaded.
func (l *loader) intents(ys []yIntent) {
	seen := map[string]int{}
	for _, y := range ys {
		l.item = y.Slot.Line
		key := y.Slot.V + "=" + y.Value.V
		what := "intent " + key
		switch {
		case !contains(Slots, y.Slot.V):
			l.at(y.Slot.Line, "intent: slot %q must be one of %s", y.Slot.V, strings.Join(Slots, ", "))
		case y.Value.V == "":
			l.at(y.Slot.Line, "%s: missing value", what)
		case seen[key] != 0:
			l.at(y.Slot.Line, "%s: listed twice in this file (first at line %d)", what, seen[key])
		default:
			seen[key] = y.Slot.Line
		}
		in := l.b.Intent(y.Slot.V, y.Value.V)
		if in == nil {
			l.b.Intents = append(l.b.Intents, Intent{Slot: y.Slot.V, Value: y.Value.V, Examples: map[string][]string{}})
			in = &l.b.Intents[len(l.b.Intents)-1]
		}
		if y.Answer.M != nil {
			switch {
			case y.Slot.V != "oos":
				l.at(y.Answer.Line, "%s: only out-of-scope intents (slot oos) have an answer", what)
			case !in.Answer.IsZero():
				l.at(y.Answer.Line, "%s: answer given twice", what)
			default:
				in.Answer = l.text(y.Answer, what+" answer", true)
			}
		}
		if len(y.Examples) == 0 {
			l.at(y.Slot.Line, "%s: no examples", what)
		}
		l.cues(in, y, what)
		langs := make([]string, 0, len(y.Examples))
		for lang := range y.Examples {
			langs = append(langs, lang)
		}
		sort.Strings(langs)
		for _, lang := range langs {
			key, ok := l.langKey(y.Slot.Line, what, "examples", lang)
			if !ok {
				continue
			}
			for _, ex := range y.Examples[lang] {
				l.example(in, key, ex)
			}
		}
		l.intentLines = append(l.intentLines, intentLine{l.file, y.Slot, y.Value})
	}
}

// langKey returns the key of lang in an intent's examples or cues (in):
// the language, or AnyLanguage for "any". An unknown one is reported.
func (l *loader) langKey(line int, what, in, lang string) (string, bool) {
	switch {
	case lang == "any":
		return AnyLanguage, true
	case contains(Languages, lang):
		return lang, true
	}
	l.at(line, "%s: unknown language %q in %s (want %s or any)", what, lang, in, strings.Join(Languages, ", "))
	return "", false
}

// cues reads an intent's over and cues: the values it takes the place of
// (checked with the other values in checkIntents) and, per language, the
// words that make it do so.
func (l *loader) cues(in *Intent, y yIntent, what string) {
	if (len(y.Over) == 0) != (len(y.Cues) == 0) {
		l.at(y.Slot.Line, "%s: over and cues go together", what)
		return
	}
	for _, v := range y.Over {
		if v.V == y.Value.V || v.V == "" {
			l.at(v.Line, "%s: over %q: want another value of slot %s", what, v.V, y.Slot.V)
			continue
		}
		in.Over = append(in.Over, v.V)
		l.intentLines = append(l.intentLines, intentLine{l.file, y.Slot, v})
	}
	for lang, ws := range y.Cues {
		key, ok := l.langKey(y.Slot.Line, what, "cues", lang)
		if !ok {
			continue
		}
		if in.Cues == nil {
			in.Cues = map[string][]string{}
		}
		for _, w := range ws {
			if strings.TrimSpace(w.V) == "" {
				l.at(w.Line, "%s: empty cue", what)
				continue
			}
			in.Cues[key] = append(in.Cues[key], w.V)
		}
	}
	if len(in.Cues) > 0 && len(in.Cues[AnyLanguage]) == 0 {
		for _, lang := range Languages {
			if len(in.Cues[lang]) == 0 {
				l.at(y.Slot.Line, "%s: no cues in %s", what, lang)
			}
		}
	}
}

// example adds one phrasing. The same phrasing twice for one intent is a
// slip; for two values of one slot it is a contradiction the model could
// only guess at. The same phrasing in two slots is fine: the question being
// asked decides ("agency" answers the route question and, inside a walk,
// asks about the agency step).
func (l *loader) example(in *Intent, lang string, ex yStr) {
	what := "intent " + in.Slot + "=" + in.Value
	k := exampleKey(ex.V)
	if k == "" {
		l.at(ex.Line, "%s: empty example", what)
		return
	}
	if l.examples == nil {
		l.examples = map[string]exampleAt{}
	}
	// Language-specific and "any" phrasings compete in every language.
	id := in.Slot + "\x00" + k
	if prev, ok := l.examples[id]; ok {
		switch {
		case prev.value == in.Value && prev.file != l.file:
			// A second country file may repeat the first's phrasings.
		case prev.value == in.Value && prev.lang != lang:
			// One word in two languages (компания in ru and ky).
			in.Examples[lang] = append(in.Examples[lang], ex.V)
		case prev.value == in.Value:
			l.at(ex.Line, "%s: example %q given twice (first at %s:%d)", what, ex.V, prev.file, prev.line)
		default:
			l.at(ex.Line, "%s: example %q also means %s=%s (%s:%d)", what, ex.V, prev.slot, prev.value, prev.file, prev.line)
		}
		return
	}
	l.examples[id] = exampleAt{in.Slot, in.Value, lang, l.file, ex.Line}
	in.Examples[lang] = append(in.Examples[lang], ex.V)
}

// exampleKey is a light normal form for spotting duplicates: NFKC, lower
// case, single spaces, no trailing punctuation. The model folds far more
// (kana, ё, Latin-typed Cyrillic); this only catches copy-paste slips.
func exampleKey(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimRight(s, ".!?。！？ ")
}

type intentLine struct {
	file        string
	slot, value yStr
}

// checkIntents checks every intent's value against the rest of the content
// and that every intent can be understood in every language.
func (l *loader) checkIntents() {
	b := l.b
	valid := map[string]func(string) bool{
		"role":     func(v string) bool { return contains(b.Roles, v) },
		"location": func(v string) bool { return contains(b.Locations, v) },
		"country":  func(v string) bool { return b.Country(v) != nil },
		"route": func(v string) bool {
			for _, c := range b.Countries {
				if c.Route(v) != nil {
					return true
				}
			}
			return v == "compare"
		},
		"topic": func(v string) bool { return l.topics[v] },
		"contact": func(v string) bool {
			for _, c := range b.Countries {
				if c.Contact(v) != nil {
					return true
				}
			}
			return false
		},
		"control": func(v string) bool { return contains(Controls, v) },
		"oos":     func(v string) bool { return idPattern.MatchString(v) },
	}
	reported := map[string]bool{}
	for _, il := range l.intentLines {
		key := il.slot.V + "=" + il.value.V
		ok, known := valid[il.slot.V]
		if !known || reported[key] {
			continue
		}
		if !ok(il.value.V) {
			reported[key] = true
			l.add(il.file, il.slot.Line, fmt.Sprintf("intent %s: unknown %s %q", key, il.slot.V, il.value.V))
		}
	}
	first := map[string]intentLine{}
	for _, il := range l.intentLines {
		if _, ok := first[il.slot.V+"="+il.value.V]; !ok {
			first[il.slot.V+"="+il.value.V] = il
		}
	}
	for _, in := range b.Intents {
		il := first[in.Slot+"="+in.Value]
		if in.Slot == "oos" && in.Answer.IsZero() {
			l.add(il.file, il.slot.Line, fmt.Sprintf("intent oos=%s: missing answer", in.Value))
		}
		// Language-neutral phrasings (places) count for every language,
		// but a place name alone rarely covers how people say it.
		var missing []string
		for _, lang := range Languages {
			if len(in.Examples[lang]) == 0 {
				missing = append(missing, lang)
			}
		}
		if len(missing) > 0 {
			l.add(il.file, il.slot.Line, fmt.Sprintf("intent %s=%s: no examples in %s", in.Slot, in.Value, strings.Join(missing, ", ")))
		}
	}
}
