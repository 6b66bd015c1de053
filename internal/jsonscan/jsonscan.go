// Package jsonscan owns the primitives of a small, allocation-lean JSON
// reader over a []byte: white space, objects and arrays walked with
// callbacks, strings read and unescaped exactly as encoding/json does,
// numbers checked against JSON's grammar, and skipping of any value.
//
// It exists so that the hot paths which read one known JSON shape (the
// LINE adapter's webhook bodies, the load tool's fake LINE API) share one
// tested scanner instead of each writing its own. It must not know LINE,
// sswbot or any schema: callers keep their fields, their key matching and
// their way of reporting errors. Every method reports false on anything it
// does not read, leaving the scanner's position undefined; the caller then
// gives up on the whole input (or hands it to encoding/json).
package jsonscan

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads JSON from b at i.
type Scanner struct {
	b []byte
	i int
	// MaxDepth, when above 0, makes an object or array nested deeper than
	// that fail: a caller that can fall back to encoding/json leaves deep
	// input to its limit rather than recurse here.
	MaxDepth int
	depth    int
}

// New returns a scanner at the start of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// WS skips white space.
func (s *Scanner) WS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Next skips white space and consumes c if it comes next.
func (s *Scanner) Next(c byte) bool {
	s.WS()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// End skips white space and reports whether the input is all read.
func (s *Scanner) End() bool {
	s.WS()
	return s.i == len(s.b)
}

// Null consumes a null if one comes next (encoding/json leaves a field
// alone for null, so callers often need to tell it apart).
func (s *Scanner) Null() bool {
	s.WS()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

func (s *Scanner) enter() bool {
	if s.MaxDepth > 0 && s.depth >= s.MaxDepth {
		return false
	}
	s.depth++
	return true
}

// Object reads an object, calling member with each key (unescaped; it may
// point into the input, so it is only valid during the call). The scanner
// then stands at the value, which member must read or Skip.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.Next('{') || !s.enter() {
		return false
	}
	ok := s.members(member)
	s.depth--
	return ok
}

func (s *Scanner) members(member func(key []byte) bool) bool {
	if s.Next('}') {
		return true
	}
	for {
		key, ok := s.Str()
		if !ok || !s.Next(':') {
			return false
		}
		s.WS()
		if !member(key) {
			return false
		}
		if s.Next(',') {
			continue
		}
		return s.Next('}')
	}
}

// Array reads an array, calling elem at each element, which elem must read
// or Skip.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.Next('[') || !s.enter() {
		return false
	}
	ok := s.elems(elem)
	s.depth--
	return ok
}

func (s *Scanner) elems(elem func() bool) bool {
	if s.Next(']') {
		return true
	}
	for {
		s.WS()
		if !elem() {
			return false
		}
		if s.Next(',') {
			continue
		}
		return s.Next(']')
	}
}

// Str reads a string and returns its value as encoding/json decodes it:
// escapes resolved, a lone surrogate or an invalid UTF-8 byte as U+FFFD.
// A string with neither is returned as part of the input, without a copy:
// copy it to keep it.
func (s *Scanner) Str() ([]byte, bool) {
	s.WS()
	body, escaped, ascii, ok := s.raw()
	switch {
	case !ok:
		return nil, false
	case escaped:
		return unescape(body), true
	case ascii || utf8.Valid(body):
		return body, true
	}
	return unescape(body), true
}

// raw reads a string of JSON's grammar and returns what is between its
// quotes, whether it holds an escape, and whether it is all ASCII (most
// keys and values are: they need no UTF-8 check then).
func (s *Scanner) raw() (body []byte, escaped, ascii, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false, false
	}
	start := s.i + 1
	var or byte // of all bytes: below 0x80 when all are ASCII
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		or |= c
		switch {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], escaped, or < utf8.RuneSelf, true
		case c < 0x20:
			return nil, false, false, false
		case c == '\\':
			if j+1 >= len(s.b) {
				return nil, false, false, false
			}
			escaped = true
			switch s.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(s.b[j+2:]); !ok {
					return nil, false, false, false
				}
				j += 5
			default:
				return nil, false, false, false
			}
		}
	}
	return nil, false, false, false
}

// unescape decodes the body of a string raw has checked, as encoding/json
// does.
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(b[i:]) // RuneError, 1 for a bad byte
			out = utf8.AppendRune(out, r)
			i += n
			continue
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		i++
		switch b[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(b[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					r2, ok = hex4(b[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					out = utf8.AppendRune(out, d)
					i += 7
					continue
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // " \ /
			out = append(out, b[i])
		}
		i++
	}
	return out
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Int reads an integer that fits an int64 (no fraction, no exponent).
func (s *Scanner) Int() (int64, bool) {
	s.WS()
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	d := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j == d || (s.b[d] == '0' && j > d+1) {
		return 0, false
	}
	if j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	s.i = j
	return n, true
}

// Bool reads true or false.
func (s *Scanner) Bool() (v, ok bool) {
	s.WS()
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

// Skip passes over one value of any kind, checking that it is JSON.
func (s *Scanner) Skip() bool {
	s.WS()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, _, _, ok := s.raw()
		return ok
	case c == '{':
		return s.skipComposite('}', true)
	case c == '[':
		return s.skipComposite(']', false)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return true
		}
	}
	return false
}

// skipComposite passes over an object or array (the scanner on its
// opening bracket) without the closures Object and Array take: skipped
// values (Flex contents, unknown fields) are most of what callers read.
func (s *Scanner) skipComposite(end byte, keyed bool) bool {
	if !s.enter() {
		return false
	}
	s.i++
	ok := s.skipItems(end, keyed)
	s.depth--
	return ok
}

func (s *Scanner) skipItems(end byte, keyed bool) bool {
	if s.Next(end) {
		return true
	}
	for {
		if keyed {
			s.WS()
			if _, _, _, ok := s.raw(); !ok || !s.Next(':') {
				return false
			}
		}
		if !s.Skip() {
			return false
		}
		if s.Next(',') {
			continue
		}
		return s.Next(end)
	}
}

// number passes over a number of JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *Scanner) number() bool {
	b, j := s.b, s.i
	digits := func() bool {
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j < len(b) && b[j] == '0' {
		j++
	} else if !digits() {
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	s.i = j
	return true
}
