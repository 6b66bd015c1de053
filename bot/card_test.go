package bot_test

import (
	"context"
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

// TestMoreShowsTheRestAndChangesNothing: on a step, five buttons show (four
// and "More"); "More" brings the other three, leaves the conversation where
// it was and is no misunderstanding.
func TestMoreShowsTheRestAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "en"})
	h.send(t, press("r:employer"))
	h.send(t, press("w:kg"))
	out := h.send(t, press("rt:direct"))
	last := out.Replies[len(out.Replies)-1]
	page := last.Page(5)
	if len(last.Choices) != 7 || len(page) != 5 || page[4].Label != "More" {
		t.Fatalf("page of %d buttons: %+v", len(last.Choices), page)
	}
	more := h.send(t, press(page[4].Payload))
	if len(more.Replies) != 1 || more.Replies[0].Text != "More options:" {
		t.Fatalf("More answered %+v", more.Replies)
	}
	var got []string
	for _, c := range more.Replies[0].Choices {
		got = append(got, c.Payload)
	}
	var want []string
	for _, c := range last.Choices[4:] {
		want = append(want, c.Payload)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("More brought %v, want %v", got, want)
	}
	m, _ := h.store.Meta(context.Background(), bot.ConversationOf(bot.Telegram, "u1"))
	if m.Misses != 0 {
		t.Errorf("More counted as %d misunderstandings", m.Misses)
	}
	// The conversation is still at the first step: "next" goes to the second.
	next := h.send(t, press(choiceFor(t, out, "n:")))
	if !strings.Contains(joinTexts(next), "Step 2 of 4") {
		t.Errorf("after More, next shows %q", joinTexts(next))
	}
	// A forged More changes nothing either and says the button is old.
	forged := h.send(t, press("more:nonsense"))
	if len(forged.Replies) != 1 || len(forged.Replies[0].Choices) != 0 {
		t.Errorf("forged More answered %+v", forged.Replies)
	}
}

// TestEveryPageFits: under every answer, a page of five buttons names the
// rest in a payload every platform takes.
func TestEveryPageFits(t *testing.T) {
	for _, s := range replysamples.All(t) {
		for _, r := range s.Replies {
			page := r.Page(5)
			if len(r.Choices) > 5 && len(page) != 5 {
				t.Errorf("%s: %d buttons on a page of five", s.Name, len(page))
			}
			for _, c := range page {
				if len(c.Payload) > 64 {
					t.Errorf("%s: payload %q over 64 bytes", s.Name, c.Payload)
				}
			}
		}
	}
}

// TestSameAgenciesNoteOnce: no answer (a step with the lists, the
// contacts, anything) says more than once that the two official lists name
// the same agencies; the contacts list says it.
func TestSameAgenciesNoteOnce(t *testing.T) {
	said := 0
	for _, s := range replysamples.All(t) {
		text := ""
		for _, r := range s.Replies {
			text += r.Text + "\n"
		}
		for _, phrase := range replysamples.SameAgenciesPhrases {
			n := strings.Count(text, phrase)
			if n > 1 {
				t.Errorf("%s: %q %d times", s.Name, phrase, n)
			}
			if strings.HasSuffix(s.Name, "/g:contacts") && n == 1 {
				said++
			}
		}
	}
	if said == 0 {
		t.Error("no contacts list says that ① and ② name the same agencies: the phrases changed?")
	}
}

// TestComparisonReachableFromItsCard: a platform that shows the comparison
// as its card (one line per route) still reaches every general line of the
// comparison, in every language: the introduction on the card, the rest
// behind the card's "Notes on all routes", which keeps the route question
// and its buttons. The route bullets are the route summaries on the card.
func TestComparisonReachableFromItsCard(t *testing.T) {
	c := mustKB(t).Country("kg")
	for _, lang := range []string{"ja", "en", "ru", "ky"} {
		h := newHarness(t)
		h.send(t, bot.Event{Kind: bot.KindStart, Lang: lang})
		h.send(t, press("r:employer"))
		h.send(t, press("w:kg"))
		out := h.send(t, press("rt:compare"))
		var card *bot.Card
		for _, r := range out.Replies {
			if r.Card != nil && r.Card.Kind == bot.CardCompare {
				card = r.Card
			}
		}
		if card == nil || len(card.Actions) != 1 {
			t.Fatalf("%s: compare card %+v", lang, card)
		}
		shown := card.Body + "\n"
		for _, it := range card.Items {
			shown += it.Text + "\n" + it.Note + "\n"
		}
		notes := h.send(t, press(card.Actions[0].Payload))
		shown += joinTexts(notes)
		for _, line := range strings.Split(c.Compare.In(lang), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "・") || strings.HasPrefix(line, "•") {
				continue
			}
			if !strings.Contains(shown, line) {
				t.Errorf("%s: %q is not reachable from the card", lang, line)
			}
		}
		last := notes.Replies[len(notes.Replies)-1]
		if len(last.Choices) == 0 || !strings.HasPrefix(last.Choices[0].Payload, "rt:") {
			t.Errorf("%s: the notes do not keep the route question's buttons: %+v", lang, last.Choices)
		}
		for _, r := range notes.Replies {
			if n := len([]rune(r.Text)); n > bot.MaxBubble {
				t.Errorf("%s: a bubble of %d characters", lang, n)
			}
		}
		m, _ := h.store.Meta(context.Background(), bot.ConversationOf(bot.Telegram, "u1"))
		if m.Misses != 0 {
			t.Errorf("%s: the notes counted as a misunderstanding", lang)
		}
	}
}
