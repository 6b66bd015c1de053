package line

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
)

// LINE's Flex limits we design for (Messaging API reference; see
// docs/messages.md). altText may be 1,500 characters today; we keep to the
// older 400, which every client shows whole in a notification. A bubble's
// JSON may be 30 KB; we keep to the older 10 KB.
const (
	maxAltText    = 400
	maxBubbleJSON = 10 << 10
	maxPostback   = 300
	maxURI        = 1000
)

// Colours of the header by the side a procedure belongs to, so that a
// Japanese-side and a Kyrgyz-side step look different at a glance.
var sideColour = map[string]string{"": "#3A4A5C", "japanese": "#1F4E8C", "kyrgyz": "#B0122B"}

const (
	grey = "#6B7280"
	link = "#1565C0"
)

// flex lays a card out as one Flex bubble. It returns false for a kind it
// does not know (the text is sent instead). Everything a card says is in
// the bubble: the texts come from the card, which comes from the content.
func flex(c *bot.Card) (*messaging_api.FlexMessage, bool) {
	var b *messaging_api.FlexBubble
	switch c.Kind {
	case bot.CardStep:
		b = stepBubble(c)
	case bot.CardChecklist, bot.CardSummary:
		b = listBubble(c)
	case bot.CardContacts:
		b = contactsBubble(c)
	case bot.CardCompare:
		b = compareBubble(c)
	default:
		return nil, false
	}
	return &messaging_api.FlexMessage{AltText: altText(c), Contents: b}, true
}

// stepBubble: header (counter and side), title, body, who and where, notes,
// contacts, links, and the source in a small footer.
func stepBubble(c *bot.Card) *messaging_api.FlexBubble {
	var head []messaging_api.FlexComponentInterface
	if c.Header != "" {
		head = append(head, txt(c.Header, "sm", "#FFFFFF", true))
	}
	if c.Side != "" {
		head = append(head, txt(c.Side, "xs", "#FFFFFF", false))
	}
	body := []messaging_api.FlexComponentInterface{txt(c.Title, "lg", "", true), txt(c.Body, "sm", "", false)}
	if len(c.Fields) > 0 {
		body = append(body, sep())
		for _, f := range c.Fields {
			body = append(body, field(f))
		}
	}
	for _, n := range c.Notes {
		body = append(body, vbox([]messaging_api.FlexComponentInterface{
			txt("※ "+n.Label, "xxs", grey, false), txt(n.Value, "xs", "", false)}, "none"))
	}
	body = append(body, contactBoxes(c.Contacts)...)
	body = append(body, linkBoxes(c.Links)...)
	b := bubble(body, c.Source)
	if len(head) > 0 {
		b.Header = vbox(head, "none")
		b.Header.BackgroundColor = sideColour[""]
		if colour, ok := sideColour[c.SideID]; ok {
			b.Header.BackgroundColor = colour
		}
	}
	return b
}

// listBubble: the route's steps with their marks (checklist), after the
// answers at the end of a route (summary).
func listBubble(c *bot.Card) *messaging_api.FlexBubble {
	body := []messaging_api.FlexComponentInterface{txt(c.Title, "md", "", true)}
	if c.Kind == bot.CardSummary {
		body = append(body, txt(c.Body, "sm", "", false), sep(), txt(c.Subtitle, "sm", "", true))
	} else if c.Subtitle != "" {
		body = append(body, txt(c.Subtitle, "xxs", grey, false))
	}
	for _, it := range c.Items {
		// The section in a small grey span: no brackets, which differ
		// between Japanese and the other languages.
		t := txt(it.Mark+" "+it.Text, "sm", "", false)
		t.Contents = []messaging_api.FlexSpan{{Text: it.Mark + " " + it.Text + " "}, {Text: it.Section, Size: "xxs", Color: grey}}
		if it.Mark == "▶" {
			t.Contents[0].Weight = messaging_api.FlexSpanWEIGHT_BOLD
		}
		body = append(body, t)
	}
	return bubble(body, c.Source)
}

// contactsBubble: the title and introduction, each organisation, the
// official lists, the sources.
func contactsBubble(c *bot.Card) *messaging_api.FlexBubble {
	body := []messaging_api.FlexComponentInterface{txt(c.Title, "md", "", true), txt(c.Body, "sm", "", false)}
	body = append(body, contactBoxes(c.Contacts)...)
	body = append(body, linkBoxes(c.Links)...)
	return bubble(body, c.Source)
}

// compareBubble: the introduction, one line per route with its summary and
// a button that opens it (the route's button: it starts the route's first
// step), and the card's own buttons (the general notes) at its foot.
func compareBubble(c *bot.Card) *messaging_api.FlexBubble {
	body := []messaging_api.FlexComponentInterface{txt(c.Title, "md", "", true)}
	if c.Body != "" {
		body = append(body, txt(c.Body, "xs", "", false))
	}
	for _, it := range c.Items {
		rows := []messaging_api.FlexComponentInterface{txt(it.Text, "sm", "", true), txt(it.Note, "xs", grey, false)}
		if it.Action != nil {
			rows = append(rows, button(*it.Action, messaging_api.FlexButtonSTYLE_SECONDARY))
		}
		body = append(body, sep(), vbox(rows, "sm"))
	}
	if len(c.Actions) > 0 {
		body = append(body, sep())
		for _, a := range c.Actions {
			body = append(body, button(a, messaging_api.FlexButtonSTYLE_LINK))
		}
	}
	return bubble(body, c.Source)
}

// button is a small Flex button that sends a postback.
func button(c bot.Choice, style messaging_api.FlexButtonSTYLE) *messaging_api.FlexButton {
	return &messaging_api.FlexButton{Action: postback(c.Label, c.Payload), Style: style, Height: messaging_api.FlexButtonHEIGHT_SM}
}

// contactBoxes lays out organisations: the name, the address, each phone
// as a tel: action, each e-mail address as text (LINE documents no mailto:
// scheme for actions; apps make the address tappable themselves), each
// link as a URI action.
func contactBoxes(cs []bot.CardContact) []messaging_api.FlexComponentInterface {
	var out []messaging_api.FlexComponentInterface
	for _, ct := range cs {
		rows := []messaging_api.FlexComponentInterface{}
		if ct.Label != "" {
			rows = append(rows, txt(ct.Label, "xxs", grey, false))
		}
		rows = append(rows, txt(ct.Name, "sm", "", true))
		for _, l := range ct.Lines {
			v := l.Value
			if l.Note != "" {
				v += " (" + l.Note + ")"
			}
			f := field(bot.Field{Label: l.Label, Value: v})
			switch l.Kind {
			case bot.ContactPhone:
				f = tapField(l.Label, v, "tel:"+telURI(l.Value))
			case bot.ContactLink:
				f = tapField(l.Label, v, l.Value)
			}
			rows = append(rows, f)
		}
		out = append(out, sep(), vbox(rows, "xs"))
	}
	return out
}

// linkBoxes lays out official pages: the title as a URI action, the note.
func linkBoxes(ls []bot.CardLink) []messaging_api.FlexComponentInterface {
	var out []messaging_api.FlexComponentInterface
	for i, l := range ls {
		if i == 0 {
			out = append(out, sep())
		}
		rows := []messaging_api.FlexComponentInterface{tap("🔗 "+l.Title, "sm", l.URL)}
		if l.Note != "" {
			rows = append(rows, txt(l.Note, "xs", grey, false))
		}
		out = append(out, vbox(rows, "xs"))
	}
	return out
}

// bubble puts body in a bubble with the source line as its footer.
func bubble(body []messaging_api.FlexComponentInterface, source string) *messaging_api.FlexBubble {
	b := &messaging_api.FlexBubble{Size: messaging_api.FlexBubbleSIZE_GIGA, Body: vbox(body, "md")}
	if source != "" {
		b.Footer = vbox([]messaging_api.FlexComponentInterface{txt(source, "xxs", grey, false)}, "none")
	}
	return b
}

func vbox(contents []messaging_api.FlexComponentInterface, spacing string) *messaging_api.FlexBox {
	return &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: contents, Spacing: spacing}
}

// txt is a wrapping text (an empty text is not allowed in Flex: "-").
func txt(s, size, colour string, bold bool) *messaging_api.FlexText {
	if strings.TrimSpace(s) == "" {
		s = "-"
	}
	t := &messaging_api.FlexText{Text: s, Size: size, Color: colour, Wrap: true}
	if bold {
		t.Weight = messaging_api.FlexTextWEIGHT_BOLD
	}
	return t
}

// tap is a text that opens uri when tapped, looking like a link.
func tap(s, size, uri string) *messaging_api.FlexText {
	t := txt(s, size, link, false)
	t.Decoration = messaging_api.FlexTextDECORATION_UNDERLINE
	if validURI(uri) {
		t.Action = &messaging_api.UriAction{Uri: uri}
	}
	return t
}

// field is "Label value": the label small and grey above the value.
func field(f bot.Field) *messaging_api.FlexBox {
	return vbox([]messaging_api.FlexComponentInterface{txt(f.Label, "xxs", grey, false), txt(f.Value, "sm", "", false)}, "none")
}

func tapField(label, value, uri string) *messaging_api.FlexBox {
	return vbox([]messaging_api.FlexComponentInterface{txt(label, "xxs", grey, false), tap(value, "sm", uri)}, "none")
}

func sep() *messaging_api.FlexSeparator { return &messaging_api.FlexSeparator{Margin: "md"} }

func postback(label, data string) *messaging_api.PostbackAction {
	return &messaging_api.PostbackAction{Label: truncate(label, maxLabelRunes), Data: data, DisplayText: truncate(label, maxDisplayRunes)}
}

// telURI is a phone number as a tel: URI: digits and a leading "+".
func telURI(p string) string {
	var b strings.Builder
	for i, r := range p {
		if unicode.IsDigit(r) || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validURI: the schemes LINE documents for URI actions, within its length.
func validURI(u string) bool {
	if len(u) > maxURI {
		return false
	}
	for _, s := range []string{"https://", "http://", "tel:"} {
		if strings.HasPrefix(u, s) && len(u) > len(s) {
			return true
		}
	}
	return false
}

// altText is what notifications and old clients show: the card's header
// and title, then as much of its body or list as fits.
func altText(c *bot.Card) string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(c.Header)
	add(c.Title)
	add(c.Body)
	for _, it := range c.Items {
		add(strings.TrimSpace(it.Mark + " " + it.Text))
	}
	for _, ct := range c.Contacts {
		add(ct.Name)
	}
	return cutUnits(strings.Join(parts, "\n"), maxAltText)
}

// cutUnits shortens s to at most n UTF-16 units, ending in "…" when cut.
func cutUnits(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n-1 {
			return strings.TrimSpace(s[:i]) + "…"
		}
	}
	return s
}
