package console

import (
	"html/template"
	"strings"
)

// TelegramMessage is one Telegram message as the Telegram adapter would
// send it (its Format): Bot API HTML and the inline keyboard. The console
// does not import the adapter; cmd/sswbot converts.
type TelegramMessage struct {
	HTML     string
	Keyboard [][]TelegramButton
}

// TelegramButton is an inline keyboard button; URL is set for a link.
type TelegramButton struct {
	Text string
	URL  string
}

// tgMessage is a TelegramMessage ready for the template.
type tgMessage struct {
	HTML     template.HTML
	Keyboard [][]TelegramButton
}

// tgTags are the Bot API's tags that carry no attribute; they are shown as
// HTML. Every other "<" (an <a href>, a tag with attributes, anything the
// adapter should never produce) is shown as text, so the preview cannot
// run or link anything the check has not seen.
var tgTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "code": true, "pre": true, "blockquote": true,
}

// safeTelegramHTML keeps the attribute-free Bot API tags of s and escapes
// every other "<". The entities the adapter writes (&lt; &gt; &amp; &quot;)
// are valid HTML as they are; a bare "&" stays an "&" in the browser.
func safeTelegramHTML(s string) template.HTML {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		if j := strings.IndexByte(s, '>'); j > 0 {
			name := strings.TrimPrefix(s[1:j], "/")
			if tgTags[name] {
				b.WriteString(s[:j+1])
				s = s[j+1:]
				continue
			}
		}
		b.WriteString("&lt;")
		s = s[1:]
	}
	return template.HTML(b.String())
}

func tgMessages(ms []TelegramMessage) []tgMessage {
	out := make([]tgMessage, len(ms))
	for i, m := range ms {
		out[i] = tgMessage{HTML: safeTelegramHTML(m.HTML), Keyboard: m.Keyboard}
	}
	return out
}
