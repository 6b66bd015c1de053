package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/internal/replysamples"
)

// TestCardsMatchTheirText checks, for every answer of every walk, that a
// card covers exactly its Span replies and that every text of the card is
// in them: an adapter showing the card instead of the text drops nothing.
func TestCardsMatchTheirText(t *testing.T) {
	kinds := map[bot.CardKind]int{}
	biggest := 0
	for _, s := range replysamples.All(t) {
		for i, r := range s.Replies {
			if r.Card == nil {
				continue
			}
			c := r.Card
			kinds[c.Kind]++
			if i+c.Spans() > len(s.Replies) {
				t.Fatalf("%s: a card spanning %d replies from reply %d of %d", s.Name, c.Spans(), i, len(s.Replies))
			}
			var text strings.Builder
			for _, x := range s.Replies[i : i+c.Spans()] {
				if x.Card != nil && x.Card != c {
					t.Fatalf("%s: two cards in one span", s.Name)
				}
				text.WriteString(x.Text + "\n")
			}
			for _, want := range cardTexts(c) {
				if !strings.Contains(text.String(), want) {
					t.Errorf("%s: the card's %q is not in its text:\n%s", s.Name, want, text.String())
				}
			}
			if c.Kind == bot.CardStep && (c.Title == "" || c.Body == "" || c.Source == "" || len(c.Fields) == 0) {
				t.Errorf("%s: an incomplete step card %+v", s.Name, c)
			}
		}
		b, _ := json.Marshal(s.Replies)
		biggest = max(biggest, len(b))
	}
	for _, k := range []bot.CardKind{bot.CardStep, bot.CardChecklist, bot.CardContacts, bot.CardSummary, bot.CardCompare} {
		if kinds[k] == 0 {
			t.Errorf("no %s card in any walk", k)
		}
	}
	// The replies are stored with the dedupe record of every event.
	t.Logf("largest answer as stored: %d bytes of JSON", biggest)
	if biggest > 16<<10 {
		t.Errorf("an answer of %d bytes of JSON: the dedupe record grows too much", biggest)
	}
}

// cardTexts lists the texts of a card that its plain form must show (the
// compare card's route lines are the route summaries, shown when a route
// is chosen, and its buttons are new).
func cardTexts(c *bot.Card) []string {
	out := []string{c.Header, c.Side, c.Title, c.Subtitle, c.Body, c.Source}
	for _, f := range append(append([]bot.Field(nil), c.Fields...), c.Notes...) {
		out = append(out, f.Label, f.Value)
	}
	if c.Kind != bot.CardCompare {
		for _, it := range c.Items {
			out = append(out, it.Mark, it.Text, it.Section)
		}
	}
	for _, ct := range c.Contacts {
		out = append(out, ct.Label, ct.Name)
		for _, l := range ct.Lines {
			out = append(out, l.Label, l.Value, l.Note)
		}
	}
	for _, l := range c.Links {
		out = append(out, l.Title, l.URL, l.Note)
	}
	var keep []string
	for _, s := range out {
		if s != "" {
			keep = append(keep, s)
		}
	}
	return keep
}
