package dialog

import "strings"

// choose acts on a payload, from a button or a typed label or number.
// Payloads from earlier messages are handled gracefully: answers are
// accepted wherever the user is, step buttons that no longer match the
// current step say so and show where the user is now.
func (t *turn) choose(p string, in Input) {
	s := &t.s
	if s.State == "" {
		*s = fresh(s.Lang)
		s.State = StateLang
		if s.Lang != "" {
			s.State = StateRole
		}
	}
	s.Misses = 0
	kind, arg, _ := strings.Cut(p, ":")
	switch p {
	case PayloadHelp:
		t.say(SayHelp)
		t.current()
		return
	case PayloadLang:
		t.change(StateLang)
		return
	case PayloadRestart:
		*s = fresh(s.Lang)
		t.say(SayRestarted)
		t.advance()
		return
	case PayloadContacts:
		t.replies = append(t.replies, Reply{Say: SayContacts, Choices: t.choices()})
		return
	case PayloadStaff:
		if s.State == StateOffer {
			s.State, s.Return = s.Return, ""
		}
		s.Handoff = true
		t.replies = append(t.replies, Reply{Say: SayStaffRequested, Choices: t.choices()})
		return
	case PayloadForget:
		t.aside(StateForget)
		return
	case PayloadBack:
		t.back()
		return
	case payloadAll:
		if s.Route == "" {
			t.current()
			return
		}
		t.replies = append(t.replies, Reply{Say: SayChecklist, Choices: t.choices()})
		return
	case payloadChange:
		t.aside(StateChange)
		return
	case payloadContinue:
		t.resume()
		return
	case payloadNext:
		// A typed "next step": it means the current step, whichever it is.
		if s.State != StateStep {
			t.current()
			return
		}
		p, kind, arg = "n:"+s.Step, "n", s.Step
	case payloadCompare:
		t.say(SayCompare)
		if s.Location == "kg" || s.State == StateRoute {
			s.State = StateRoute
		}
		t.current()
		return
	case payloadYes:
		if s.State != StateForget {
			t.stale()
			return
		}
		t.forget = true
		*s = fresh(s.Lang)
		t.say(SayForgotten)
		return
	case payloadNo:
		if s.State != StateForget {
			t.stale()
			return
		}
		t.resume()
		return
	}
	switch kind {
	case "l":
		if !has(t.f.Languages, arg) {
			t.stale()
			return
		}
		first := s.Lang == "" && s.Role == ""
		s.Lang = arg
		if first {
			t.say(SayWelcome)
		}
		t.advance()
	case "r":
		if !has(t.f.Roles, arg) {
			t.stale()
			return
		}
		s.Role = arg
		t.advance()
	case "k":
		t.routeAnswer(t.f.Countries, &s.Country, arg)
	case "w":
		t.routeAnswer(t.f.Locations, &s.Location, arg)
	case "rt":
		r := t.f.Route(s.Country, arg)
		if r == nil || (s.Location != "" && r.Location != s.Location) {
			t.stale()
			return
		}
		if s.Route != arg {
			s.Step = ""
		}
		s.Location, s.Route = r.Location, arg
		t.advance()
	case "n", "fin":
		r := t.f.Route(s.Country, s.Route)
		if s.State != StateStep || s.Step != arg || r == nil {
			t.stale()
			return
		}
		i := r.Index(arg)
		if kind == "fin" || i == len(r.Steps)-1 {
			s.State = StateDone
			t.current()
			return
		}
		s.Step = r.Steps[i+1].ID
		t.current()
	case "chg":
		switch arg {
		case "lang":
			t.change(StateLang)
		case "role":
			t.change(StateRole)
		case "country":
			if len(t.f.Countries) > 1 {
				t.change(StateCountry)
				return
			}
			t.stale()
		case "loc":
			t.change(StateLocation)
		case "route":
			if len(t.f.RoutesAt(s.Country, s.Location)) > 1 {
				t.change(StateRoute)
				return
			}
			t.stale()
		default:
			t.stale()
		}
	default:
		t.unrec = true
		t.stale()
	}
}

// routeAnswer sets an answer the routes depend on (country, location):
// changing it drops the chosen route, keeping the other answers.
func (t *turn) routeAnswer(valid []string, field *string, arg string) {
	if !has(valid, arg) {
		t.stale()
		return
	}
	if *field != arg {
		t.s.Route, t.s.Step = "", ""
	}
	*field = arg
	t.advance()
}

// change re-asks one question; the other answers stay.
func (t *turn) change(to State) {
	if t.s.Lang == "" && to != StateLang {
		to = StateLang
	}
	t.s.State = to
	t.current()
}

// isAside reports whether st is a detour that returns to s.Return.
func isAside(st State) bool { return st == StateChange || st == StateForget || st == StateOffer }

// aside enters a detour (change menu, forget confirmation, offer of a
// person), remembering where to return; one aside replaces another.
func (t *turn) aside(to State) {
	s := &t.s
	if !isAside(s.State) {
		s.Return = s.State
	}
	if s.Return == "" {
		s.Return = firstOpen(t.f, *s)
	}
	s.State = to
	t.current()
}

// resume returns from an aside to where the user was.
func (t *turn) resume() {
	s := &t.s
	if isAside(s.State) {
		s.State, s.Return = s.Return, ""
	}
	if s.State == "" || isAside(s.State) {
		t.advance()
		return
	}
	t.current()
}

// stale tells the user a button is out of date and shows the present.
func (t *turn) stale() {
	t.say(SayStale)
	t.current()
}

// back changes the previous answer, keeping the rest; in the walk it goes
// to the previous step.
func (t *turn) back() {
	s := &t.s
	switch s.State {
	case StateRole:
		s.State = StateLang
	case StateCountry:
		s.State = StateRole
	case StateLocation:
		s.State = StateRole
		if len(t.f.Countries) > 1 {
			s.State = StateCountry
		}
	case StateRoute:
		s.State = StateLocation
	case StateStep:
		r := t.f.Route(s.Country, s.Route)
		switch i := r.Index(s.Step); {
		case i > 0:
			s.Step = r.Steps[i-1].ID
		case len(t.f.RoutesAt(s.Country, s.Location)) > 1:
			s.State = StateRoute
		default:
			s.State = StateLocation
		}
	case StateDone:
		r := t.f.Route(s.Country, s.Route)
		s.State, s.Step = StateStep, r.Steps[len(r.Steps)-1].ID
	case StateChange, StateForget, StateOffer:
		t.resume()
		return
	}
	t.current()
}
