package understand

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// Corpus is what the model learns from: every intent with its examples,
// and the Japanese words typed in kana only, read as their kanji in
// examples and messages alike.
type Corpus struct {
	Languages []string
	Intents   []Intent
	Spellings []Spelling
}

// Intent is one slot value. Slot is one of "role", "location", "country",
// "route", "topic", "contact", "control", "oos"; Value is the content's id
// ("employer", "kg", "agency", "visa", "thanks", "fees" …).
type Intent struct {
	Slot, Value string
	// Examples maps a language to phrasings as users type them; the key ""
	// holds phrasings of any language (place names, codes).
	Examples map[string][]string
	// Passing: a mention in passing answers the slot, even at another
	// question. Set for a place only one side can be in ("the worker in
	// Bishkek"), not for one the employer may be in ("a company in Osaka").
	Passing bool
	// Over and Cues: at a question of this slot, a message with one of
	// Cues' words (language, or "" for any → words) means this value
	// instead of the values in Over: "my brother wants to work in Japan"
	// is someone else's job search, not the writer's.
	Over []string
	Cues map[string][]string
}

// Query is one message to read.
type Query struct {
	Text string
	Lang string // the user's language; "" when unknown
	// Expect lists the slots the current question fills (["route"] at the
	// route question); nil inside a walk.
	Expect []string
}

// Match is one reading of a message: a slot value and how sure it is.
type Match struct {
	Slot, Value string
	Score       float64 // 0..1
	// Negated: the message names the value to rule it out ("no agency",
	// «без агентства», 「送出機関は使いません」); never select it.
	Negated bool
	// Confident: Score is above Threshold, not negated, and clearly ahead
	// of the next value of the same slot.
	Confident bool
}

// Reading is what a message means.
type Reading struct {
	// Matches holds the best value of every slot the message names, the
	// expected slots first, then by score. One message may fill several.
	Matches []Match
	// Alternatives are the runner-up values of the first match's slot, for
	// a clarifying question with two or three buttons.
	Alternatives []Match
	// Confident says the first match can be acted on without asking.
	Confident bool
}

// Best returns the match for slot, if the message names one.
func (r Reading) Best(slot string) (Match, bool) {
	for _, m := range r.Matches {
		if m.Slot == slot {
			return m, true
		}
	}
	return Match{}, false
}

const (
	// Threshold is the score a reading needs to be acted on.
	Threshold = 0.7
	// Margin is how far the best value must lead the next one of its slot.
	Margin = 0.15
	// minScore is the lowest score still reported (as a match or an
	// alternative for a clarifying question).
	minScore = 0.35

	simExact, simStem, simPrefix, simTypo = 1.0, 0.92, 0.88, 0.8
	// simTranslit discounts a Latin word read as Cyrillic.
	simTranslit = 0.95
)

// Model is built once from a Corpus and read by many goroutines.
type Model struct {
	intents []Intent // Slot and Value only

	vocab  idIndex // matching key → id
	keys   []string
	script []byte
	weight []float32 // IDF over intents, 0..1
	stemOf []string
	post   packed // id → example token slots it fills

	stems    postings        // stem → ids
	dels     postings        // key and its one-letter deletions → ids
	prefixes postings        // Cyrillic prefixes (≥ prefixMin runes) → ids
	english  map[string]bool // keys and stems of English examples

	// b holds the indexes while New builds them, as maps; New then
	// freezes them into the fields above (frozen.go) and drops b.
	b *building
	// langs: which languages' examples use the word (langBit), for
	// Language, and to keep Kyrgyz-only words (bitKy alone) from Russian
	// messages: a Russian word is not read as one of these with another
	// ending or a typo: «сына» (a son's) is not «сынак» (a test), «собой»
	// not «собол».
	langs []uint8

	examples []example
	slotEx   []int32   // token slot → example
	slotW    []float32 // token slot → weight
	slotCue  []bool    // token slot is a negation ("without", без, なし)
	slotCJK  []bool    // token slot is a CJK bigram
	negative []bool    // example says what is not (has a negation)
	// weak: the example is function words only («да», "ok then"): a
	// message of function words only is read against these
	weak []bool

	pool sync.Pool

	kanji *kanji // Corpus.Spellings

	// words caches what a word of a message is (its Cyrillic readings and
	// the example words it matches), per language: people type the same
	// few thousand words, and a word read once is read again without its
	// transliterations, stems, prefixes and typo variants.
	wordsMu sync.RWMutex
	words   map[string]*wordInfo

	// over: intent → the intents of its slot it takes the place of when
	// one of its cues is in the message; cues: lang "\x00" key → intents
	// (a word, or its beginning for an inflected one: брат in брату);
	// cjkCues: Japanese cues, found inside a run of characters.
	over    [][]int32
	cues    map[string][]int32
	cjkCues []cjkCue
}

// building is a Model's indexes while New makes them (see Model.b).
type building struct {
	vocab                 map[string]int32
	post                  [][]int32
	stems, dels, prefixes map[string][]int32
}

type cjkCue struct {
	lang, text string
	intent     int32
}

// wordInfo is a cached word: the forms it is read in and every example word
// they match, with the similarity.
type wordInfo struct {
	forms   [4]string
	fs      [4]byte
	fw      [4]float32
	nf      int
	weight  float32
	credits []credit
}

type credit struct {
	id  int32
	sim float32
}

// maxCachedWords bounds the word cache (about 200 bytes a word): past it a
// new word is read afresh each time.
const maxCachedWords = 50000

type example struct {
	intent  int32
	off, n  int32
	total   float32
	control bool
}

const prefixMin = 4

// stemMin is the shortest stem two different endings may share.
const stemMin = 6

// New builds a model. It fails when an intent has no slot, value or
// example, an example has no word, or a spelling's kana is not hiragana or
// its kanji has none.
func New(c Corpus) (*Model, error) {
	kj, err := newKanji(c.Spellings)
	if err != nil {
		return nil, err
	}
	m := &Model{
		kanji:   kj,
		english: map[string]bool{},
		words:   map[string]*wordInfo{},
		b: &building{vocab: map[string]int32{}, stems: map[string][]int32{}, dels: map[string][]int32{},
			prefixes: map[string][]int32{}},
	}
	type exTok struct {
		ids []int32
		cue bool
	}
	df := map[int32]map[int32]bool{}
	usedBy := map[int32]uint8{} // langBit of each language whose examples use it
	var runs []run
	var toks []exTok
	var slotFirst []int32
	for ii, in := range c.Intents {
		if in.Slot == "" || in.Value == "" {
			return nil, fmt.Errorf("understand: intent %d has no slot or value", ii)
		}
		m.intents = append(m.intents, Intent{Slot: in.Slot, Value: in.Value, Passing: in.Passing})
		langs := make([]string, 0, len(in.Examples))
		for l := range in.Examples {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		n := 0
		for _, lang := range langs {
			for _, text := range in.Examples[lang] {
				runs = scan(text, runs[:0], m.kanji)
				toks = toks[:0]
				seen := map[int32]bool{}
				for _, r := range runs {
					for _, k := range tokenKeys(r) {
						k, st, _ := strings.Cut(k, "\x00")
						id := m.intern(k, r.script)
						if seen[id] {
							continue
						}
						seen[id] = true
						t := exTok{ids: []int32{id}, cue: isCue(k, r.script)}
						if st != "" {
							t.ids = append(t.ids, m.intern(st, r.script))
						}
						if r.script == scriptLatin && lang == "en" {
							m.english[k] = true
							if st := m.stemOf[id]; st != "" {
								// (a short word has no stem: "" is no English word,
								// or every short Latin word of a Russian or Kyrgyz
								// example, "ne", "ya", would be read as English)
								m.english[st] = true
							}
						}
						if r.script == scriptLatin && lang != "en" {
							for _, tr := range translits(k) {
								t.ids = append(t.ids, m.intern(tr, scriptCyrillic))
							}
						}
						toks = append(toks, t)
					}
				}
				if len(toks) == 0 {
					return nil, fmt.Errorf("understand: %s=%s: example %q has no word", in.Slot, in.Value, text)
				}
				ex := example{intent: int32(ii), off: int32(len(m.slotEx)), n: int32(len(toks)), control: in.Slot == "control"}
				for _, t := range toks {
					slot := int32(len(m.slotEx))
					m.slotEx = append(m.slotEx, int32(len(m.examples)))
					m.slotW = append(m.slotW, 0)
					m.slotCue = append(m.slotCue, t.cue)
					m.slotCJK = append(m.slotCJK, m.script[t.ids[0]] == scriptCJK)
					slotFirst = append(slotFirst, t.ids[0])
					for _, id := range t.ids {
						usedBy[id] |= langBit(lang)
						m.b.post[id] = append(m.b.post[id], slot)
						if df[id] == nil {
							df[id] = map[int32]bool{}
						}
						df[id][int32(ii)] = true
					}
				}
				m.examples = append(m.examples, ex)
				neg := false
				for _, t := range toks {
					neg = neg || t.cue
				}
				m.negative = append(m.negative, neg)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("understand: %s=%s has no example", in.Slot, in.Value)
		}
	}
	// IDF over intents: a word many intents share ("I", "we", «мен») tells
	// little; a word one intent owns tells it all.
	N := float64(len(m.intents))
	norm := math.Log(1 + N)
	m.weight = make([]float32, len(m.keys))
	m.langs = make([]uint8, len(m.keys))
	for id, u := range usedBy {
		m.langs[id] = u
	}
	for id := range m.keys {
		m.weight[id] = float32(math.Log(1+N/float64(len(df[int32(id)]))) / norm)
		if m.stop(m.keys[id], m.script[id]) {
			m.weight[id] *= stopFactor
		}
	}
	// a slot weighs as its written form (not its transliteration)
	for s, id := range slotFirst {
		m.slotW[s] = m.weight[id]
	}
	m.weak = make([]bool, len(m.examples))
	for ei := range m.examples {
		ex := &m.examples[ei]
		weak := true
		for s := ex.off; s < ex.off+ex.n; s++ {
			ex.total += m.slotW[s]
			weak = weak && m.slotW[s] < content
		}
		m.weak[ei] = weak
	}
	m.buildCues(c)
	m.vocab, m.post = freezeIDs(m.b.vocab), pack(m.b.post)
	m.stems, m.dels, m.prefixes = freeze(m.b.stems), freeze(m.b.dels), freeze(m.b.prefixes)
	m.b = nil
	oneString(m.keys)
	oneString(m.stemOf)
	m.pool.New = func() any { return newScratch(len(m.slotEx), len(m.examples), len(m.intents)) }
	return m, nil
}

// buildCues indexes the intents' Over and Cues.
func (m *Model) buildCues(c Corpus) {
	m.over = make([][]int32, len(c.Intents))
	m.cues = map[string][]int32{}
	for i, in := range c.Intents {
		for _, v := range in.Over {
			for j, o := range c.Intents {
				if o.Slot == in.Slot && o.Value == v {
					m.over[i] = append(m.over[i], int32(j))
				}
			}
		}
		if len(m.over[i]) == 0 {
			continue
		}
		for lang, ws := range in.Cues {
			for _, w := range ws {
				for _, r := range scan(w, nil, m.kanji) {
					if r.script == scriptCJK {
						m.cjkCues = append(m.cjkCues, cjkCue{lang, r.text, int32(i)})
						continue
					}
					k := lang + "\x00" + key(r.text, r.script)
					m.cues[k] = append(m.cues[k], int32(i))
				}
			}
		}
	}
}

// intern returns the id of a matching key, adding it and its index entries.
func (m *Model) intern(k string, script byte) int32 {
	b := m.b
	if id, ok := b.vocab[k]; ok {
		return id
	}
	id := int32(len(m.keys))
	b.vocab[k] = id
	m.keys = append(m.keys, k)
	m.script = append(m.script, script)
	b.post = append(b.post, nil)
	st := stem(k, script)
	m.stemOf = append(m.stemOf, st)
	if st != "" {
		b.stems[st] = append(b.stems[st], id)
	}
	if script == scriptLatin || script == scriptCyrillic {
		rs := []rune(k)
		if len(rs) >= typoLen(script) {
			b.dels[k] = append(b.dels[k], id)
			for i := range rs {
				d := string(rs[:i]) + string(rs[i+1:])
				b.dels[d] = appendOnce(b.dels[d], id)
			}
		}
		if script == scriptCyrillic && !kyrgyzWithout(k) {
			// (агенттиксиз, "without an agency", is not агенттик with
			// an ending: a message's агенттик is not read as it)
			for n := prefixMin; n < len(rs); n++ {
				if !ending(n, len(rs)) || rs[n] == 'ч' {
					continue
				}
				p := string(rs[:n])
				b.prefixes[p] = append(b.prefixes[p], id)
			}
		}
	}
	return id
}

const (
	typoMin   = 4 // shorter words must match exactly: "ok" is not "on"
	maxEnding = 6 // runes an ending may add to a shared prefix
)

func appendOnce(s []int32, id int32) []int32 {
	for _, x := range s {
		if x == id {
			return s
		}
	}
	return append(s, id)
}

// tokenKeys splits a run into matching keys: the word, or CJK bigrams.
func tokenKeys(r run) []string {
	k := key(r.text, r.script)
	if r.script != scriptCJK {
		return []string{k}
	}
	rs := []rune(k)
	if len(rs) == 1 {
		return []string{k}
	}
	out := make([]string, 0, len(rs)-1)
	for i := 0; i+1 < len(rs); i++ {
		if cjkPair(rs, i) {
			k := string(rs[i : i+2])
			if st, ok := cjkStem(rs, i); ok {
				k += "\x00" + st // also its stem (Cut apart in New)
			}
			out = append(out, k)
		} else if k, ok := cjkSingle(rs, i); ok {
			out = append(out, string(k))
		}
	}
	if len(out) == 0 {
		return []string{string(rs[:2])} // 「では」: a run of particles is still a word
	}
	return out
}

// translits are the Cyrillic readings of a Latin word (keyed).
func translits(k string) []string {
	a := key(translit(k, true, false), scriptCyrillic)
	b := key(translit(k, true, true), scriptCyrillic)
	out := []string{a}
	if a != b {
		out = append(out, b)
	}
	if strings.Contains(k, "shch") {
		// Kyrgyz has no щ: ishchi is ишчи (a worker)
		c := key(strings.ReplaceAll(translit(strings.ReplaceAll(k, "shch", "sh|ch"), true, false), "|", ""), scriptCyrillic)
		if c != a && c != b {
			out = append(out, c)
		}
	}
	if strings.ContainsRune(k, 'w') {
		// phones without Cyrillic type ш as "w" (iw, ishtew) as often as в
		c := key(translit(strings.ReplaceAll(k, "w", "sh"), true, false), scriptCyrillic)
		if c != a && c != b {
			out = append(out, c)
		}
	}
	return out
}

// stem is the Snowball stem of a key (English for Latin, Russian for
// Cyrillic; Kyrgyz endings are left to the prefix rule).
func stem(k string, script byte) string {
	switch script {
	case scriptLatin:
		if len(k) < 4 {
			return ""
		}
		return english.Stem(k, false)
	case scriptCyrillic:
		if utf8.RuneCountInString(k) < 4 {
			return ""
		}
		return russian.Stem(k, false)
	}
	return ""
}

// ending says whether a word of n runes can be a stem of one of total
// runes: the rest is short and most of the word is shared (японияда is
// япония + да; работадатель is not работа + датель).
func ending(n, total int) bool {
	return total-n <= maxEnding && float64(n) >= 0.55*float64(total)
}

// typoLen is the shortest word a typo is forgiven in: Cyrillic words are
// often read from Latin letters already, so one more change is allowed
// only in longer ones ("alam" is not «салам»).
func typoLen(script byte) int {
	if script == scriptCyrillic {
		return typoMin + 1
	}
	return typoMin
}

// (a rest starting with ч is the Kyrgyz agent suffix, not an ending:
// жумушчу, a worker, is not жумуш, a job)

// stop says whether a key is a function word, also typed in Latin letters
// («v», «ya», «men»), unless English uses it ("no").
func (m *Model) stop(k string, script byte) bool {
	if stopWords[k] {
		return true
	}
	if script != scriptLatin || m.english[k] {
		return false
	}
	for _, tr := range translits(k) {
		if stopWords[tr] {
			return true
		}
	}
	return false
}
