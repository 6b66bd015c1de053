package line

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
	"example.com/sswbot/textsplit"
)

// LINE's limits (Messaging API reference).
const (
	maxTextUnits    = 5000 // per text message, in UTF-16 code units
	maxMessages     = 5    // per reply or push request
	maxQuickReplies = 13
	maxLabelRunes   = 20
	maxDisplayRunes = 300
)

// maxShownChoices is how many quick replies a message shows: four and
// "More" fit a phone's width in one row of chips (bot.Reply.Page).
const maxShownChoices = 5

// render turns the bot's replies into LINE messages. A reply with a card
// becomes one Flex bubble, shown instead of the card's Span texts; other
// texts become text messages, split at LINE's limit. The buttons of the last
// reply that has any go, paged to five with "More", on the last message,
// the only one whose quick reply LINE shows. Links are appended to their
// reply's text (LINE links URLs itself) unless the text or bubble already
// shows them.
func render(replies []bot.Reply) []messaging_api.MessageInterface {
	return renderWith(replies, cardMessage)
}

// renderWith is render with card laying out the cards: cardMessage (the
// cache of encoded bubbles) in the adapter, the SDK's types alone in the
// test that proves the two send the same.
func renderWith(replies []bot.Reply, card func(*bot.Card) (*messaging_api.FlexMessage, bool)) []messaging_api.MessageInterface {
	var (
		msgs  []messaging_api.MessageInterface
		texts []string // the pending run of texts
		page  []bot.Choice
		links []bot.Link          // the links of the replies shown as bubbles
		shown = map[string]bool{} // URLs a bubble shows
	)
	flush := func() {
		for _, t := range texts {
			msgs = append(msgs, &messaging_api.TextMessage{Text: t})
		}
		texts = nil
	}
	for i := 0; i < len(replies); i++ {
		r := replies[i]
		if len(r.Choices) > 0 {
			page = r.Page(maxShownChoices)
		}
		if fm, ok := card(r.Card); ok {
			flush()
			msgs = append(msgs, fm)
			for _, u := range cardURLs(r.Card) {
				shown[u] = true
			}
			links = append(links, r.Links...)
			// the card's other bubbles: only their buttons and links count
			for _, x := range replies[i+1 : min(i+r.Card.Spans(), len(replies))] {
				links = append(links, x.Links...)
				if len(x.Choices) > 0 {
					page = x.Page(maxShownChoices)
				}
			}
			i += r.Card.Spans() - 1
			continue
		}
		if t := withLinks(r.Text, r.Links); strings.TrimSpace(t) != "" {
			texts = append(texts, splitText(t, maxTextUnits)...)
		}
	}
	var rest []bot.Link
	for _, l := range links {
		if !shown[l.URL] {
			rest = append(rest, l)
		}
	}
	if len(rest) > 0 {
		if len(texts) == 0 {
			texts = append(texts, "")
		}
		t := withLinks(texts[len(texts)-1], rest)
		texts = append(texts[:len(texts)-1], splitText(t, maxTextUnits)...)
	}
	if len(msgs)+len(texts) > maxMessages && len(texts) > 1 {
		texts = merge(texts, maxTextUnits)
	}
	flush()
	if len(msgs) == 0 {
		if len(page) == 0 {
			return nil
		}
		msgs = append(msgs, &messaging_api.TextMessage{Text: "…"}) // LINE needs a message to carry the buttons
	}
	switch m := msgs[len(msgs)-1].(type) {
	case *messaging_api.TextMessage:
		m.QuickReply = quickReply(page)
	case *messaging_api.FlexMessage:
		m.QuickReply = quickReply(page)
	}
	return msgs
}

// cardURLs are the URLs a card's bubble opens.
func cardURLs(c *bot.Card) []string {
	var out []string
	for _, l := range c.Links {
		out = append(out, l.URL)
	}
	for _, ct := range c.Contacts {
		for _, l := range ct.Lines {
			if l.Kind == bot.ContactLink {
				out = append(out, l.Value)
			}
		}
	}
	return out
}

// batches groups messages into requests of at most maxMessages, in order.
func batches(msgs []messaging_api.MessageInterface) [][]messaging_api.MessageInterface {
	var out [][]messaging_api.MessageInterface
	for len(msgs) > 0 {
		n := min(len(msgs), maxMessages)
		out = append(out, msgs[:n:n])
		msgs = msgs[n:]
	}
	return out
}

func withLinks(text string, links []bot.Link) string {
	var b strings.Builder
	b.WriteString(text)
	sep := "\n\n"
	for _, l := range links {
		if l.URL == "" || strings.Contains(text, l.URL) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		sep = "\n"
		if l.Label != "" {
			b.WriteString(l.Label + ": ")
		}
		b.WriteString(l.URL)
	}
	return b.String()
}

// quickReplies keeps the quick replies made for a page of choices: the
// same pages recur for every user at the same place. A kept QuickReply is
// shared by every message that shows it and never changed.
var quickReplies = &memo[*messaging_api.QuickReply]{}

// quickReply is the quick reply of choices (nil for none), shared through
// quickReplies.
func quickReply(choices []bot.Choice) *messaging_api.QuickReply {
	if len(choices) == 0 {
		return nil
	}
	choices = choices[:min(len(choices), maxQuickReplies)]
	kp := getBuf()
	defer putBuf(kp)
	key := (*kp)[:0]
	for _, c := range choices { // each length first: no two pages share a key
		key = append(binary.AppendUvarint(key, uint64(len(c.Label))), c.Label...)
		key = append(binary.AppendUvarint(key, uint64(len(c.Payload))), c.Payload...)
	}
	*kp = key
	if q, ok := quickReplies.get(key); ok {
		return q
	}
	q := newQuickReply(choices)
	return quickReplies.put(key, q, len(key))
}

func newQuickReply(choices []bot.Choice) *messaging_api.QuickReply {
	items := make([]messaging_api.QuickReplyItem, len(choices))
	for i, c := range choices {
		label := c.Label
		if label == "" {
			label = c.Payload
		}
		items[i] = messaging_api.QuickReplyItem{
			// Type is not filled in by the SDK.
			Type: "action",
			Action: messaging_api.PostbackAction{
				Label:       truncate(label, maxLabelRunes),
				Data:        c.Payload,
				DisplayText: truncate(label, maxDisplayRunes),
			},
		}
	}
	return &messaging_api.QuickReply{Items: items}
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
// LINE counts labels in grapheme clusters; runes are never fewer.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// utf16Len is the length LINE counts text in.
func utf16Len(s string) int { return textsplit.UTF16(s) }

// splitText cuts s into pieces of at most limit UTF-16 units with the
// project's one splitter.
func splitText(s string, limit int) []string { return textsplit.Split(s, limit, textsplit.UTF16) }

// merge joins neighbouring texts while they fit in one message, so that
// fewer requests are needed; nothing is dropped.
func merge(texts []string, limit int) []string {
	out := []string{texts[0]}
	for _, t := range texts[1:] {
		last := out[len(out)-1]
		if utf16Len(last)+2+utf16Len(t) <= limit {
			out[len(out)-1] = last + "\n\n" + t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// Preview returns the JSON of each message the adapter would send for
// replies, exactly as sent: the console's "Try it" shows it laid out.
func Preview(replies []bot.Reply) []json.RawMessage {
	var out []json.RawMessage
	for _, b := range batches(render(replies)) {
		var req struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if json.Unmarshal(replyBody("preview", b), &req) == nil {
			out = append(out, req.Messages...)
		}
	}
	return out
}
