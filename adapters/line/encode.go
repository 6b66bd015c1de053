package line

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// The reply and push request bodies are written by this encoder, not by
// encoding/json through the SDK's types: each SDK type marshals itself with
// json.Marshal of a wrapper, and encoding/json re-scans every nested
// MarshalJSON's output, so a bubble's bytes were copied and validated once
// per level of nesting. That was half of serve's CPU (BENCHMARKS.md).
//
// The encoder writes the same JSON as the SDK for the types the adapter
// builds (TestEncoderWritesWhatTheSDKSends over every answer,
// FuzzEncodeAsSDK over arbitrary texts): every field of each type, the
// SDK's "type" discriminators, its always-present zero fields ("flex": 0,
// "wrap", "maxLines", "scaling", "notificationDisabled"), and encoding/json's
// string escaping, so a bubble has exactly the size the SDK gave it. A value
// of a type or field it does not write itself (a sender, emojis, a hero
// image, another action) is marshalled by encoding/json in its place:
// slower, never different.

// fallbacks counts the values the encoder left to encoding/json; the tests
// check that no answer of the bot needs one.
var fallbacks atomic.Int64

// bufPool holds encoding buffers. A reply's body is sent from its buffer
// (a sharedBody gives it back when the transport is done with it); other
// bodies are copied out of them, and the buffer goes back as soon as the
// request is built.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 256<<10 { // a freak answer should not pin its buffer
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// replyBody is the JSON of a reply request, in a new slice.
func replyBody(token string, msgs []messaging_api.MessageInterface) []byte {
	return requestBody(`{"replyToken":`, token, `,"notificationDisabled":false,"messages":`, msgs)
}

// replyBuf is replyBody in a pooled buffer, the caller's to give back.
func replyBuf(token string, msgs []messaging_api.MessageInterface) *[]byte {
	return encodeBody(`{"replyToken":`, token, `,"notificationDisabled":false,"messages":`, msgs)
}

// pushBody is the JSON of a push request, in a new slice.
func pushBody(to string, msgs []messaging_api.MessageInterface) []byte {
	return requestBody(`{"to":`, to, `,"notificationDisabled":false,"customAggregationUnits":null,"messages":`, msgs)
}

// requestBody writes head, the recipient (a reply token or a user id), mid
// and the messages, encoded in a pooled buffer and copied out.
func requestBody(head, recipient, mid string, msgs []messaging_api.MessageInterface) []byte {
	bp := encodeBody(head, recipient, mid, msgs)
	out := append([]byte(nil), *bp...)
	putBuf(bp)
	return out
}

// encodeBody is requestBody in a pooled buffer.
func encodeBody(head, recipient, mid string, msgs []messaging_api.MessageInterface) *[]byte {
	bp := getBuf()
	b := appendString(append(*bp, head...), recipient)
	b = appendMessages(append(b, mid...), msgs)
	*bp = append(b, "}\n"...) // json.Encoder ends with a newline, the SDK's bodies too
	return bp
}

// The members of each object come in the order encoding/json gives the
// SDK's types (the fields of the type, then the "type" its MarshalJSON
// adds; a value that is not a pointer is marshalled without its
// MarshalJSON, with the embedded "type" first), so the bytes are the SDK's
// too. Members are written with a leading comma; obj and end open and
// close an object, dropping the comma of its first member.

func obj(b []byte) ([]byte, int) { return append(b, '{'), len(b) + 1 }

func end(b []byte, n int) []byte {
	if len(b) > n && b[n] == ',' {
		b = append(b[:n], b[n+1:]...)
	}
	return append(b, '}')
}

// appendMessages writes a request's messages; never null, as the SDK's
// MarshalJSON always copies them into a new slice.
// appendTyped writes an object of the SDK type whose discriminator is typ (a
// JSON string) with the members members writes: through a pointer the
// SDK's MarshalJSON puts "type" last; a value is marshalled without it,
// its embedded "type" (set by the SDK) first.
func appendTyped(b []byte, typ string, pointer bool, members func([]byte) []byte) []byte {
	if !pointer {
		b = append(append(b, `{"type":`...), typ...)
		return append(members(b), '}')
	}
	b, n := obj(b)
	b = members(b)
	return end(append(append(b, `,"type":`...), typ...), n)
}

func appendMessages(b []byte, msgs []messaging_api.MessageInterface) []byte {
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, m)
	}
	return append(b, ']')
}

func appendMessage(b []byte, m messaging_api.MessageInterface) []byte {
	switch m := m.(type) {
	case *messaging_api.TextMessage:
		if m != nil && m.Emojis == nil {
			b, n := obj(b)
			b = appendQuickReply(b, m.QuickReply)
			b = appendSender(b, m.Sender)
			b = append(b, `,"text":`...)
			b = appendString(b, m.Text)
			b = appendOpt(b, `,"quoteToken":`, m.QuoteToken)
			b = append(b, `,"type":"text"`...)
			return end(b, n)
		}
	case *messaging_api.FlexMessage:
		if m != nil {
			b, n := obj(b)
			b = appendQuickReply(b, m.QuickReply)
			b = appendSender(b, m.Sender)
			b = append(b, `,"altText":`...)
			b = appendString(b, m.AltText)
			b = append(b, `,"contents":`...)
			b = appendContainer(b, m.Contents)
			b = append(b, `,"type":"flex"`...)
			return end(b, n)
		}
	case messaging_api.ImageMessage:
		return appendTyped(b, `"image"`, false, func(b []byte) []byte { return appendImage(b, &m) })
	case *messaging_api.ImageMessage:
		if m != nil {
			return appendTyped(b, `"image"`, true, func(b []byte) []byte { return appendImage(b, m) })
		}
	}
	return appendMarshal(b, m)
}

func appendImage(b []byte, m *messaging_api.ImageMessage) []byte {
	b = appendQuickReply(b, m.QuickReply)
	b = appendSender(b, m.Sender)
	b = append(b, `,"originalContentUrl":`...)
	b = appendString(b, m.OriginalContentUrl)
	b = append(b, `,"previewImageUrl":`...)
	return appendString(b, m.PreviewImageUrl)
}

func appendSender(b []byte, s *messaging_api.Sender) []byte {
	if s == nil {
		return b
	}
	return appendMarshal(append(b, `,"sender":`...), s)
}

func appendQuickReply(b []byte, q *messaging_api.QuickReply) []byte {
	if q == nil {
		return b
	}
	b = append(b, `,"quickReply":{`...)
	if len(q.Items) > 0 {
		b = append(b, `"items":[`...)
		for i := range q.Items {
			if i > 0 {
				b = append(b, ',')
			}
			it := &q.Items[i]
			var n int
			b, n = obj(b)
			b = appendOpt(b, `,"imageUrl":`, it.ImageUrl)
			if it.Action != nil {
				b = appendAction(append(b, `,"action":`...), it.Action)
			}
			b = appendOpt(b, `,"type":`, it.Type)
			b = end(b, n)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendAction(b []byte, a messaging_api.ActionInterface) []byte {
	switch a := a.(type) {
	case messaging_api.PostbackAction:
		return appendTyped(b, `"postback"`, false, func(b []byte) []byte { return appendPostback(b, &a) })
	case *messaging_api.PostbackAction:
		if a != nil {
			return appendTyped(b, `"postback"`, true, func(b []byte) []byte { return appendPostback(b, a) })
		}
	case messaging_api.UriAction:
		if a.AltUri == nil {
			return appendTyped(b, `"uri"`, false, func(b []byte) []byte { return appendURI(b, &a) })
		}
	case *messaging_api.UriAction:
		if a != nil && a.AltUri == nil {
			return appendTyped(b, `"uri"`, true, func(b []byte) []byte { return appendURI(b, a) })
		}
	}
	return appendMarshal(b, a)
}

func appendPostback(b []byte, a *messaging_api.PostbackAction) []byte {
	b = appendOpt(b, `,"label":`, a.Label)
	b = appendOpt(b, `,"data":`, a.Data)
	b = appendOpt(b, `,"displayText":`, a.DisplayText)
	b = appendOpt(b, `,"text":`, a.Text)
	b = appendOpt(b, `,"inputOption":`, string(a.InputOption))
	return appendOpt(b, `,"fillInText":`, a.FillInText)
}

func appendURI(b []byte, a *messaging_api.UriAction) []byte {
	b = appendOpt(b, `,"label":`, a.Label)
	return appendOpt(b, `,"uri":`, a.Uri)
}

func appendContainer(b []byte, c messaging_api.FlexContainerInterface) []byte {
	switch c := c.(type) {
	case *encodedBubble:
		if c != nil && c.json != nil {
			return append(b, c.json...)
		}
	case *messaging_api.FlexBubble:
		if c != nil {
			return appendBubble(b, c)
		}
	case *messaging_api.FlexCarousel:
		if c != nil {
			b = append(b, `{"contents":`...)
			if c.Contents == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for i := range c.Contents {
					if i > 0 {
						b = append(b, ',')
					}
					b = appendBubble(b, &c.Contents[i])
				}
				b = append(b, ']')
			}
			return append(b, `,"type":"carousel"}`...)
		}
	}
	return appendMarshal(b, c)
}

func appendBubble(b []byte, x *messaging_api.FlexBubble) []byte {
	b, n := obj(b)
	b = appendOpt(b, `,"direction":`, string(x.Direction))
	if x.Styles != nil {
		b = appendMarshal(append(b, `,"styles":`...), x.Styles)
	}
	b = appendPart(b, `,"header":`, x.Header)
	if x.Hero != nil {
		b = appendComponent(append(b, `,"hero":`...), x.Hero)
	}
	b = appendPart(b, `,"body":`, x.Body)
	b = appendPart(b, `,"footer":`, x.Footer)
	b = appendOpt(b, `,"size":`, string(x.Size))
	if x.Action != nil {
		b = appendAction(append(b, `,"action":`...), x.Action)
	}
	b = append(b, `,"type":"bubble"`...)
	return end(b, n)
}

func appendPart(b []byte, key string, box *messaging_api.FlexBox) []byte {
	if box == nil {
		return b
	}
	return appendBox(append(b, key...), box)
}

func appendComponent(b []byte, c messaging_api.FlexComponentInterface) []byte {
	switch c := c.(type) {
	case *messaging_api.FlexBox:
		if c != nil {
			return appendBox(b, c)
		}
	case *messaging_api.FlexText:
		if c != nil {
			return appendText(b, c)
		}
	case *messaging_api.FlexSeparator:
		if c != nil {
			b, n := obj(b)
			b = appendOpt(b, `,"margin":`, c.Margin)
			b = appendOpt(b, `,"color":`, c.Color)
			b = append(b, `,"type":"separator"`...)
			return end(b, n)
		}
	case *messaging_api.FlexButton:
		if c != nil {
			return appendButton(b, c)
		}
	}
	return appendMarshal(b, c)
}

func appendBox(b []byte, x *messaging_api.FlexBox) []byte {
	b = append(b, `{"layout":`...)
	b = appendString(b, string(x.Layout))
	b = appendInt(b, `,"flex":`, x.Flex)
	b = appendOpt(b, `,"spacing":`, x.Spacing)
	b = appendOpt(b, `,"margin":`, x.Margin)
	b = appendOpt(b, `,"position":`, string(x.Position))
	b = appendOpt(b, `,"offsetTop":`, x.OffsetTop)
	b = appendOpt(b, `,"offsetBottom":`, x.OffsetBottom)
	b = appendOpt(b, `,"offsetStart":`, x.OffsetStart)
	b = appendOpt(b, `,"offsetEnd":`, x.OffsetEnd)
	b = appendOpt(b, `,"backgroundColor":`, x.BackgroundColor)
	b = appendOpt(b, `,"borderColor":`, x.BorderColor)
	b = appendOpt(b, `,"borderWidth":`, x.BorderWidth)
	b = appendOpt(b, `,"cornerRadius":`, x.CornerRadius)
	b = appendOpt(b, `,"width":`, x.Width)
	b = appendOpt(b, `,"maxWidth":`, x.MaxWidth)
	b = appendOpt(b, `,"height":`, x.Height)
	b = appendOpt(b, `,"maxHeight":`, x.MaxHeight)
	b = appendOpt(b, `,"paddingAll":`, x.PaddingAll)
	b = appendOpt(b, `,"paddingTop":`, x.PaddingTop)
	b = appendOpt(b, `,"paddingBottom":`, x.PaddingBottom)
	b = appendOpt(b, `,"paddingStart":`, x.PaddingStart)
	b = appendOpt(b, `,"paddingEnd":`, x.PaddingEnd)
	if x.Action != nil {
		b = appendAction(append(b, `,"action":`...), x.Action)
	}
	b = appendOpt(b, `,"justifyContent":`, string(x.JustifyContent))
	b = appendOpt(b, `,"alignItems":`, string(x.AlignItems))
	if x.Background != nil {
		b = appendMarshal(append(b, `,"background":`...), x.Background)
	}
	// never null: the SDK's MarshalJSON copies the contents into a new slice
	b = append(b, `,"type":"box","contents":[`...)
	for i, c := range x.Contents {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendComponent(b, c)
	}
	return append(b, "]}"...)
}

func appendText(b []byte, x *messaging_api.FlexText) []byte {
	b = appendInt(append(b, '{'), `"flex":`, x.Flex)
	b = appendOpt(b, `,"text":`, x.Text)
	b = appendOpt(b, `,"size":`, x.Size)
	b = appendOpt(b, `,"align":`, string(x.Align))
	b = appendOpt(b, `,"gravity":`, string(x.Gravity))
	b = appendOpt(b, `,"color":`, x.Color)
	b = appendOpt(b, `,"weight":`, string(x.Weight))
	b = appendOpt(b, `,"style":`, string(x.Style))
	b = appendOpt(b, `,"decoration":`, string(x.Decoration))
	b = appendBool(b, `,"wrap":`, x.Wrap)
	b = appendOpt(b, `,"lineSpacing":`, x.LineSpacing)
	b = appendOpt(b, `,"margin":`, x.Margin)
	b = appendOpt(b, `,"position":`, string(x.Position))
	b = appendOpt(b, `,"offsetTop":`, x.OffsetTop)
	b = appendOpt(b, `,"offsetBottom":`, x.OffsetBottom)
	b = appendOpt(b, `,"offsetStart":`, x.OffsetStart)
	b = appendOpt(b, `,"offsetEnd":`, x.OffsetEnd)
	if x.Action != nil {
		b = appendAction(append(b, `,"action":`...), x.Action)
	}
	b = appendInt(b, `,"maxLines":`, x.MaxLines)
	if len(x.Contents) > 0 {
		b = append(b, `,"contents":[`...)
		for i := range x.Contents {
			if i > 0 {
				b = append(b, ',')
			}
			s := &x.Contents[i]
			var n int
			b, n = obj(b)
			b = appendOpt(b, `,"text":`, s.Text)
			b = appendOpt(b, `,"size":`, s.Size)
			b = appendOpt(b, `,"color":`, s.Color)
			b = appendOpt(b, `,"weight":`, string(s.Weight))
			b = appendOpt(b, `,"style":`, string(s.Style))
			b = appendOpt(b, `,"decoration":`, string(s.Decoration))
			b = append(b, `,"type":"span"`...)
			b = end(b, n)
		}
		b = append(b, ']')
	}
	b = appendOpt(b, `,"adjustMode":`, string(x.AdjustMode))
	b = appendBool(b, `,"scaling":`, x.Scaling)
	return append(b, `,"type":"text"}`...)
}

func appendButton(b []byte, x *messaging_api.FlexButton) []byte {
	b = appendInt(append(b, '{'), `"flex":`, x.Flex)
	b = appendOpt(b, `,"color":`, x.Color)
	b = appendOpt(b, `,"style":`, string(x.Style))
	b = append(b, `,"action":`...)
	if x.Action == nil {
		b = append(b, "null"...)
	} else {
		b = appendAction(b, x.Action)
	}
	b = appendOpt(b, `,"gravity":`, string(x.Gravity))
	b = appendOpt(b, `,"margin":`, x.Margin)
	b = appendOpt(b, `,"position":`, string(x.Position))
	b = appendOpt(b, `,"offsetTop":`, x.OffsetTop)
	b = appendOpt(b, `,"offsetBottom":`, x.OffsetBottom)
	b = appendOpt(b, `,"offsetStart":`, x.OffsetStart)
	b = appendOpt(b, `,"offsetEnd":`, x.OffsetEnd)
	b = appendOpt(b, `,"height":`, string(x.Height))
	b = appendOpt(b, `,"adjustMode":`, string(x.AdjustMode))
	b = appendBool(b, `,"scaling":`, x.Scaling)
	return append(b, `,"type":"button"}`...)
}

// appendMarshal is the fallback: v as encoding/json (and so the SDK's
// MarshalJSON methods) writes it.
func appendMarshal(b []byte, v any) []byte {
	fallbacks.Add(1)
	j, err := json.Marshal(v)
	if err != nil {
		// Only a value the SDK could not send either (a NaN, a cycle);
		// null keeps the body valid JSON and LINE answers 400.
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendOpt writes key and s unless s is empty (omitempty).
func appendOpt(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendInt(b []byte, key string, n int32) []byte {
	return strconv.AppendInt(append(b, key...), int64(n), 10)
}

func appendBool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}

const hexDigits = "0123456789abcdef"

// safe marks the ASCII bytes encoding/json writes as they are (with its
// HTML escaping on, as the SDK's json.Marshal and Encoder have it).
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as a JSON string exactly as encoding/json does:
// quotes, backslashes and control characters escaped (\b \f \n \r \t
// short), <, > and & as \u003c \u003e \u0026, U+2028 and U+2029 escaped,
// each byte of invalid UTF-8 replaced by \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
