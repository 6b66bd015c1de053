package understand

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	// unknownWeight is how much a word no example uses counts in a
	// message: more than a common word ("we"), less than a rare key word.
	unknownWeight = 0.6
	// controlCover is the share of a message a control word must make up.
	controlCover     = 0.6
	controlCoverEdge = 0.4
	// specific is the matched weight from which a message that is wholly
	// one example's key words reads as that example.
	specific = 0.5
	// content is the weight from which a word carries meaning.
	content = 0.5
	// pooled discounts a reading pieced together from several examples.
	poolFactor = 0.88
	// rare is the weight of a word few intents use.
	rare = 0.75
	// explains is how much more of a message a reading must name to
	// explain away another value of its slot.
	explains = 1.5
	// passing is the score an answer nobody asked for needs; passingPlace
	// a place only the worker can be in, which a Kyrgyz ending or Latin
	// letters leave below passing ("мен Оштомун", "ya iz Bishkeka").
	passing      = 0.9
	passingPlace = 0.85
)

// maxTokens bounds the words of one message that are read (a pasted letter
// is read by its beginning); it keeps Read's memory fixed.
const maxTokens = 64

// qtok is one word (or CJK bigram) of the message, in up to three forms:
// as typed, and transliterated to Cyrillic.
type qtok struct {
	forms   [4]string
	fs      [4]byte // each form's script
	fw      [4]float32
	nf      int
	script  byte
	clause  int
	weight  float32 // how much of the message this word is (for control words)
	negPre  bool    // a negation that rules out what follows (no, без, не)
	negPost bool    // a negation that rules out what precedes (ない, жок, эмес)
	negSelf bool    // a Kyrgyz "-сыз" (without) on the word itself
	// credits are the example words a cached word matches (nil for CJK
	// bigrams, looked up as they come: their forms depend on neighbours)
	credits []credit
}

// scratch is one Read's working memory, pooled so that Read allocates
// little and never in proportion to the content.
type scratch struct {
	runs    []run
	toks    []qtok
	best    []float32 // token slot → best similarity
	pos     []int8    // token slot → message word that matched it
	touched []int32   // examples with a matched slot
	mark    []bool    // example touched
	intent  []candidate
	// intentMask: message words that some example of the intent names
	// with a content word (not a function word).
	intentMask []uint64
	seen       []int32
	buf        []rune
	bytes      []byte
	wkey       []byte   // a word's cache key
	cands      []cand   // reading()'s candidates
	stems      []string // a Kyrgyz word's stems
	picked     []cand   // the candidate each match is read from
	creds      []credit // a word's matches while they are collected
	// deferred function-word matches; late is set while they are credited
	deferred []deferred
	late     bool
	lang     string
}

type deferred struct {
	id  int32
	sim float32
	p   int8
}

type candidate struct {
	mask    uint64  // message words the best example matched
	cov     float32 // the share of the message they are
	phrase  bool    // the best example is all there, in two words or more
	score   float32
	matched float32 // weight of the matched words: the more specific wins a tie
	negated bool
	ok      bool
	fromNeg bool // read from an example that says what is not ("no agency")
}

func newScratch(slots, examples, intents int) *scratch {
	return &scratch{
		best:       make([]float32, slots),
		pos:        make([]int8, slots),
		mark:       make([]bool, examples),
		intent:     make([]candidate, intents),
		intentMask: make([]uint64, intents),
	}
}

// Read returns what a message means. It never fails: a message it cannot
// read gives an empty, unconfident Reading.
func (m *Model) Read(q Query) Reading {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	sc.lang = q.Lang
	m.tokenize(sc, q.Text, q.Lang)
	for p := range sc.toks {
		t := &sc.toks[p]
		if t.script == scriptCJK {
			sc.creds = sc.creds[:0]
			for f := 0; f < t.nf; f++ {
				sc.creds = m.lookup(sc, sc.creds, t.forms[f], t.fs[f], t.fw[f], q.Lang, true)
			}
			for _, c := range sc.creds {
				m.credit(sc, c.id, c.sim, int8(p))
			}
			continue
		}
		for _, c := range t.credits {
			m.credit(sc, c.id, c.sim, int8(p))
		}
	}
	sc.late = true
	for _, d := range sc.deferred {
		m.credit(sc, d.id, d.sim, d.p)
	}
	sc.late, sc.deferred = false, sc.deferred[:0]
	var totalW float32
	for _, t := range sc.toks {
		totalW += t.weight
	}
	for _, ei := range sc.touched {
		m.score(sc, ei, totalW)
	}
	m.pooled(sc, totalW)
	if len(m.cues) > 0 || len(m.cjkCues) > 0 {
		m.cued(sc, q)
	}
	r := m.reading(sc, q.Expect)
	for _, ei := range sc.touched {
		ex := m.examples[ei]
		for s := ex.off; s < ex.off+ex.n; s++ {
			sc.best[s] = 0
		}
		sc.mark[ei] = false
	}
	sc.touched = sc.touched[:0]
	for i := range sc.intent {
		sc.intent[i] = candidate{}
		sc.intentMask[i] = 0
	}
	return r
}

// tokenize fills sc.toks from the message.
func (m *Model) tokenize(sc *scratch, text, lang string) {
	sc.runs = scan(text, sc.runs[:0], m.kanji)
	sc.toks = sc.toks[:0]
	for _, r := range sc.runs {
		if len(sc.toks) >= maxTokens {
			break
		}
		k := key(r.text, r.script)
		if r.script != scriptCJK {
			m.addTok(sc, k, r, lang, 1)
			continue
		}
		sc.buf = append(sc.buf[:0], []rune(k)...)
		rs := sc.buf
		if len(rs) == 1 {
			m.addTok(sc, k, r, lang, 1)
			continue
		}
		n := len(sc.toks)
		for i := 0; i+1 < len(rs) && len(sc.toks) < maxTokens; i++ {
			if !cjkPair(rs, i) {
				// a kanji beside a particle: the pair is no word (stop.go)
				if k, ok := cjkSingle(rs, i); ok {
					m.addTok(sc, string(k), r, lang, 1)
				}
				continue
			}
			m.addTok(sc, string(rs[i:i+2]), r, lang, 1)
			m.cjkForms(&sc.toks[len(sc.toks)-1], rs, i)
		}
		if len(sc.toks) == n && len(sc.toks) < maxTokens {
			m.addTok(sc, string(rs[:2]), r, lang, 1)
		}
	}
	m.markNegations(sc)
	m.markContrast(sc)
}

func (m *Model) addTok(sc *scratch, k string, r run, lang string, sim float32) {
	if r.script != scriptCJK {
		w := m.word(sc, k, r.script, lang)
		sc.toks = append(sc.toks, qtok{forms: w.forms, fs: w.fs, fw: w.fw, nf: w.nf, script: r.script,
			clause: r.clause, weight: w.weight, credits: w.credits})
		return
	}
	t := qtok{script: r.script, clause: r.clause, nf: 1}
	t.forms[0], t.fw[0], t.fs[0] = k, sim, r.script
	t.weight = m.weightOf(t.forms[:t.nf])
	sc.toks = append(sc.toks, t)
}

// weightOf is what a word weighs: its first known form's weight.
func (m *Model) weightOf(forms []string) float32 {
	for _, f := range forms {
		if id, ok := m.vocab.get(f); ok {
			return m.weight[id]
		}
	}
	return unknownWeight
}

// word returns a (non-CJK) word's forms and matches, from the cache or read
// afresh and cached.
func (m *Model) word(sc *scratch, k string, script byte, lang string) *wordInfo {
	sc.wkey = append(append(append(sc.wkey[:0], lang...), 0), k...)
	m.wordsMu.RLock()
	w := m.words[string(sc.wkey)]
	m.wordsMu.RUnlock()
	if w != nil {
		return w
	}
	w = &wordInfo{nf: 1}
	w.forms[0], w.fw[0], w.fs[0] = k, 1, script
	// English and Japanese users type English in Latin letters; anyone else
	// may be typing Russian or Kyrgyz.
	if script == scriptLatin && lang != "en" && lang != "ja" && !m.isEnglish(k) {
		for _, tr := range translits(k) {
			if w.nf < len(w.forms) {
				w.forms[w.nf], w.fw[w.nf], w.fs[w.nf] = tr, simTranslit, scriptCyrillic
				w.nf++
			}
		}
	}
	w.weight = m.weightOf(w.forms[:w.nf])
	// a word the examples use as it is typed is not a typo of another
	// ("контакты" is not «контракт» mistyped)
	_, known := m.vocab.get(w.forms[0])
	for f := 1; f < w.nf && !known; f++ {
		_, known = m.vocab.get(w.forms[f])
	}
	sc.creds = sc.creds[:0]
	for f := 0; f < w.nf; f++ {
		sc.creds = m.lookup(sc, sc.creds, w.forms[f], w.fs[f], w.fw[f], lang, !known)
	}
	w.credits = append([]credit(nil), sc.creds...)
	m.wordsMu.Lock()
	if len(m.words) < maxCachedWords {
		m.words[string(sc.wkey)] = w
	}
	m.wordsMu.Unlock()
	return w
}

// isEnglish: a Latin word English examples use is read as English only
// ("no" is not «но», "net" may be «нет»).
func (m *Model) isEnglish(k string) bool {
	if m.english[k] {
		return true
	}
	if id, ok := m.vocab.get(k); ok {
		return m.english[m.stemOf[id]]
	}
	return false
}

// Negation cues, as matching keys.
var (
	negBefore = set("no", "not", "without", "dont", "doesnt", "didnt", "never", "none", "isnt", "arent", "wont", "nor",
		"не", "без", "нет", "ни", "ne", "bez")
	negAfter = set("not", "не", "нет", "жок", "емес", "емеспиз", "емесмин", "елек", "елекмин", "елекпиз", "елекпи", "ордуна")
	// ja: the bigram that starts a negative ending
	negAfterCJK = set("なし", "無し", "不要", "せず", "さず", "使わ", "通さ", "頼ま", "以外", "わず")
	// ない and ません deny the verb before them: only "use", "go through",
	// "ask" deny the thing named («送出機関は使いません»), not わかりません.
	weakNegCJK = set("ない", "ませ", "なく")
)

func set(ws ...string) map[string]bool {
	s := make(map[string]bool, len(ws))
	for _, w := range ws {
		s[w] = true
	}
	return s
}

// Contrast cues: "not X but Y", «не X, а Y», "X эмес, Y", 「XではなくY」.
// A contrast starts a new clause, so a negation rules out only its own
// clause and every example is read inside one clause.
var (
	// a word that begins the clause it is in ("but", «а», «но», бирок)
	// (also without a comma: «не через агентство а через центр»)
	contrastBefore = set("but", "instead", "rather", "а", "но", "зато", "бирок", "birok", "вместо")
	// a word that ends the clause it is in (агенттик эмес, …)
	contrastAfter = set("емес", "емеспиз", "емесмин", "ордуна")
	// "instead of X", "rather than X", «вместо X»: X is ruled out
	insteadOf = set("than", "вместо")
	// ja: では/じゃ/で before なく/ない/ありません deny the noun before them
	// (センターではなく直接, 求職者ではありません)
	copulaCJK = set("では", "じゃ", "でな")
)

// markContrast splits clauses at contrast words and marks the negations
// they carry.
func (m *Model) markContrast(sc *scratch) {
	shift := 0
	for i := range sc.toks {
		t := &sc.toks[i]
		t.clause += shift
		if t.script == scriptCJK {
			w := t.forms[0]
			if copulaCJK[w] && i+1 < len(sc.toks) {
				next := sc.toks[i+1].forms[0]
				if w == "でな" || next == "なく" || next == "ない" || next == "はな" || next == "ゃな" || next == "はあ" {
					t.negPost = true
				}
			}
			if w == "なく" && i > 0 && (copulaCJK[sc.toks[i-1].forms[0]] || sc.toks[i-1].forms[0] == "はな" || sc.toks[i-1].forms[0] == "ゃな") {
				shift++ // what follows なく is the other side of the contrast
			}
			continue
		}
		for f := 0; f < t.nf; f++ {
			w := t.forms[f]
			switch {
			case contrastBefore[w] && i > 0 || w == "a" && sc.lang == "ru" && i > 0 ||
				// Kyrgyz «ал эми» (but, as for)
				(w == "еми" || w == "эми") && i > 0 && sc.toks[i-1].forms[0] == "ал":
				if sc.toks[i-1].clause == t.clause {
					shift++
					t.clause++
				}
			case contrastAfter[w]:
				shift++
			}
			if insteadOf[w] || w == "instead" && i+1 < len(sc.toks) && sc.toks[i+1].forms[0] == "of" {
				t.negPre = true
			}
			if contrastBefore[w] || contrastAfter[w] {
				break
			}
		}
	}
}

func (m *Model) markNegations(sc *scratch) {
	for i := range sc.toks {
		t := &sc.toks[i]
		for f := 0; f < t.nf; f++ {
			w := t.forms[f]
			if t.script == scriptCJK {
				t.negPost = t.negPost || negAfterCJK[w] || weakNegCJK[w] && usedBefore(sc, i)
				continue
			}
			t.negPre = t.negPre || negBefore[w]
			t.negPost = t.negPost || negAfter[w]
			if sc.lang != "ru" {
				// Kyrgyz endings: in Russian «с собой», «любой», «тобой»
				// end like a negative verb and «без» says "without"
				t.negPost = t.negPost || kyrgyzNegVerb(w)
				t.negSelf = t.negSelf || kyrgyzWithout(w)
			}
		}
	}
}

// kyrgyzNegVerb: a verb with the negative -ба-/-бе-/-бо-/-па- … followed by
// -й (колдонбойбуз "we do not use"), keyed (й → и).
func kyrgyzNegVerb(w string) bool {
	for _, neg := range [...]string{"баи", "беи", "бои", "пои", "паи", "пеи", "баг", "бег"} {
		if i := strings.Index(w, neg); i >= 4 {
			return true
		}
	}
	return false
}

// kyrgyzWithout: the suffix -сыз/-сиз/-суз/-сүз, "without" (агенттиксиз).
func kyrgyzWithout(w string) bool {
	if utf8.RuneCountInString(w) < 6 {
		return false
	}
	for _, suf := range [...]string{"сыз", "сиз", "суз"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// lookup appends to dst every example word that form matches.
func (m *Model) lookup(sc *scratch, dst []credit, form string, script byte, fw float32, lang string, typos bool) []credit {
	id, known := m.vocab.get(form)
	if known {
		dst = append(dst, credit{id, fw * simExact})
	}
	if script == scriptCJK || script == scriptDigit {
		return dst
	}
	var st string
	if known {
		st = m.stemOf[id]
	} else if script != scriptLatin || (lang != "ru" && lang != "ky") {
		// (a Russian or Kyrgyz user's unknown Latin word is read through
		// its transliteration, not as English)
		st = stem(form, script)
	}
	// fuzzy readings of a Russian word skip words only Kyrgyz examples use
	other := func(o int32) bool { return lang == "ru" && m.langs[o] == bitKy }
	if st != "" {
		for _, o := range m.stems.get(st) {
			if !other(o) {
				dst = append(dst, credit{o, fw * simStem})
			}
		}
	}
	sc.buf = append(sc.buf[:0], []rune(form)...)
	rs := sc.buf
	if script == scriptCyrillic && len(rs) >= prefixMin {
		// the message's word is an example's word plus an ending …
		for n := prefixMin; n < len(rs); n++ {
			if !ending(n, len(rs)) || rs[n] == 'ч' {
				continue
			}
			sc.bytes = appendRunes(sc.bytes[:0], rs[:n])
			if o, ok := m.vocab.getBytes(sc.bytes); ok && !other(o) {
				dst = append(dst, credit{o, fw * simPrefix})
			}
			// … or both are one stem with different endings
			// (салыштырып, салыштыруу)
			if n >= stemMin {
				for _, o := range m.prefixes.getBytes(sc.bytes) {
					if !other(o) {
						dst = append(dst, credit{o, fw * simStem * simPrefix})
					}
				}
			}
		}
		// … or the example's word is the message's plus an ending
		for _, o := range m.prefixes.get(form) {
			if !other(o) {
				dst = append(dst, credit{o, fw * simPrefix})
			}
		}
	}
	if script == scriptCyrillic && lang == "ky" {
		// a Kyrgyz word is an example's word with endings: нагоядамын
		// (I am in Nagoya) is Нагоя, агенттигинен is агенттик. (An
		// example's word with other endings is left to the prefix rule:
		// reading both sides' stems joined too much.)
		sc.stems = kyrgyzStems(form, sc.stems[:0])
		for _, s := range sc.stems {
			if o, ok := m.vocab.get(s); ok {
				dst = append(dst, credit{o, fw * simPrefix})
			}
		}
	}
	if tmin := typoLen(script); typos && len(rs) >= tmin {
		for _, o := range m.dels.get(form) {
			if !other(o) {
				dst = append(dst, credit{o, fw * simTypo})
			}
		}
		for i := range rs {
			sc.bytes = appendRunes(sc.bytes[:0], rs[:i])
			sc.bytes = appendRunes(sc.bytes, rs[i+1:])
			for _, o := range m.dels.getBytes(sc.bytes) {
				if utf8.RuneCountInString(m.keys[o]) >= tmin && !other(o) && !otherPerson(form, m.keys[o]) {
					dst = append(dst, credit{o, fw * simTypo})
				}
			}
		}
	}
	return dst
}

func appendRunes(b []byte, rs []rune) []byte {
	for _, r := range rs {
		b = utf8.AppendRune(b, r)
	}
	return b
}

func (m *Model) credit(sc *scratch, id int32, sim float32, p int8) {
	if m.weight[id] < content && !sc.late {
		// function words ("in", «в», です) are in many examples: they only
		// add to examples a content word has found (creditLate)
		sc.deferred = append(sc.deferred, deferred{id, sim, p})
		return
	}
	for _, s := range m.post.at(id) {
		if sc.late && !sc.mark[m.slotEx[s]] && !m.weak[m.slotEx[s]] {
			continue
		}
		if sim <= sc.best[s] {
			continue
		}
		sc.best[s] = sim
		sc.pos[s] = p
		if ei := m.slotEx[s]; !sc.mark[ei] {
			sc.mark[ei] = true
			sc.touched = append(sc.touched, ei)
		}
	}
}

// score rates one example against the message and keeps it if it is its
// intent's best.
func (m *Model) score(sc *scratch, ei int32, totalW float32) {
	ex := m.examples[ei]
	var got, full, top float32
	first, last := int8(maxTokens), int8(-1)
	// the content words' span: a negation rules out what it is next to,
	// not a function word the example shares with the rest («не через
	// агентство, а через центр»: the center's «через» may be the first)
	cfirst, clast := int8(maxTokens), int8(-1)
	var mask uint64
	clause := -1 // any: "no, thanks" is one control word
	if !ex.control {
		clause = m.bestClause(sc, ex)
	}
	for s := ex.off; s < ex.off+ex.n; s++ {
		b := sc.best[s]
		if b == 0 || clause >= 0 && sc.toks[sc.pos[s]].clause != clause {
			continue
		}
		got += m.slotW[s] * b
		full += m.slotW[s]
		top = max(top, m.slotW[s]*b)
		p := sc.pos[s]
		mask |= 1 << uint(p)
		if m.slotW[s] >= content {
			sc.intentMask[ex.intent] |= 1 << uint(p)
			cfirst, clast = min(cfirst, p), max(clast, p)
		}
		if p < first {
			first = p
		}
		if p > last {
			last = p
		}
	}
	if ex.total == 0 || got == 0 {
		return
	}
	if m.negative[ei] && !ex.control && !m.saysNot(sc, ex, clause) {
		// "without an agency" read without its negation, or without
		// what it rules out, says the opposite or nothing
		return
	}
	score := got / ex.total
	phrase := score >= 0.95 && bits.OnesCount64(mask) >= 2
	var cov float32
	for p := range sc.toks {
		if mask&(1<<uint(p)) != 0 {
			cov += sc.toks[p].weight
		}
	}
	if totalW > 0 {
		cov /= totalW
	}
	if ex.control {
		// a control word must be most of the message, or begin or end it:
		// "thanks!" and "thank you so much" are thanks, "we help our
		// students" is not a call for help.
		need := float32(controlCover)
		if first == 0 || int(last) == len(sc.toks)-1 {
			need = controlCoverEdge
		}
		if c := cov / need; c < 1 {
			score *= c * c
		}
	} else if s := cov * (got / full) * min(1, got/specific); s > score && top >= content && !m.missed(sc, ex, clause) {
		// a short answer that is all of an example's key words ("agency"
		// for "through an agency") means that example; a word that is a
		// small part of it ("visa" in "how much is the visa") does not.
		score = s
	}
	// a control word is not ruled out: "I don't understand how to use
	// this" asks for help.
	if clast < 0 {
		cfirst, clast = first, last
	}
	neg := !ex.control && !m.negative[ei] && m.negated(sc, cfirst, clast, mask)
	c := &sc.intent[ex.intent]
	if !c.ok || score > c.score || score == c.score && got > c.matched {
		*c = candidate{score: score, matched: got, negated: neg, ok: true, mask: mask, cov: cov, phrase: phrase, fromNeg: m.negative[ei]}
	}
}

// saysNot: a negative example is there with its negation and most of what
// it rules out (two thirds of it: a Japanese word is several bigrams, and
// 送り出し is 送出 with kana between), in one clause.
func (m *Model) saysNot(sc *scratch, ex example, clause int) bool {
	var want, got float32
	cue := false
	after := false
	for s := ex.off; s < ex.off+ex.n; s++ {
		here := sc.best[s] != 0 && (clause < 0 || sc.toks[sc.pos[s]].clause == clause)
		if m.slotCue[s] {
			cue = cue || here
			after = true
			continue
		}
		// (the bigrams after a Japanese negation are its ending: 通さない,
		// 通さず)
		if m.slotW[s] >= content && !(after && m.slotCJK[s]) {
			want += m.slotW[s]
			if here {
				got += m.slotW[s] * sc.best[s]
			}
		}
	}
	return cue && got >= 0.66*want
}

// bestClause is the clause an example is read in: the one holding most of
// its matched weight. An example is one thought; its words spread over a
// contrast ("we don't want an agency, the center is fine") are two.
func (m *Model) bestClause(sc *scratch, ex example) int {
	best, bestW := -1, float32(-1)
	for s := ex.off; s < ex.off+ex.n; s++ {
		if sc.best[s] == 0 {
			continue
		}
		c := sc.toks[sc.pos[s]].clause
		if c == best {
			continue
		}
		var w float32
		for o := ex.off; o < ex.off+ex.n; o++ {
			if sc.best[o] != 0 && sc.toks[sc.pos[o]].clause == c {
				w += m.slotW[o] * sc.best[o]
			}
		}
		if w > bestW || w == bestW && c < best {
			best, bestW = c, w
		}
	}
	return best
}

// cued lets an intent with cues take the place of its Over values at a
// question of its slot: "I'm helping my cousin find a job in Japan" reads
// the job search as someone else's (role other, not worker), and "for my
// daughter" alone is enough to say so.
func (m *Model) cued(sc *scratch, q Query) {
	for p := range sc.toks {
		t := &sc.toks[p]
		if t.script == scriptCJK || t.negPre {
			continue
		}
		for f := 0; f < t.nf; f++ {
			w := t.forms[f]
			for _, lang := range [2]string{q.Lang, ""} {
				sc.wkey = append(append(sc.wkey[:0], lang...), 0)
				n := len(sc.wkey)
				// the word, or its beginning of three letters or more
				// (брату, сына, иниме: брат, сын, ини)
				runes := 0
				for i := range w {
					if runes++; runes > 3 {
						sc.wkey = append(sc.wkey[:n], w[:i]...)
						for _, in := range m.cues[string(sc.wkey)] {
							m.take(sc, q, in, p)
						}
					}
				}
				sc.wkey = append(sc.wkey[:n], w...)
				for _, in := range m.cues[string(sc.wkey)] {
					m.take(sc, q, in, p)
				}
			}
		}
	}
	for _, c := range m.cjkCues {
		if c.lang != q.Lang && c.lang != "" {
			continue
		}
		for _, r := range sc.runs {
			if r.script == scriptCJK && strings.Contains(r.text, c.text) {
				m.take(sc, q, c.intent, -1)
			}
		}
	}
}

// take makes intent i the reading of its slot in place of its Over values.
func (m *Model) take(sc *scratch, q Query, i int32, p int) {
	if !expected(q.Expect, m.intents[i].Slot) {
		return
	}
	c := &sc.intent[i]
	if c.negated {
		return
	}
	for _, o := range m.over[i] {
		oc := &sc.intent[o]
		if !oc.ok || oc.negated {
			continue
		}
		if !c.ok || oc.score > c.score {
			c.score = oc.score
		}
		c.mask |= oc.mask
		c.matched = max(c.matched, oc.matched)
		c.ok = true
		oc.ok = false
	}
	if !c.ok || c.score < Threshold {
		c.score, c.ok = Threshold, true
	}
	if p >= 0 {
		c.mask |= 1 << uint(p)
	}
}

// missed: the example has a word the message lacks that matters: a content
// word ("how much is the visa" is not "how do I get the visa") or a
// negation ("agency" is not "without an agency").
func (m *Model) missed(sc *scratch, ex example, clause int) bool {
	for s := ex.off; s < ex.off+ex.n; s++ {
		if (sc.best[s] == 0 || clause >= 0 && sc.toks[sc.pos[s]].clause != clause) && (m.slotCue[s] || m.slotW[s] >= content) {
			return true
		}
	}
	return false
}

// negated says whether a negation rules out the words first..last.
func (m *Model) negated(sc *scratch, first, last int8, mask uint64) bool {
	if last < 0 {
		return false
	}
	clause := sc.toks[first].clause
	for p := int(first) - 1; p >= 0 && p >= int(first)-3; p-- {
		t := sc.toks[p]
		if t.clause != clause {
			break
		}
		if t.negPre {
			return true
		}
	}
	after := 2
	if sc.toks[last].script == scriptCJK {
		after = 6
	}
	for p := int(last) + 1; p < len(sc.toks) && p <= int(last)+after; p++ {
		t := sc.toks[p]
		if t.clause != sc.toks[last].clause {
			break
		}
		if t.negPost {
			return true
		}
	}
	for p := first; p <= last; p++ {
		if mask&(1<<uint(p)) != 0 && sc.toks[p].negSelf {
			return true
		}
	}
	return false
}

// cand is one intent's reading while reading() ranks them.
type cand struct {
	Match
	matched float32
	mask    uint64
	words   int // content words the intent's examples name in the message
	idx     int
	phrase  bool
	cov     float32
	// sub: another slot's reading holds all of its words and more
	sub     bool
	fromNeg bool
}

// reading turns the intents' scores into Matches and Alternatives.
func (m *Model) reading(sc *scratch, expect []string) Reading {
	all := sc.cands[:0]
	defer func() { sc.cands = all[:0] }()
	for i, c := range sc.intent {
		if !c.ok || float64(c.score) < minScore {
			continue
		}
		in := m.intents[i]
		all = append(all, cand{Match: Match{Slot: in.Slot, Value: in.Value, Score: round(c.score), Negated: c.negated}, matched: c.matched, mask: c.mask, words: int(i), idx: i, cov: c.cov, phrase: c.phrase, fromNeg: c.fromNeg})
	}
	if len(all) == 0 {
		return Reading{}
	}
	for i := range all {
		all[i].sub = answers[all[i].Slot] && subsumed(all, all[i])
	}
	slices.SortStableFunc(all, func(a, b cand) int {
		if a.Negated != b.Negated {
			return cmpBool(!a.Negated) // a value ruled out never outranks one named
		}
		if a.sub != b.sub && a.Slot == b.Slot {
			return cmpBool(!a.sub) // nor one that is part of another phrase
		}
		if a.fromNeg != b.fromNeg && a.Slot == b.Slot && min(a.Score, b.Score) >= Threshold && a.mask&b.mask == 0 {
			// "we don't want an agency, the center is fine": the value
			// named outranks the one inferred from a value ruled out
			return cmpBool(!a.fromNeg)
		}
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		if a.matched != b.matched {
			return cmp.Compare(b.matched, a.matched)
		}
		return strings.Compare(a.Value, b.Value)
	})
	// the words the expected answer is read from are not read again as
	// another answer: in «ищу работу в Японии», работу is the job seeker's.
	var expMask uint64
	firstOf := func(_ []cand, slot string) int {
		for i, c := range all {
			if c.Slot == slot {
				return i
			}
		}
		return -1
	}
	for i, c := range all {
		if expected(expect, c.Slot) && !c.Negated && firstOf(all, c.Slot) == i {
			expMask |= c.mask
		}
	}
	for i := range all {
		all[i].words = bits.OnesCount64(sc.intentMask[all[i].words] &^ expMask)
	}
	var r Reading
	fallback := sc.picked[:0] // the candidate each match was read from
	defer func() { sc.picked = fallback[:0] }()
	for _, c := range all {
		mt := m.confident(sc, all, c, expect, expMask)
		if i := r.index(c.Slot); i >= 0 {
			// an answer nobody asked for whose best value is said in
			// passing ("a company in Japan") may still be given by the
			// next value ("the worker in Bishkek")
			if prev := r.Matches[i]; !prev.Confident && mt.Confident && !prev.Negated && !expected(expect, c.Slot) && answers[c.Slot] {
				r.Matches[i] = mt
				fallback[i] = c
			}
			continue
		}
		r.Matches = append(r.Matches, mt)
		fallback = append(fallback, c)
	}
	// an expected answer read from a word of a message that another
	// reading explains far better is not an answer: 「担当者と直接話したい」
	// asks for a person, not for direct hiring.
	for i, e := range r.Matches {
		if !e.Confident || !expected(expect, e.Slot) {
			continue
		}
		ce := candOf(fallback, e.Slot)
		for _, o := range r.Matches {
			co := candOf(fallback, o.Slot)
			if o.Confident && o.Score >= passing && !answers[o.Slot] && co.mask&ce.mask == 0 && co.cov >= 2*ce.cov && m.share(sc, ce.mask) < 0.4 {
				r.Matches[i].Confident = false
			}
		}
	}
	anyConfident := false
	for _, mt := range r.Matches {
		anyConfident = anyConfident || mt.Confident
	}
	rank := func(mt Match) int {
		if !mt.Confident && anyConfident {
			return len(expect) // an unsure answer does not outrank a sure reading
		}
		for i, s := range expect {
			if s == mt.Slot {
				return i
			}
		}
		return len(expect)
	}
	// expected slots first, then confident readings by score; on a tie
	// what a message asks before how it is said (an out-of-scope question,
	// then a topic, then a control word: "COE… what should I do"). A
	// reading whose words another names with more goes after it: "how
	// much is the agency fee" asks about fees, not the agency step.
	inside := func(a Match) bool {
		ca := candOf(fallback, a.Slot)
		for _, b := range r.Matches {
			cb := candOf(fallback, b.Slot)
			if b.Slot != a.Slot && b.Confident && !answers[b.Slot] && ca.mask&^cb.mask == 0 && cb.matched > ca.matched {
				return true
			}
		}
		return false
	}
	kind := func(m Match) int {
		switch m.Slot {
		case "oos":
			return 0
		case "control":
			return 2
		}
		return 1
	}
	slices.SortStableFunc(r.Matches, func(a, b Match) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return cmp.Compare(ra, rb)
		}
		if a.Confident != b.Confident {
			return cmpBool(a.Confident)
		}
		if ia, ib := inside(a), inside(b); ia != ib {
			return cmpBool(ib)
		}
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(kind(a), kind(b))
	})
	top := r.Matches[0]
	r.Confident = top.Confident
	for _, c := range all {
		if len(r.Alternatives) == 2 {
			break
		}
		if c.Slot == top.Slot && c.Value != top.Value && !c.Negated {
			r.Alternatives = append(r.Alternatives, c.Match)
		}
	}
	return r
}

// confident says whether a candidate can be acted on: its score, a clear
// lead over the other values of its slot, and for an answer nobody asked
// for, words no other reading explains better.
func (m *Model) confident(sc *scratch, all []cand, c cand, expect []string, expMask uint64) Match {
	mt := c.Match
	mt.Confident = !mt.Negated && !c.sub && mt.Score >= Threshold
	if mt.Confident {
		for _, o := range all {
			if o.Slot != mt.Slot || o.Value == mt.Value || o.Negated || o.Score <= mt.Score-Margin {
				continue
			}
			if m.intents[c.idx].Passing && !m.intents[o.idx].Passing {
				// "a company in Japan, the worker in Bishkek": the
				// place only the worker can be in says where they are
				continue
			}
			if o.fromNeg && !c.fromNeg && o.mask&c.mask == 0 {
				continue // the same: "no agency" does not rival "the center"
			}
			if o.sub {
				// "the worker is in Bishkek" says where, not who writes
				continue
			}
			// a longer phrase explains a word away: in "a company
			// hiring a worker", "worker" does not make a job seeker.
			if c.matched < explains*o.matched && (o.mask&^sc.intentMask[c.idx] != 0 || c.matched <= o.matched) {
				mt.Confident = false
			}
		}
	}
	if mt.Confident && expect == nil && answers[mt.Slot] {
		// inside a walk nobody is asked for an answer: "do workers pay
		// taxes in Japan" asks about taxes, it does not move the user.
		mt.Confident = false
	}
	if mt.Confident && !expected(expect, mt.Slot) && answers[mt.Slot] {
		// a slot nobody asked about is not read from words another
		// reading explains better: "I want to work in Japan" is a job
		// seeker, not someone already in Japan.
		if mt.Score < passing && !(m.intents[c.idx].Passing && mt.Score >= passingPlace) {
			mt.Confident = false
		}
		for _, o := range all {
			own := c.mask & sc.intentMask[c.idx] // its content words
			if o.Slot != mt.Slot && answers[o.Slot] && !o.Negated && own&^(o.mask|sc.intentMask[o.idx]) == 0 && o.matched > c.matched {
				mt.Confident = false
			}
		}
		// nor from one word in passing: "a Japanese company" says
		// where the employer is, not the worker; "still in Bishkek" or
		// a message that is just "Bishkek" does.
		if c.words < 2 && !c.phrase && !m.intents[c.idx].Passing && m.share(sc, c.mask&^expMask) < 0.8 {
			mt.Confident = false
		}
	}
	return mt
}

// subsumed: another slot's reading holds all of c's words and more: they
// are part of that phrase ("Kyrgyz" in "a Kyrgyz national", "worker" in
// "the worker is still in Bishkek"), not a reading of their own.
func subsumed(all []cand, c cand) bool {
	for _, o := range all {
		if o.Slot != c.Slot && answers[o.Slot] && !o.Negated && o.Score >= Threshold && c.mask&^o.mask == 0 && o.matched > c.matched && bits.OnesCount64(o.mask) > bits.OnesCount64(c.mask) {
			return true
		}
	}
	return false
}

// candOf is the candidate of slot in cs (each slot once).
func candOf(cs []cand, slot string) cand {
	for _, c := range cs {
		if c.Slot == slot {
			return c
		}
	}
	return cand{}
}

// index is the position of slot's match, or -1.
func (r Reading) index(slot string) int {
	for i, m := range r.Matches {
		if m.Slot == slot {
			return i
		}
	}
	return -1
}

// cmpBool orders a true first: -1 when first is true, 1 otherwise.
func cmpBool(first bool) int {
	if first {
		return -1
	}
	return 1
}

func round(f float32) float64 { return float64(int(f*1000+0.5)) / 1000 }

// isCue says whether an example's word is a negation.
func isCue(k string, script byte) bool {
	if script == scriptCJK {
		// ない, ません in an example make it one that says what is not
		// (「日本にはまだ来ていない」): a negation in the message agrees with
		// it instead of ruling it out
		return negAfterCJK[k] || weakNegCJK[k]
	}
	return negBefore[k] || negAfter[k] || kyrgyzWithout(k)
}

// pooled lets an intent read a message its examples name only together:
// «канча акча керек?» has «канча» from one fees example and «акча» from
// another. Two content words at least, so one shared word never does.
func (m *Model) pooled(sc *scratch, totalW float32) {
	if totalW == 0 {
		return
	}
	for i := range sc.intent {
		mask := sc.intentMask[i]
		c := &sc.intent[i]
		if mask == 0 || !c.ok || m.intents[i].Slot == "control" || c.negated {
			continue
		}
		var cov float32
		n := 0
		for p := range sc.toks {
			if mask&(1<<uint(p)) != 0 {
				cov += sc.toks[p].weight
				if sc.toks[p].weight >= rare {
					n++
				}
			}
		}
		// two rare words at least: "what" and "visa" from two fees
		// examples do not make "what about the visa?" a question of fees
		if s := poolFactor * cov / totalW; n >= 2 && s > c.score {
			c.score = s
		}
	}
}

func expected(expect []string, slot string) bool {
	for _, e := range expect {
		if e == slot {
			return true
		}
	}
	return false
}

// answers are the slots a question fills (as opposed to what a message asks
// or says: topic, contact, control, oos).
var answers = set("role", "location", "country", "route")

// usedBefore: one of the few bigrams before toks[i] holds a verb of using.
func usedBefore(sc *scratch, i int) bool {
	for p := i - 1; p >= 0 && p >= i-3; p-- {
		if t := sc.toks[p]; t.script == scriptCJK && strings.ContainsAny(t.forms[0], "使通利頼依来") {
			return true
		}
	}
	return false
}

// cjkForms adds to the bigram at rs[i] the readings that do not fit a
// bigram: a one-kanji word of the examples (次, 寮) and 送り出し read as 送出
// (kanji around one to three kana of inflection).
func (m *Model) cjkForms(t *qtok, rs []rune, i int) {
	add := func(k string, sim float32) {
		if _, ok := m.vocab.get(k); ok && t.nf < len(t.forms) {
			t.forms[t.nf], t.fw[t.nf], t.fs[t.nf] = k, sim, scriptCJK
			t.nf++
		}
	}
	if st, ok := cjkStem(rs, i); ok {
		add(st, simStem)
	}
	if loneKanji(rs, i) {
		// only a kanji that stands alone: 国 in 「国にいます」, not in 国際
		add(string(rs[i]), 1)
	}
	if isKanji(rs[i]) {
		for j := i + 1; j < len(rs) && j <= i+3 && okurigana(rs[j]); j++ {
			if j+1 < len(rs) && isKanji(rs[j+1]) {
				add(string([]rune{rs[i], rs[j+1]}), simStem)
				break
			}
		}
	}
	if i+2 == len(rs) && loneKanji(rs, i+1) {
		add(string(rs[i+1]), 1)
	}
}

// share is the part of the message the words in mask are.
func (m *Model) share(sc *scratch, mask uint64) float32 {
	var in, all float32
	for p, t := range sc.toks {
		all += t.weight
		if mask&(1<<uint(p)) != 0 {
			in += t.weight
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}

// otherPerson: two Kyrgyz verbs that differ only in their person ending,
// барам (I go) and барат (he goes), жатам and жатат: not a typo of each
// other, as "I" is the job seeker and "he" someone they write for.
func otherPerson(a, b string) bool {
	if len(a) != len(b) || len(a) < 4 {
		return false
	}
	ra, _ := utf8.DecodeLastRuneInString(a)
	rb, _ := utf8.DecodeLastRuneInString(b)
	if !(ra == 'м' && rb == 'т' || ra == 'т' && rb == 'м') {
		return false
	}
	return a[:len(a)-utf8.RuneLen(ra)] == b[:len(b)-utf8.RuneLen(rb)]
}
