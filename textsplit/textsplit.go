// Package textsplit cuts a long text into messages a platform accepts. It
// is the one splitter of the project: the bot cuts its bubbles with it, and
// each adapter with its platform's length rule (a Measure). Cuts fall at a
// paragraph break, else a line break, else the end of a sentence, else a
// space, else between two characters; never inside a character, an HTML tag or an HTML entity, and
// in HTML every part has balanced tags (an element open at a cut is closed
// at the end of the part and opened again at the start of the next).
//
// It knows no platform, message type or markup beyond that.
package textsplit

import (
	"strings"
	"unicode/utf8"
)

// Measure is a platform's length rule: how long a text counts.
type Measure func(string) int

// Runes counts Unicode code points ("characters").
func Runes(s string) int { return utf8.RuneCountInString(s) }

// UTF16 counts UTF-16 code units: a character outside the Basic
// Multilingual Plane (most emoji) counts twice.
func UTF16(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Split cuts plain text into parts that each measure at most limit. The
// whitespace at a cut is dropped; nothing else is lost or changed.
func Split(s string, limit int, m Measure) []string {
	if whole, ok := fits(s, limit, m); ok {
		return whole
	}
	return split(tokenize(s, false, m), limit)
}

// fits is the common case on the hot path (every reply of every turn): a
// text that fits whole is returned trimmed of the whitespace a cut would drop,
// without tokenizing it. The result is what split would return.
func fits(s string, limit int, m Measure) ([]string, bool) {
	whole, ok := Fits(s, limit, m)
	if !ok {
		return nil, false
	}
	return []string{whole}, true
}

// Fits returns the one piece Split(s, limit, m) returns when s fits whole
// (s trimmed of the whitespace a cut would drop), without a slice for it.
func Fits(s string, limit int, m Measure) (string, bool) {
	if m(s) > limit {
		return "", false
	}
	return strings.Trim(s, " \n"), true
}

// SplitHTML cuts HTML (the subset messengers accept: tags and entities in
// text) measuring only the visible text: tags count nothing, an entity
// counts as one character.
func SplitHTML(s string, limit int, m Measure) []string {
	if !strings.ContainsAny(s, "<&") {
		if whole, ok := fits(s, limit, m); ok {
			return whole
		}
	}
	return split(tokenize(s, true, m), limit)
}

type kind uint8

const (
	char kind = iota
	space
	newline
	openTag
	closeTag
	voidTag // a tag that opens nothing (<br/>, a comment)
)

type token struct {
	s    string
	w    int
	kind kind
	name string // a tag's element name
}

func tokenize(s string, html bool, m Measure) []token {
	var toks []token
	for i := 0; i < len(s); {
		if html && s[i] == '<' {
			if j := strings.IndexByte(s[i:], '>'); j > 0 {
				toks = append(toks, tag(s[i:i+j+1]))
				i += j + 1
				continue
			}
		}
		if html && s[i] == '&' {
			if j := strings.IndexByte(s[i:], ';'); j > 1 && j <= 10 && !strings.ContainsAny(s[i+1:i+j], " &<") {
				toks = append(toks, token{s: s[i : i+j+1], w: 1})
				i += j + 1
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		t := token{s: s[i : i+size], w: m(s[i : i+size])}
		switch r {
		case ' ':
			t.kind = space
		case '\n':
			t.kind = newline
		}
		toks = append(toks, t)
		i += size
	}
	return toks
}

func tag(s string) token {
	body := strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	t := token{s: s, kind: voidTag}
	switch {
	case strings.HasPrefix(body, "/"):
		t.kind, t.name = closeTag, tagName(body[1:])
	case strings.HasPrefix(body, "!") || strings.HasSuffix(body, "/"):
	default:
		t.kind, t.name = openTag, tagName(body)
	}
	return t
}

func tagName(s string) string {
	if i := strings.IndexAny(s, " \t\n/"); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// Break priorities, best first.
const (
	paragraph = iota
	line
	sentence
	word
	breaks
)

// ends reports whether t ends a sentence or clause, so that a cut after it
// reads naturally.
func ends(t token) bool {
	switch t.s {
	case ".", "!", "?", ";", ":", "。", "！", "？", "、":
		return true
	}
	return false
}

// fullWidth reports whether t ends a sentence without a space after it
// (Japanese): the cut goes right after it.
func fullWidth(t token) bool {
	switch t.s {
	case "。", "！", "？":
		return true
	}
	return false
}

func split(toks []token, limit int) []string {
	var (
		out  []string
		open []token // elements open where the current part starts
	)
	start := skipSpace(toks, 0)
	for start < len(toks) {
		end, w := start, 0
		var last [breaks]int // the best cut of each kind: the index of its separator
		for k := range last {
			last[k] = -1
		}
		for end < len(toks) && w+toks[end].w <= limit {
			switch toks[end].kind {
			case newline:
				if end > start && toks[end-1].kind == newline {
					last[paragraph] = end - 1
				}
				last[line] = end
			case space:
				last[word] = end
				if end > start && ends(toks[end-1]) {
					last[sentence] = end
				}
			default:
				if fullWidth(toks[end]) && end+1 > start {
					last[sentence] = end + 1
				}
			}
			w += toks[end].w
			end++
		}
		// A separator right after what fits is a break too: the whitespace
		// at a cut is dropped, so it need not fit.
		if end < len(toks) {
			switch toks[end].kind {
			case newline:
				if (end+1 < len(toks) && toks[end+1].kind == newline) || (end > start && toks[end-1].kind == newline) {
					last[paragraph] = end
				}
				last[line] = end
			case space:
				last[word] = end
				if end > start && ends(toks[end-1]) {
					last[sentence] = end
				}
			}
		}
		cut := end
		if end < len(toks) {
			cut = chooseCut(last, start, end)
		}
		if visible(toks[start:cut]) {
			var part string
			part, open = render(toks[start:cut], open)
			out = append(out, part)
		}
		start = skipSpace(toks, cut)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// chooseCut picks where to end a part that does not fit: at the best kind
// of break that keeps the part at least half full, else at any break, else
// between two characters.
func chooseCut(last [breaks]int, start, end int) int {
	for k := range breaks {
		if last[k] > start && 2*(last[k]-start) >= end-start {
			return last[k]
		}
	}
	for k := range breaks {
		if last[k] > start {
			return last[k]
		}
	}
	if end == start { // one token wider than the limit: it goes alone
		return start + 1
	}
	return end
}

func skipSpace(toks []token, i int) int {
	for i < len(toks) && (toks[i].kind == space || toks[i].kind == newline) {
		i++
	}
	return i
}

// render writes one part: the elements still open from the previous part
// reopened, its tokens without trailing whitespace, and closings for what
// is open at its end. It returns the elements open after it.
func render(toks []token, open []token) (string, []token) {
	for len(toks) > 0 && (toks[len(toks)-1].kind == space || toks[len(toks)-1].kind == newline) {
		toks = toks[:len(toks)-1]
	}
	var b strings.Builder
	for _, t := range open {
		b.WriteString(t.s)
	}
	stack := append([]token(nil), open...)
	for _, t := range toks {
		b.WriteString(t.s)
		switch t.kind {
		case openTag:
			stack = append(stack, t)
		case closeTag:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == t.name {
					stack = append(stack[:i], stack[i+1:]...)
					break
				}
			}
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		b.WriteString("</" + stack[i].name + ">")
	}
	return b.String(), stack
}

// visible reports whether toks show anything but whitespace.
func visible(toks []token) bool {
	for _, t := range toks {
		if t.kind == char {
			return true
		}
	}
	return false
}
