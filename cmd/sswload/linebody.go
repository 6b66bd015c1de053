package main

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A reply or push body is read by a small scanner that picks out only what
// the fake's checks need (the reply token or recipient, the message count,
// each message's text or altText, the first quick-reply button) and skips
// the rest, Flex contents included, without building it. Decoding the
// whole 1–3 KB body with encoding/json cost a quarter of sswload's CPU,
// which runs on the same core as the load generator: the load tool capped
// the rate it measured. linebody_test.go checks it reads what
// encoding/json reads, and rejects what it rejects.

// lineReply is what the fake checks of a reply or push body.
type lineReply struct {
	ReplyToken string
	To         string
	Messages   int      // how many messages
	Texts      []string // per message: text + altText (a Flex message's summary)
	Button     string   // "postback:DATA" or "text:TEXT" of the last message's first quick-reply action
}

var errSyntax = errors.New("bad JSON")

// parseLineReply scans a reply or push body.
func parseLineReply(b []byte) (lineReply, error) {
	var r lineReply
	s := scanner{b: b}
	err := s.object(func(key []byte) error {
		switch {
		case keyIs(key, "replyToken"):
			return s.stringInto(&r.ReplyToken)
		case keyIs(key, "to"):
			return s.stringInto(&r.To)
		case keyIs(key, "messages"):
			if s.null() {
				return nil
			}
			return s.array(func() error { return s.message(&r) })
		}
		return s.skip()
	})
	if err != nil {
		return lineReply{}, err
	}
	if s.ws(); s.i != len(s.b) {
		return lineReply{}, errSyntax
	}
	return r, nil
}

// message reads one message object.
func (s *scanner) message(r *lineReply) error {
	var text, alt string
	r.Messages++
	if s.null() {
		r.Texts = append(r.Texts, "")
		return nil
	}
	err := s.object(func(key []byte) error {
		switch {
		case keyIs(key, "text"):
			return s.stringInto(&text)
		case keyIs(key, "altText"):
			return s.stringInto(&alt)
		case keyIs(key, "quickReply"):
			if s.null() {
				return nil
			}
			return s.object(func(key []byte) error {
				if !keyIs(key, "items") {
					return s.skip()
				}
				if s.null() {
					return nil
				}
				first := true
				return s.array(func() error {
					if !first {
						return s.skip()
					}
					first = false
					return s.item(r)
				})
			})
		}
		return s.skip()
	})
	r.Texts = append(r.Texts, text+alt)
	return err
}

// item reads a quick-reply item: its action's type, data and text.
func (s *scanner) item(r *lineReply) error {
	var typ, data, text string
	if s.null() {
		return nil
	}
	err := s.object(func(key []byte) error {
		if !keyIs(key, "action") {
			return s.skip()
		}
		if s.null() {
			return nil
		}
		return s.object(func(key []byte) error {
			switch {
			case keyIs(key, "type"):
				return s.stringInto(&typ)
			case keyIs(key, "data"):
				return s.stringInto(&data)
			case keyIs(key, "text"):
				return s.stringInto(&text)
			}
			return s.skip()
		})
	})
	switch typ {
	case "postback":
		r.Button = "postback:" + data
	case "message":
		r.Button = "text:" + text
	}
	return err
}

// keyIs matches a key as encoding/json matches a field name: ignoring case.
func keyIs(key []byte, name string) bool {
	return string(key) == name || strings.EqualFold(string(key), name)
}

// scanner walks JSON text in place.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// null consumes a null and reports whether there was one.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// object reads {"key": value, ...}; field must consume the value.
func (s *scanner) object(field func(key []byte) error) error {
	if s.peek() != '{' {
		return errSyntax
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.key()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return errSyntax
		}
		s.i++
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// array reads [value, ...]; elem must consume one value.
func (s *scanner) array(elem func() error) error {
	if s.peek() != '[' {
		return errSyntax
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// key reads an object's key; it is only compared, so a plain one is not
// copied.
func (s *scanner) key() ([]byte, error) {
	raw, escaped, err := s.rawString()
	if err != nil {
		return nil, err
	}
	if body := raw[1 : len(raw)-1]; !escaped && utf8.Valid(body) {
		return body, nil
	}
	var k string
	if json.Unmarshal(raw, &k) != nil {
		return nil, errSyntax
	}
	return []byte(k), nil
}

// rawString returns the quoted string at the cursor, quotes included, and
// whether it holds an escape.
func (s *scanner) rawString() ([]byte, bool, error) {
	if s.peek() != '"' {
		return nil, false, errSyntax
	}
	start, escaped := s.i, false
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '\\':
			escaped = true
			s.i++
		case c == '"':
			s.i++
			return s.b[start:s.i], escaped, nil
		case c < 0x20:
			return nil, false, errSyntax
		}
	}
	return nil, false, errSyntax
}

// stringInto reads a string (or null, which leaves *dst alone, as
// encoding/json does).
func (s *scanner) stringInto(dst *string) error {
	if s.null() {
		return nil
	}
	raw, escaped, err := s.rawString()
	if err != nil {
		return err
	}
	body := raw[1 : len(raw)-1]
	switch {
	case !utf8.Valid(body): // encoding/json puts U+FFFD for bad bytes
		if json.Unmarshal(raw, dst) != nil {
			return errSyntax
		}
	case !escaped:
		*dst = string(body)
	default:
		u, ok := unescape(body)
		if !ok {
			return errSyntax
		}
		*dst = u
	}
	return nil
}

// unescape decodes a JSON string's escapes as encoding/json does (a lone
// surrogate becomes U+FFFD).
func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out = append(out, b[i])
			continue
		}
		if i++; i >= len(b) {
			return "", false
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
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
			r, ok := hex4(b[i+1:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					r2, ok = hex4(b[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					out = utf8.AppendRune(out, d)
					i += 6
					continue
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
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

// skip passes over one value of any kind.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.rawString()
		return err
	case c == '{':
		return s.skipComposite('}', true)
	case c == '[':
		return s.skipComposite(']', false)
	case c == 't' || c == 'f' || c == 'n' || c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && isScalarByte(s.b[s.i]) {
			s.i++
		}
		switch v := string(s.b[start:s.i]); {
		case v == "true" || v == "false" || v == "null" || validNumber(v):
			return nil
		}
	}
	return errSyntax
}

// validNumber follows JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(v string) bool {
	i := 0
	digits := func() bool {
		n := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(v) && v[i] == '-' {
		i++
	}
	switch {
	case i < len(v) && v[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(v)
}

// skipComposite passes over an object or array (the cursor on its opening
// bracket) without the closures object and array take: Flex contents are
// most of a body.
func (s *scanner) skipComposite(end byte, keyed bool) error {
	s.i++
	if s.peek() == end {
		s.i++
		return nil
	}
	for {
		if keyed {
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			if s.peek() != ':' {
				return errSyntax
			}
			s.i++
		}
		if err := s.skip(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case end:
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

func isScalarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}
