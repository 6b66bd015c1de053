package line

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"example.com/sswbot/internal/jsonscan"
)

// decode reads a webhook body. An event of a type it does not know (or of
// none) is ignored by the adapter, not refused: LINE adds event types.
//
// The bodies LINE sends are read by a small scanner (readFast), several
// times cheaper than encoding/json's reflection, on the shared
// internal/jsonscan; any body it is not certain to read exactly as
// encoding/json would (a null, a repeated field, a key that
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
	if err != nil {
		if lenient, ok := decodeUnknownLeniently(body); ok {
			return lenient, nil
		}
	}
	return cb, err
}

// decodeUnknownLeniently reads body as the SDK does when encoding/json
// refused it: an event of a type the SDK does not know keeps only its
// type (the adapter ignores it), whatever its other fields hold, while
// a known type's fields must all be right. ok is false when that does not
// save the body either.
func decodeUnknownLeniently(body []byte) (callback, bool) {
	var raw struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return callback{}, false
	}
	cb := callback{Events: make([]event, len(raw.Events))}
	for i, r := range raw.Events {
		var t struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(r, &t) != nil {
			return callback{}, false
		}
		if !eventTypes[t.Type] {
			cb.Events[i] = event{Type: t.Type}
		} else if json.Unmarshal(lastWins(r), &cb.Events[i]) != nil {
			return callback{}, false
		}
	}
	return cb, true
}

// lastWins rewrites a JSON value so that each object keeps only the last
// of a repeated key, as the SDK reads events (through maps), where
// encoding/json would also decode, and may refuse, the earlier ones.
func lastWins(v json.RawMessage) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil && obj != nil {
		for k, e := range obj {
			obj[k] = lastWins(e)
		}
		b, _ := json.Marshal(obj) // values valid JSON: cannot fail
		return b
	}
	var arr []json.RawMessage
	if json.Unmarshal(v, &arr) == nil && arr != nil {
		for i, e := range arr {
			arr[i] = lastWins(e)
		}
		b, _ := json.Marshal(arr)
		return b
	}
	return v
}

// readFast reads body or reports false, having decided nothing.
func readFast(body []byte) (callback, bool) {
	s := scanner{jsonscan.New(body)}
	s.MaxDepth = maxDepth
	var cb callback
	var seen bool
	ok := s.Object(func(key []byte) bool {
		if string(key) != "events" {
			return s.skipUnknown(key, "events")
		}
		if seen {
			return false
		}
		seen = true
		cb.Events = []event{} // as encoding/json leaves an empty array
		return s.Array(func() bool {
			cb.Events = append(cb.Events, event{})
			return s.event(&cb.Events[len(cb.Events)-1])
		})
	})
	return cb, ok && s.End()
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
	return s.Object(func(key []byte) bool {
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
			return s.Object(func(key []byte) bool {
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
	return s.Object(func(key []byte) bool {
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

// scanner is the shared JSON scanner with the webhook's schema on top;
// every method reports false on anything it does not handle, and the body
// then goes to encoding/json.
type scanner struct{ jsonscan.Scanner }

// maxDepth leaves a deep body to encoding/json's limit.
const maxDepth = 64

func (s *scanner) mark(seen *uint8, bit uint8) bool { *seen |= bit; return true }

// onlyField reads an object of which only name is read, with read, at
// most once (a repeated key is left to encoding/json).
func (s *scanner) onlyField(name string, read func() bool) bool {
	var seen bool
	return s.Object(func(key []byte) bool {
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
	return s.Skip()
}

// str reads a string value into dst.
func (s *scanner) str(dst *string) bool {
	v, ok := s.Str()
	if ok {
		*dst = intern(v)
	}
	return ok
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

func (s *scanner) int(dst *int64) bool {
	n, ok := s.Int()
	if ok {
		*dst = n
	}
	return ok
}

func (s *scanner) bool(dst *bool) bool {
	v, ok := s.Bool()
	if ok {
		*dst = v
	}
	return ok
}
