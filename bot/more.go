package bot

import (
	"strings"

	"example.com/sswbot/dialog"
)

// A platform that shows only a few buttons under a message (LINE: we keep
// to 5 of its 13 quick replies, so they fit a phone's width) shows the
// first ones and a "More" button that brings the rest. "More" is answered
// by the bot without the dialog: it changes nothing in the conversation and
// is not a misunderstanding, and the buttons it brings are ordinary ones
// (pressed after the conversation moved on, they are stale like any old
// button). Its payload lists the remaining payloads, so no state is kept
// for it.
const (
	morePrefix = "more:"
	// maxPayload is the longest payload every platform takes (Telegram's
	// callback_data is at most 64 bytes).
	maxPayload = 64
)

// Page returns the buttons to show under r on a platform that shows at most
// n: all of them when they fit, else the first n-1 and a "More" button (in
// the user's language) that brings the rest. When the rest cannot be named
// in one payload, all buttons are returned: nothing may become unreachable.
func (r Reply) Page(n int) []Choice {
	if len(r.Choices) <= n || n < 2 || r.More == "" {
		return r.Choices
	}
	shown, rest := r.Choices[:n-1], r.Choices[n-1:]
	ps := make([]string, len(rest))
	for i, c := range rest {
		ps[i] = c.Payload
	}
	p := morePrefix + strings.Join(ps, " ")
	if len(p) > maxPayload {
		return r.Choices
	}
	return append(append([]Choice(nil), shown...), Choice{Label: r.More, Payload: p})
}

// isMore reports whether a pressed button is a "More" button.
func isMore(ev Event) bool { return ev.Kind == KindChoice && strings.HasPrefix(ev.Text, morePrefix) }

// more answers a "More" button: the buttons its payload names, under a
// short text. A forged payload naming no valid button gets the stale-button
// text and no buttons.
func (r *renderer) more(s dialog.Session, payload string) []Reply {
	lang, c := s.Lang, r.country(s)
	var choices []Choice
	for _, f := range strings.Fields(strings.TrimPrefix(payload, morePrefix)) {
		if p, ok := dialog.Parse(f); ok {
			choices = append(choices, r.button(p, c, lang).choice)
		}
	}
	if len(choices) == 0 {
		return []Reply{{Text: r.ui("stale_button", lang)}}
	}
	return []Reply{{Text: r.ui("more_choices", lang), Choices: choices, More: r.ui("btn_more", lang)}}
}
