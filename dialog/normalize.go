package dialog

import (
	"strings"
	"unicode"
)

// Normalize repairs a session against the current flow: a session saved by
// older content keeps what still exists, and unknown answers or step ids
// send the user to the nearest valid question.
func Normalize(f *Flow, s Session) Session {
	if s.V == 0 && s.State == "" {
		return fresh(s.Lang)
	}
	s.V = SessionVersion
	// Answers are checked in the order of asking, so an answer is judged
	// by the (repaired) answers before it: a route of another location
	// goes. A question with a single answer is answered (sessions from
	// before a second country existed belong to the one there is); one
	// whose values depend on earlier answers only in the walk, which needs
	// it.
	walk := s.State == StateStep || s.State == StateDone
	for i := range questions {
		q := &questions[i]
		v, vs := q.Slot(&s), q.Values(f, s)
		if *v != "" && !has(vs, *v) {
			*v = ""
		}
		if *v == "" && len(vs) == 1 && (len(q.DependsOn) == 0 || walk) {
			*v = vs[0]
		}
	}
	r := f.Route(s.Country, s.Route)
	switch {
	case r == nil:
		s.Step = ""
	case r.Index(s.Step) < 0:
		s.Step = r.Steps[0].ID
	}
	if s.Misses < 0 || s.Misses >= MissesBeforeStaff {
		s.Misses = 0
	}
	// A state must agree with the answers (the walk needs a route, a
	// question its predecessors and a choice); otherwise the first open
	// question is asked. An aside (change, forget, offer) returns to a
	// valid state too.
	answered := func(st State) bool {
		for i := range questions {
			q := &questions[i]
			if q.State == st {
				return q.Asked(f, s)
			}
			if *q.Slot(&s) == "" {
				return false
			}
		}
		return (st == StateStep || st == StateDone) && r != nil
	}
	if s.State == StateJoin && s.JoinCode == "" {
		s.State, s.Return = s.Return, ""
	}
	if s.State != StateJoin {
		s.JoinCode = ""
	}
	if s.Case == "" {
		s.Side = ""
	}
	switch s.State {
	case StateChange, StateForget, StateOffer, StateJoin:
		if !answered(s.Return) {
			s.Return = firstOpen(f, s)
		}
	case "": // not started yet (a new or forgotten user; the language may be kept)
		if s.Role != "" || s.Location != "" {
			s.State = firstOpen(f, s)
		}
		s.Return = ""
	default:
		if !answered(s.State) {
			s.State = firstOpen(f, s)
		}
		s.Return = ""
	}
	return s
}

// firstOpen returns the first question without a valid answer (or, when
// that one is answered silently, the last one asked before it), or the walk.
func firstOpen(f *Flow, s Session) State {
	for i := range questions {
		q := &questions[i]
		if v := *q.Slot(&s); v != "" && q.Valid(f, s, v) {
			continue
		}
		if st := askedBefore(f, s, i); !q.Asked(f, s) && st != "" {
			return st
		}
		return q.State
	}
	return StateStep
}

// NormalizeText folds typed text for matching: full-width ASCII to
// half-width, lower case, surrounding spaces and punctuation trimmed, inner
// spaces collapsed. Labels and keywords are stored folded the same way.
func NormalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		r = unicode.ToLower(r)
		if r == 'ё' {
			r = 'е' // Russian writes both; the content uses е
		}
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r)
	})
}
