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
	if !has(f.Languages, s.Lang) {
		s.Lang = ""
	}
	if !has(f.Roles, s.Role) {
		s.Role = ""
	}
	if !has(f.Locations, s.Location) {
		s.Location, s.Route, s.Step = "", "", ""
	}
	r := f.Route(s.Route)
	if r == nil || r.Location != s.Location {
		s.Route, s.Step, r = "", "", nil
	}
	if rs := f.RoutesAt(s.Location); r == nil && len(rs) == 1 && (s.State == StateStep || s.State == StateDone) {
		// The only route for the location needs no question.
		s.Route, s.Step, r = rs[0].ID, "", rs[0]
	}
	if r != nil && s.Step != "" && r.Index(s.Step) < 0 {
		s.Step = r.Steps[0].ID
	}
	if s.Misses < 0 || s.Misses >= MissesBeforeStaff {
		s.Misses = 0
	}
	switch s.Return {
	case "", StateLang, StateRole, StateLocation, StateRoute, StateStep, StateDone:
	default:
		s.Return = ""
	}
	// The state must agree with the answers; otherwise ask the first open
	// question (the walk needs a route, a question needs its predecessors).
	ok := true
	switch s.State {
	case StateLang, StateChange, StateForget:
	case StateRole:
		ok = s.Lang != ""
	case StateLocation:
		ok = s.Lang != "" && s.Role != ""
	case StateRoute:
		ok = s.Lang != "" && s.Role != "" && s.Location != "" && len(f.RoutesAt(s.Location)) > 1
	case StateStep, StateDone:
		ok = s.Lang != "" && s.Role != "" && r != nil
		if ok && s.Step == "" {
			s.Step = r.Steps[0].ID
		}
	case "":
		ok = s.Lang == "" && s.Role == "" && s.Location == ""
	default:
		ok = false
	}
	if !ok {
		s.State = firstOpen(f, s)
		if s.State == StateStep && s.Step == "" {
			s.Step = f.Route(s.Route).Steps[0].ID
		}
	}
	if s.State == StateForget || s.State == StateChange {
		if s.Return == "" {
			s.Return = firstOpen(f, s)
		}
	}
	return s
}

func firstOpen(f *Flow, s Session) State {
	switch {
	case s.Lang == "":
		return StateLang
	case s.Role == "":
		return StateRole
	case s.Location == "":
		return StateLocation
	case s.Route == "":
		if len(f.RoutesAt(s.Location)) > 1 {
			return StateRoute
		}
		return StateLocation
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
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r)
	})
}
