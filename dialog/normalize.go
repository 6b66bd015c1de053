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
	switch {
	case has(f.Countries, s.Country):
	case len(f.Countries) == 1 && (s.Country == "" || f.Route(f.Countries[0], s.Route) != nil):
		// One country: sessions from before countries existed belong to it.
		s.Country = f.Countries[0]
	default:
		s.Country, s.Route, s.Step = "", "", ""
		if len(f.Countries) == 1 {
			s.Country = f.Countries[0]
		}
	}
	if !has(f.Locations, s.Location) {
		s.Location, s.Route, s.Step = "", "", ""
	}
	r := f.Route(s.Country, s.Route)
	if r == nil || r.Location != s.Location {
		s.Route, s.Step, r = "", "", nil
	}
	if rs := f.RoutesAt(s.Country, s.Location); r == nil && len(rs) == 1 && (s.State == StateStep || s.State == StateDone) {
		// The only route for the location needs no question.
		s.Route, s.Step, r = rs[0].ID, "", rs[0]
	}
	if r != nil && s.Step != "" && r.Index(s.Step) < 0 {
		s.Step = r.Steps[0].ID
	}
	if s.Misses < 0 || s.Misses >= MissesBeforeStaff {
		s.Misses = 0
	}
	if r != nil && s.Step == "" {
		s.Step = r.Steps[0].ID
	}
	// A state must agree with the answers (the walk needs a route, a
	// question its predecessors); otherwise the first open question is
	// asked. An aside (change, forget, offer) returns to a valid state too.
	answered := func(st State) bool {
		switch st {
		case StateLang:
			return true
		case StateRole:
			return s.Lang != ""
		case StateCountry:
			return s.Lang != "" && s.Role != "" && len(f.Countries) > 1
		case StateLocation:
			return s.Lang != "" && s.Role != "" && s.Country != ""
		case StateRoute:
			return s.Lang != "" && s.Role != "" && s.Location != "" && len(f.RoutesAt(s.Country, s.Location)) > 1
		case StateStep, StateDone:
			return s.Lang != "" && s.Role != "" && r != nil
		}
		return false
	}
	switch s.State {
	case StateChange, StateForget, StateOffer:
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

func firstOpen(f *Flow, s Session) State {
	switch {
	case s.Lang == "":
		return StateLang
	case s.Role == "":
		return StateRole
	case s.Country == "":
		return StateCountry
	case s.Location == "":
		return StateLocation
	case f.Route(s.Country, s.Route) == nil:
		if len(f.RoutesAt(s.Country, s.Location)) > 1 {
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
