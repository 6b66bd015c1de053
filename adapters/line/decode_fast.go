package line

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decode reads a webhook body. An event of a type it does not know (or of
// none) is ignored by the adapter, not refused: LINE adds event types.
//
// The bodies LINE sends are read by a small scanner (readFast), several
// times cheaper than encoding/json's reflection; any body it is not
// certain to read exactly as encoding/json would (an escape other than
// the simple ones, invalid UTF-8, a null, a repeated field, a key that
// differs from a field's name only in case, a number that is not a plain
// integer, anything malformed) goes to encoding/json, which decides.
// FuzzReadFast checks that whatever readFast accepts, encoding/json reads
// to the same values; FuzzDecodeAsSDK that decode reads what the SDK does.
func decode(body []byte) (callback, error) {
	if cb, ok := readFast(body); ok {
		return cb, nil
	}
	var cb callback
	err := json.Unmarshal(body, &cb)
	return cb, err
}

// readFast reads body or reports false, having decided nothing.
func readFast(body []byte) (callback, bool) {
	s := scanner{b: body}
	var cb callback
	var seen bool
	ok := s.object(func(key []byte) bool {
		if string(key) != "events" {
			return s.skipUnknown(key, "events")
		}
		if seen {
			return false
		}
		seen = true
		cb.Events = []event{} // as encoding/json leaves an empty array
		return s.array(func() bool {
			cb.Events = append(cb.Events, event{})
			return s.event(&cb.Events[len(cb.Events)-1])
		})
	})
	s.ws()
	return cb, ok && s.i == len(s.b)
}

func (s *scanner) event(e *event) bool {
	var seen uint16
	once := func(bit uint16) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return once(1) && s.str(&e.Type)
		case "mode":
			return once(2) && s.str(&e.Mode)
		case "timestamp":
			return once(4) && s.int(&e.Timestamp)
		case "webhookEventId":
			return once(8) && s.str(&e.WebhookEventID)
		case "replyToken":
			return once(16) && s.str(&e.ReplyToken)
		case "deliveryContext":
			if !once(32) {
				return false
			}
			e.DeliveryContext = &struct {
				IsRedelivery bool `json:"isRedelivery"`
			}{}
			return s.onlyField("isRedelivery", func() bool { return s.bool(&e.DeliveryContext.IsRedelivery) })
		case "source":
			if !once(64) {
				return false
			}
			e.Source = &source{}
			return s.source(e.Source)
		case "message":
			if !once(128) {
				return false
			}
			e.Message = &typed{}
			var seen uint8
			return s.object(func(key []byte) bool {
				switch string(key) {
				case "type":
					return seen&1 == 0 && s.mark(&seen, 1) && s.str(&e.Message.Type)
				case "text":
					return seen&2 == 0 && s.mark(&seen, 2) && s.str(&e.Message.Text)
				}
				return s.skipUnknown(key, "type", "text")
			})
		case "postback":
			if !once(256) {
				return false
			}
			e.Postback = &struct {
				Data string `json:"data"`
			}{}
			return s.onlyField("data", func() bool { return s.str(&e.Postback.Data) })
		}
		return s.skipUnknown(key, "type", "mode", "timestamp", "webhookEventId", "replyToken",
			"deliveryContext", "source", "message", "postback")
	})
}

func (s *scanner) source(src *source) bool {
	var seen uint8
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return seen&1 == 0 && s.mark(&seen, 1) && s.str(&src.Type)
		case "userId":
			return seen&2 == 0 && s.mark(&seen, 2) && s.str(&src.UserID)
		case "groupId":
			return seen&4 == 0 && s.mark(&seen, 4) && s.str(&src.GroupID)
		case "roomId":
			return seen&8 == 0 && s.mark(&seen, 8) && s.str(&src.RoomID)
		}
		return s.skipUnknown(key, "type", "userId", "groupId", "roomId")
	})
}

// scanner reads JSON from b at i; every method reports false on anything
// it does not handle, and the body then goes to encoding/json.
type scanner struct {
	b     []byte
	i     int
	depth int // of objects and arrays: a deep one is left to encoding/json's limit
}

const maxDepth = 64

func (s *scanner) mark(seen *uint8, bit uint8) bool { *seen |= bit; return true }

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

func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object, calling member with each key (the scanner then
// stands at the value, which member must read).
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.next('{') || s.depth >= maxDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.next('}') {
		return true
	}
	for {
		s.ws()
		key, ok := s.plain()
		if !ok || !s.next(':') {
			return false
		}
		s.ws()
		if !member(key) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') || s.depth >= maxDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.next(']') {
		return true
	}
	for {
		s.ws()
		if !elem() {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

// onlyField reads an object of which only name is read, with read, at
// most once (a repeated key is left to encoding/json).
func (s *scanner) onlyField(name string, read func() bool) bool {
	var seen bool
	return s.object(func(key []byte) bool {
		if string(key) != name {
			return s.skipUnknown(key, name)
		}
		if seen {
			return false
		}
		seen = true
		return read()
	})
}

// skipUnknown skips the value of a key that is none of known. encoding/json
// matches keys without regard to case (and with Unicode folding), so a key
// that could be one of them is left to it.
func (s *scanner) skipUnknown(key []byte, known ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, k := range known {
		if strings.EqualFold(string(key), k) {
			return false
		}
	}
	return s.skip()
}

// plain reads a string without escapes, as bytes of b.
func (s *scanner) plain() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value into dst: valid UTF-8, with no escapes but
// \" \\ \/ \b \f \n \r \t.
func (s *scanner) str(dst *string) bool {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	start := s.i + 1
	var buf []byte // only when there are escapes
	from := start
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			raw := s.b[from:j]
			var v string
			if buf == nil {
				v = intern(raw)
			} else {
				v = string(append(buf, raw...))
			}
			if !utf8.ValidString(v) {
				return false
			}
			*dst, s.i = v, j+1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(s.b) {
				return false
			}
			var r byte
			switch s.b[j+1] {
			case '"', '\\', '/':
				r = s.b[j+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default: // \u and anything else
				return false
			}
			buf = append(append(buf, s.b[from:j]...), r)
			j++
			from = j + 1
		}
	}
	return false
}

// intern returns the usual words of a webhook without allocating.
func intern(b []byte) string {
	switch string(b) {
	case "message":
		return "message"
	case "postback":
		return "postback"
	case "follow":
		return "follow"
	case "text":
		return "text"
	case "user":
		return "user"
	case "active":
		return "active"
	case "standby":
		return "standby"
	}
	return string(b)
}

// int reads a JSON integer that fits an int64 (no fraction, no exponent).
func (s *scanner) int(dst *int64) bool {
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	d := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j == d || (s.b[d] == '0' && j > d+1) {
		return false
	}
	if j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 64)
	if err != nil {
		return false
	}
	*dst, s.i = n, j
	return true
}

func (s *scanner) bool(dst *bool) bool {
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*dst, s.i = true, s.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*dst, s.i = false, s.i+5
	default:
		return false
	}
	return true
}

// skip skips one value of any kind, checking that it is valid JSON.
func (s *scanner) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		return s.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.skipNumber()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return true
		}
	}
	return false
}

func (s *scanner) skipString() bool {
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(s.b) {
				return false
			}
			switch s.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[j+2 : j+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 5
			default:
				return false
			}
		}
	}
	return false
}

// skipNumber skips a number of JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() bool {
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
