package telegram

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"example.com/sswbot/bot"
	"example.com/sswbot/textsplit"
)

// Message is one sendMessage as Telegram receives it: the text in
// parse_mode HTML, the same text as the user reads it (sent instead when
// Telegram refuses the HTML), and the inline keyboard (nil for none).
type Message struct {
	HTML     string
	Plain    string
	Keyboard [][]Button
}

// Button is an inline keyboard button: a callback button (CallbackData) or
// a link (URL), which Telegram opens without asking the bot.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Telegram's limits and our choices for the keyboard.
const (
	// maxButtonRunes keeps a link button's text to what a phone shows on
	// one line; Telegram cuts longer ones itself, at a width we cannot know.
	maxButtonRunes = 40
	// shortLabel is the longest label that still goes two to a row.
	shortLabel = 16
)

// Format lays the bot's replies out as Telegram messages. A reply with a
// card (a step, the checklist, the contacts, the comparison, the summary)
// becomes one HTML message in place of the Span plain replies that carry
// its text: the step counter and title in bold, the side and the source in
// italics, who/where/contact labels in bold; phone numbers and e-mail
// addresses stay plain text, which Telegram makes tappable; official pages
// become URL buttons beside the choice buttons. Other replies are their
// escaped text. A text over Telegram's 4,096 characters is split with the
// project's splitter (never inside a tag or an entity, tags balanced); the
// keyboard goes on the last message. The console's preview calls it too.
func Format(replies []bot.Reply) []Message { return format(replies, nil) }

// format is Format; dropped is told about every button it leaves out (a
// payload no platform carries, a link without an http(s) URL).
func format(replies []bot.Reply, dropped func(what string)) []Message {
	if dropped == nil {
		dropped = func(string) {}
	}
	var out []Message
	for i := 0; i < len(replies); {
		r := replies[i]
		group := replies[i : i+1]
		text := escapeHTML(strings.TrimSpace(r.Text))
		if c := r.Card; c != nil {
			n := min(max(c.Span, 1), len(replies)-i)
			group = replies[i : i+n]
			if h := cardHTML(c); h != "" {
				text = h
			}
		}
		i += len(group)
		var choices []bot.Choice
		var links []bot.Link
		for _, g := range group {
			choices = append(choices, g.Choices...)
			links = append(links, g.Links...)
		}
		if c := group[0].Card; c != nil {
			// The card's own buttons (the comparison's general notes)
			// first, under the text they extend; then the reply's choices
			// and the item buttons it does not already offer.
			choices = append(append([]bot.Choice(nil), c.Actions...), choices...)
			choices = append(choices, cardActions(c, choices)...)
			for _, l := range c.Links {
				links = append(links, bot.Link{Label: l.Title, URL: l.URL})
			}
		}
		kb := keyboard(choices, links, dropped)
		if text == "" {
			if kb == nil {
				continue
			}
			text = "⬇" // Telegram refuses a keyboard without text
		}
		parts := textsplit.SplitHTML(text, maxTextRunes, textsplit.UTF16)
		for j, p := range parts {
			m := Message{HTML: p, Plain: plainText(p)}
			if j == len(parts)-1 {
				m.Keyboard = kb
			}
			out = append(out, m)
		}
	}
	return out
}

// cardActions are the card's item buttons ("Details: A.1") the reply does
// not already offer.
func cardActions(c *bot.Card, have []bot.Choice) []bot.Choice {
	var all []bot.Choice
	for _, it := range c.Items {
		if it.Action != nil {
			all = append(all, *it.Action)
		}
	}
	var out []bot.Choice
	for _, a := range all {
		dup := false
		for _, h := range append(have, out...) {
			dup = dup || h.Payload == a.Payload
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// keyboard lays out the buttons: short choice labels two to a row, long
// ones and links a row each; a URL already offered is not repeated.
func keyboard(choices []bot.Choice, links []bot.Link, dropped func(string)) [][]Button {
	var rows [][]Button
	var pending *Button
	flush := func() {
		if pending != nil {
			rows = append(rows, []Button{*pending})
			pending = nil
		}
	}
	for _, c := range choices {
		if !validPayload(c.Payload) || strings.TrimSpace(c.Label) == "" {
			dropped("button: payload must be 1-64 bytes of printable ASCII and the label not empty")
			continue
		}
		b := Button{Text: c.Label, CallbackData: c.Payload}
		switch short := utf8.RuneCountInString(c.Label) <= shortLabel; {
		case short && pending != nil:
			rows = append(rows, []Button{*pending, b})
			pending = nil
		case short:
			pending = &b
		default:
			flush()
			rows = append(rows, []Button{b})
		}
	}
	flush()
	seen := map[string]bool{}
	for _, l := range links {
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.TrimSpace(l.Label) == "" {
			dropped("link button: needs a label and an absolute http(s) URL")
			continue
		}
		if seen[l.URL] {
			continue
		}
		seen[l.URL] = true
		// Telegram marks a URL button with an arrow of its own.
		rows = append(rows, []Button{{Text: clip(l.Label, maxButtonRunes), URL: l.URL}})
	}
	return rows
}

// clip shortens s to at most n runes, marking a cut with an ellipsis.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// doc builds a card's HTML: every text escaped, tags only from Telegram's
// set, each block a paragraph.
type doc struct {
	paras []string
	cur   []string
}

func (h *doc) line(s string) {
	if s != "" {
		h.cur = append(h.cur, s)
	}
}

func (h *doc) para() {
	if len(h.cur) > 0 {
		h.paras = append(h.paras, strings.Join(h.cur, "\n"))
		h.cur = nil
	}
}

func (h *doc) String() string {
	h.para()
	return strings.Join(h.paras, "\n\n")
}

func b(s string) string {
	if s == "" {
		return ""
	}
	return "<b>" + escapeHTML(s) + "</b>"
}

func i(s string) string {
	if s == "" {
		return ""
	}
	return "<i>" + escapeHTML(s) + "</i>"
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// cardHTML renders a card; "" for a kind it does not know (the plain text
// is sent then).
func cardHTML(c *bot.Card) string {
	var h doc
	switch c.Kind {
	case bot.CardStep:
		h.line(joinNonEmpty(" · ", b(c.Header), i(c.Side)))
		h.line(b(c.Title))
		h.para()
		h.line(escapeHTML(c.Body))
		h.para()
		fields(&h, c.Fields)
		h.para()
		contacts(&h, c.Lang, c.Contacts)
		fields(&h, c.Notes)
		h.para()
		linkLines(&h, c.Links)
	case bot.CardChecklist, bot.CardSummary:
		h.line(b(c.Title))
		if c.Kind == bot.CardChecklist {
			h.line(i(c.Subtitle))
		}
		h.para()
		h.line(escapeHTML(c.Body))
		h.para()
		if c.Kind == bot.CardSummary {
			h.line(b(c.Subtitle))
		}
		for _, it := range c.Items {
			text := escapeHTML(it.Text)
			if it.Mark == "▶" {
				text = b(it.Text)
			}
			h.line(joinNonEmpty(" ", escapeHTML(it.Mark), text) + paren(c.Lang, i(it.Section)))
		}
	case bot.CardCompare:
		h.line(b(c.Title))
		h.para()
		h.line(escapeHTML(c.Body))
		h.para()
		for _, it := range c.Items {
			h.line(b(it.Text) + paren(c.Lang, i(it.Section)))
			h.line(escapeHTML(it.Note))
			h.para()
		}
	case bot.CardContacts:
		h.line(b(c.Title))
		h.para()
		h.line(escapeHTML(c.Body))
		h.para()
		contacts(&h, c.Lang, c.Contacts)
		linkLines(&h, c.Links)
	default:
		return ""
	}
	h.para()
	h.line(i(c.Source))
	return h.String()
}

// paren puts HTML in brackets after a space, full-width （） in Japanese.
func paren(lang, h string) string {
	switch {
	case h == "":
		return ""
	case lang == "ja":
		return "（" + h + "）"
	}
	return " (" + h + ")"
}

func fields(h *doc, fs []bot.Field) {
	for _, f := range fs {
		h.line(labelled(b(f.Label), escapeHTML(f.Value)))
	}
}

// labelled puts a label before its value: after a full-width colon
// (Japanese) without a space.
func labelled(label, value string) string {
	if strings.HasSuffix(label, "：") || strings.HasSuffix(label, "：</b>") {
		return label + value
	}
	return joinNonEmpty(" ", label, value)
}

// contacts writes each organisation as a paragraph: its name in bold, then
// one line per address, phone and e-mail, as plain text (Telegram links
// phone numbers and e-mail addresses itself).
func contacts(h *doc, lang string, cs []bot.CardContact) {
	for _, c := range cs {
		if c.Label != "" {
			h.line(labelled(b(c.Label), b(c.Name)))
		} else {
			h.line(b(c.Name))
		}
		for _, l := range c.Lines {
			v := escapeHTML(l.Value) + paren(lang, escapeHTML(l.Note))
			h.line(labelled(escapeHTML(l.Label), v))
		}
		h.para()
	}
}

// linkLines names the official pages whose buttons follow, with their
// notes; the URLs are on the buttons.
func linkLines(h *doc, ls []bot.CardLink) {
	for _, l := range ls {
		h.line("🔗 " + escapeHTML(l.Title))
		h.line(escapeHTML(l.Note))
		h.para()
	}
}
