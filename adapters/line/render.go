package line

import (
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

// render turns the bot's replies into LINE text messages. Long texts are
// split; the buttons of the last reply that has any go on the last message,
// the only one whose quick reply LINE shows. Links are appended to the text
// (LINE links URLs itself) unless the text already holds them.
func render(replies []bot.Reply) []messaging_api.TextMessage {
	var (
		texts   []string
		choices []bot.Choice
	)
	for _, r := range replies {
		t := withLinks(r.Text, r.Links)
		if strings.TrimSpace(t) != "" {
			texts = append(texts, splitText(t, maxTextUnits)...)
		}
		if len(r.Choices) > 0 {
			choices = r.Choices
		}
	}
	if len(texts) == 0 {
		if len(choices) == 0 {
			return nil
		}
		texts = []string{"…"} // LINE needs a text to carry the buttons
	}
	if len(texts) > maxMessages {
		texts = merge(texts, maxTextUnits)
	}
	msgs := make([]messaging_api.TextMessage, len(texts))
	for i, t := range texts {
		msgs[i] = messaging_api.TextMessage{Text: t}
	}
	msgs[len(msgs)-1].QuickReply = quickReply(choices)
	return msgs
}

// batches groups messages into requests of at most maxMessages, in order.
func batches(msgs []messaging_api.TextMessage) [][]messaging_api.MessageInterface {
	var out [][]messaging_api.MessageInterface
	for len(msgs) > 0 {
		n := min(len(msgs), maxMessages)
		b := make([]messaging_api.MessageInterface, n)
		for i := range n {
			b[i] = msgs[i]
		}
		out = append(out, b)
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

func quickReply(choices []bot.Choice) *messaging_api.QuickReply {
	if len(choices) == 0 {
		return nil
	}
	choices = choices[:min(len(choices), maxQuickReplies)]
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
