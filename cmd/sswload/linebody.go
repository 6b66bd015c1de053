package main

import (
	"errors"
	"strings"

	"example.com/sswbot/internal/jsonscan"
)

// A reply or push body is read by a small scanner that picks out only what
// the fake's checks need (the reply token or recipient, the message count,
// each message's text or altText, the first quick-reply button) and skips
// the rest, Flex contents included, without building it (on the shared
// internal/jsonscan). Decoding the whole 1–3 KB body with encoding/json
// cost a quarter of sswload's CPU, which runs on the same core as the load
// generator: the load tool capped the rate it measured. linebody_test.go
// checks it reads what encoding/json reads, and rejects what it rejects.

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
	s := scanner{jsonscan.New(b)}
	if s.Null() { // encoding/json reads a bare null as "no fields"
		if !s.End() {
			return lineReply{}, errSyntax
		}
		return r, nil
	}
	ok := s.Object(func(key []byte) bool {
		switch {
		case keyIs(key, "replyToken"):
			return s.stringInto(&r.ReplyToken)
		case keyIs(key, "to"):
			return s.stringInto(&r.To)
		case keyIs(key, "messages"):
			return s.Null() || s.Array(func() bool { return s.message(&r) })
		}
		return s.Skip()
	})
	if !ok || !s.End() {
		return lineReply{}, errSyntax
	}
	return r, nil
}

// scanner is the shared JSON scanner with the reply's schema on top.
type scanner struct{ jsonscan.Scanner }

// message reads one message object.
func (s *scanner) message(r *lineReply) bool {
	var text, alt string
	r.Messages++
	if s.Null() {
		r.Texts = append(r.Texts, "")
		return true
	}
	ok := s.Object(func(key []byte) bool {
		switch {
		case keyIs(key, "text"):
			return s.stringInto(&text)
		case keyIs(key, "altText"):
			return s.stringInto(&alt)
		case keyIs(key, "quickReply"):
			return s.Null() || s.Object(func(key []byte) bool {
				if !keyIs(key, "items") {
					return s.Skip()
				}
				first := true
				return s.Null() || s.Array(func() bool {
					if !first {
						return s.Skip()
					}
					first = false
					return s.item(r)
				})
			})
		}
		return s.Skip()
	})
	r.Texts = append(r.Texts, text+alt)
	return ok
}

// item reads a quick-reply item: its action's type, data and text.
func (s *scanner) item(r *lineReply) bool {
	var typ, data, text string
	if s.Null() {
		return true
	}
	ok := s.Object(func(key []byte) bool {
		if !keyIs(key, "action") {
			return s.Skip()
		}
		return s.Null() || s.Object(func(key []byte) bool {
			switch {
			case keyIs(key, "type"):
				return s.stringInto(&typ)
			case keyIs(key, "data"):
				return s.stringInto(&data)
			case keyIs(key, "text"):
				return s.stringInto(&text)
			}
			return s.Skip()
		})
	})
	switch typ {
	case "postback":
		r.Button = "postback:" + data
	case "message":
		r.Button = "text:" + text
	}
	return ok
}

// keyIs matches a key as encoding/json matches a field name: ignoring case.
func keyIs(key []byte, name string) bool {
	return string(key) == name || strings.EqualFold(string(key), name)
}

// stringInto reads a string (or null, which leaves *dst alone, as
// encoding/json does).
func (s *scanner) stringInto(dst *string) bool {
	if s.Null() {
		return true
	}
	v, ok := s.Str()
	if ok {
		*dst = string(v)
	}
	return ok
}
