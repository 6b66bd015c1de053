package bot

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// TestWalkEveryState explores the whole state machine from a new session,
// pressing every button offered, in every language: every state and every
// step of every route is reachable, every state offers a way on, and every
// rendered message fits every platform.
func TestWalkEveryState(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(nil, kb, Options{}) // the walk needs no store
	if err != nil {
		t.Fatal(err)
	}
	f := svc.flow
	for _, lang := range knowledge.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			type key = dialog.Session
			start := dialog.Step(f, dialog.Session{}, dialog.Input{Kind: dialog.Start, LangHint: lang})
			seen := map[key]bool{}
			labels := map[string]bool{}
			queue := []dialog.Result{start}
			for len(queue) > 0 {
				res := queue[0]
				queue = queue[1:]
				s := res.Session
				checkRendered(t, svc, s, res.Replies)
				if seen[s] {
					continue
				}
				seen[s] = true
				labels[s.Label(f)] = true
				last := res.Replies[len(res.Replies)-1]
				if len(last.Choices) == 0 && !res.Forget {
					t.Fatalf("dead end in %+v after %v", s, last.Say)
				}
				for _, p := range last.Choices {
					queue = append(queue, dialog.Step(f, s, dialog.Input{Kind: dialog.Choice, Text: p.String()}))
				}
			}
			want := []string{"lang", "role", "location", "route", "change", "forget"}
			for _, r := range f.Routes {
				for i := range r.Steps {
					want = append(want, "step:"+r.ID+":"+itoa(i+1))
				}
				want = append(want, "done:"+r.ID)
			}
			for _, w := range want {
				if !labels[w] {
					t.Errorf("state %s is unreachable", w)
				}
			}
			if len(seen) < 50 {
				t.Errorf("only %d sessions explored", len(seen))
			}
		})
	}
}

// TestEveryStepRendersCleanly renders every step of every country alone
// (as a keyword shows it) in every language and role, through the style
// rules: a title inside the "About" template must not double a particle.
func TestEveryStepRendersCleanly(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(nil, kb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range kb.Countries {
		for id := range c.Steps {
			for _, lang := range knowledge.Languages {
				for _, role := range []string{"employer", "worker", "other"} {
					s := dialog.Session{Lang: lang, Role: role, Country: c.ID, State: dialog.StateStep}
					checkRendered(t, svc, s, []dialog.Reply{{Say: dialog.SayStepSingle, Step: id}})
				}
			}
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// linted remembers the rendered texts already linted: the walk renders the
// same few hundred texts many thousand times.
var linted sync.Map

func checkRendered(t *testing.T, svc *Service, s dialog.Session, out []dialog.Reply) {
	t.Helper()
	if len(out) == 0 {
		t.Fatalf("no reply in %+v", s)
	}
	replies := svc.r.render(s, out, nil)
	// The memos (split texts, laid-out replies, buttons) must give what
	// rendering anew gives: say may read no session field sayKey lacks.
	plain := svc.r
	plain.splits, plain.says, plain.choices = nil, nil, nil
	if again, want := svc.r.render(s, out, nil), plain.render(s, out, nil); !reflect.DeepEqual(again, want) || !reflect.DeepEqual(replies, want) {
		t.Fatalf("the memos render %+v in %+v differently:\n%+v\nanew:\n%+v", out, s, again, want)
	}
	if len(replies) > MaxMessages {
		t.Fatalf("%d messages in %+v", len(replies), s)
	}
	for _, r := range replies {
		// The length budget: a bubble fits a phone screen.
		if n := utf8.RuneCountInString(r.Text); n > MaxBubble || n == 0 {
			t.Fatalf("a bubble of %d characters (budget %d) in %+v:\n%s", n, MaxBubble, s, r.Text)
		}
		if strings.Contains(r.Text, "[") && strings.Contains(r.Text, "_") && strings.Contains(r.Text, "]") {
			for _, k := range uiKeys {
				if strings.Contains(r.Text, "["+k+"]") {
					t.Fatalf("missing text %s in %+v", k, s)
				}
			}
		}
		if strings.Contains(r.Text, "{") {
			t.Fatalf("an unfilled placeholder in %q", r.Text)
		}
		// The content's style rules hold for what is rendered from it too
		// (a source line with several sections, brackets around a section).
		if _, done := linted.LoadOrStore(s.Lang+"\x00"+r.Text, true); !done {
			for _, p := range knowledge.Lint(s.Lang, r.Text) {
				t.Fatalf("rendered %s text in %+v: %s", s.Lang, s, p)
			}
		}
		for _, c := range r.Choices {
			if len(c.Payload) > 64 || strings.ContainsFunc(c.Payload, func(r rune) bool { return r > 127 }) {
				t.Fatalf("payload %q is not short ASCII", c.Payload)
			}
			if n := utf8.RuneCountInString(c.Label); n == 0 || n > knowledge.MaxButton || c.Label == c.Payload {
				t.Fatalf("label %q for %q", c.Label, c.Payload)
			}
		}
		if len(r.Choices) > 13 {
			t.Fatalf("%d buttons (LINE shows 13)", len(r.Choices))
		}
	}
}
