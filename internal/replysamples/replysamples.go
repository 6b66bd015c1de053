// Package replysamples produces every kind of answer the bot gives, from the
// embedded content, for tests of what the adapters make of them: every step
// of every route in every language for every role, the comparison, the
// comparison's general notes, the checklist (on the way and after the end),
// the summary and the contacts.
// It runs the real bot on the in-memory store; it knows nothing of any
// platform.
package replysamples

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
)

// SameAgenciesPhrases are how the content says, in each language, that the
// official lists ① and ② name the same agencies: an answer says it at most
// once, in the plain text and as each platform sends it.
var SameAgenciesPhrases = []string{"same certified sending agencies", "同じ認定送出機関", "те же агентства", "ошол эле агенттиктер"}

// Sample is one answer: where it was given ("en/employer/direct/n:A.1.1")
// and what the bot answered.
type Sample struct {
	Name    string
	Lang    string
	Replies []bot.Reply
}

// All walks every language × role × route to its end and returns each
// answer on the way, plus the comparison, the checklist and the contacts.
func All(tb testing.TB) []Sample {
	tb.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		tb.Fatal(err)
	}
	var out []Sample
	for _, lang := range knowledge.Languages {
		for _, role := range kb.Roles {
			for _, c := range kb.Countries {
				for _, rt := range c.Routes {
					out = append(out, walk(tb, kb, lang, role, rt.Location, rt.ID)...)
				}
			}
		}
	}
	return out
}

type walker struct {
	tb      testing.TB
	svc     *bot.Service
	n       int
	prefix  string
	lang    string
	samples []Sample
	last    bot.Outcome
}

func (w *walker) send(kind bot.Kind, text string) {
	w.tb.Helper()
	w.n++
	ev := bot.Event{Platform: bot.Telegram, UserID: "u1", EventID: fmt.Sprintf("ev-%d", w.n), Kind: kind, Text: text, Lang: w.lang}
	out, err := w.svc.Handle(context.Background(), ev)
	if err != nil {
		w.tb.Fatal(err)
	}
	w.last = out
	w.samples = append(w.samples, Sample{Name: w.prefix + "/" + text, Lang: w.lang, Replies: out.Replies})
}

// has reports whether the last answer offers payload p.
func (w *walker) has(p string) bool {
	if len(w.last.Replies) == 0 {
		return false
	}
	for _, c := range w.last.Replies[len(w.last.Replies)-1].Choices {
		if c.Payload == p {
			return true
		}
	}
	return false
}

// next returns the last answer's "next" or "finish" payload, "" at the end.
func (w *walker) next() string {
	for _, c := range w.last.Replies[len(w.last.Replies)-1].Choices {
		if strings.HasPrefix(c.Payload, "n:") || strings.HasPrefix(c.Payload, "fin:") {
			return c.Payload
		}
	}
	return ""
}

func walk(tb testing.TB, kb *knowledge.Base, lang, role, location, route string) []Sample {
	tb.Helper()
	svc, err := bot.New(memstore.New(memstore.Options{}), kb, bot.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	w := &walker{tb: tb, svc: svc, prefix: lang + "/" + role + "/" + route, lang: lang}
	w.send(bot.KindStart, "")
	w.send(bot.KindChoice, "r:"+role)
	w.send(bot.KindChoice, "w:"+location)
	if w.has("rt:compare") {
		w.send(bot.KindChoice, "rt:compare")
		w.send(bot.KindChoice, "notes") // the comparison's general notes
	}
	if w.has("rt:" + route) {
		w.send(bot.KindChoice, "rt:"+route)
	}
	w.send(bot.KindChoice, "all") // the checklist on the way
	w.send(bot.KindChoice, "c")
	for i := 0; i < 20; i++ {
		p := w.next()
		if p == "" {
			break
		}
		w.send(bot.KindChoice, p)
	}
	w.send(bot.KindChoice, "all")
	w.send(bot.KindChoice, bot.PayloadContacts)
	return w.samples
}
