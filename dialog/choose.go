package dialog

// choose acts on a payload, from a button or a typed label or number.
// Payloads from earlier messages are handled gracefully: answers are
// accepted wherever the user is, step buttons that no longer match the
// current step say so and show where the user is now.
func (t *turn) choose(p Payload) {
	s := &t.s
	if s.State == "" {
		*s = fresh(s.Lang)
		s.State = StateLang
		if s.Lang != "" {
			s.State = StateRole
		}
	}
	s.Misses = 0
	if !t.dispatch(p) {
		t.unrec = true
		t.stale()
	}
}

// dispatch does what p's kind does, and reports whether its kind is known.
// A switch, not a table of functions: a call through a function value hid
// the callee from escape analysis, so every turn was moved to the heap
// (about 650 bytes per event).
func (t *turn) dispatch(p Payload) bool {
	switch p.Kind {
	case KindHelp:
		t.say(SayHelp)
		t.current()
	case KindLang:
		t.change(StateLang)
	case KindRestart:
		t.restart(p)
	case KindContacts:
		t.withChoices(SayContacts)
	case KindStaff:
		t.staff(p)
	case KindForget:
		t.aside(StateForget)
	case KindBack:
		t.back()
	case KindAll:
		t.checklist(p)
	case KindShowStep:
		t.showStep(p)
	case KindChange:
		t.changeAnswer(p)
	case KindContinue:
		t.resume()
	case KindCompare:
		t.compare(SayCompare)
	case KindCompareNotes:
		t.compare(SayCompareNotes)
	case KindYes:
		t.forgetYes(p)
	case KindNo:
		t.forgetNo(p)

	case KindSetLang:
		t.setLang(p)
	case KindSetRole, KindSetCountry, KindSetLocation:
		t.answer(p)
	case KindSetRoute:
		t.setRoute(p)

	case KindNext, KindFinish:
		t.next(p)
	case KindTypedNext:
		t.typedNext(p)

	case KindInvite:
		t.invite(p)
	case KindCase:
		t.caseStatus(p)
	case KindLeaveCase:
		t.leaveCase(p)
	case KindJoin:
		t.join(p)
	case KindJoinYes:
		t.joinYes(p)
	case KindJoinNo:
		t.joinNo(p)
	case KindMarkDone, KindMarkStart:
		t.mark(p)
	default:
		return false
	}
	return true
}

// withChoices says what with the current state's buttons, staying put.
func (t *turn) withChoices(what Say) {
	t.replies = append(t.replies, Reply{Say: what, Choices: t.choices()})
}

func (t *turn) restart(Payload) {
	t.s = fresh(t.s.Lang)
	t.say(SayRestarted)
	t.advance()
}

func (t *turn) staff(Payload) {
	s := &t.s
	if s.State == StateOffer {
		s.State, s.Return = s.Return, ""
	}
	s.Handoff = true
	t.withChoices(SayStaffRequested)
}

func (t *turn) checklist(Payload) {
	if t.s.Route == "" {
		t.current()
		return
	}
	t.withChoices(SayChecklist)
}

// compare explains the routes (what: the comparison or its general notes);
// where the route question is asked (or was being asked), the user lands
// on it, its buttons under the comparison.
func (t *turn) compare(what Say) {
	s := &t.s
	if QuestionAt(StateRoute).Asked(t.f, *s) || s.State == StateRoute {
		// The route buttons follow the comparison directly: asking the
		// question again would only lengthen a long turn.
		s.State = StateRoute
		t.withChoices(what)
		return
	}
	t.say(what)
	t.current()
}

func (t *turn) forgetYes(Payload) {
	if t.s.State != StateForget {
		t.stale()
		return
	}
	t.forget = true
	if t.s.Case != "" {
		// Forgetting detaches this side from its shared case.
		t.op = &CaseOp{Kind: CaseLeave, Case: t.s.Case}
	}
	t.s = fresh(t.s.Lang)
	t.say(SayForgotten)
}

func (t *turn) forgetNo(Payload) {
	if t.s.State != StateForget {
		t.stale()
		return
	}
	t.resume()
}

// typedNext is a typed "next step": it means the current step, whichever it
// is.
func (t *turn) typedNext(Payload) {
	if t.s.State != StateStep {
		t.current()
		return
	}
	t.next(Payload{Kind: KindNext, Arg: t.s.Step})
}

// next leaves the step p.Arg for the following one, or finishes the route.
func (t *turn) next(p Payload) {
	s := &t.s
	r := t.f.Route(s.Country, s.Route)
	if s.State != StateStep || s.Step != p.Arg || r == nil {
		t.stale()
		return
	}
	i := r.Index(p.Arg)
	if p.Kind == KindFinish || i == len(r.Steps)-1 {
		s.State = StateDone
		t.current()
		return
	}
	s.Step = r.Steps[i+1].ID
	t.current()
}

// setLang answers the language question; the first answer is welcomed.
func (t *turn) setLang(p Payload) {
	s := &t.s
	if !has(t.f.Languages, p.Arg) {
		t.stale()
		return
	}
	first := s.Lang == "" && s.Role == ""
	s.Lang = p.Arg
	if first {
		t.say(SayWelcome)
	}
	t.advance()
}

// answer fills the slot of the question p answers; a changed answer drops
// the answers that depend on it, keeping the others.
func (t *turn) answer(p Payload) {
	q := questionOf(p.Kind)
	if !q.Valid(t.f, t.s, p.Arg) {
		t.stale()
		return
	}
	set(&t.s, q, p.Arg)
	t.advance()
}

// setRoute picks a route. A route button is accepted wherever the user is
// (it fixes the location too) unless it contradicts the location given.
func (t *turn) setRoute(p Payload) {
	s := &t.s
	r := t.f.Route(s.Country, p.Arg)
	if r == nil || (s.Location != "" && r.Location != s.Location) {
		t.stale()
		return
	}
	if s.Route != p.Arg {
		s.Step = ""
		s.Location, s.Route = r.Location, p.Arg
		t.say(SayRouteChosen)
	}
	s.Location, s.Route = r.Location, p.Arg
	t.advance()
}

// changeAnswer opens the change menu, or re-asks the question p.Arg names
// when it is asked at all.
func (t *turn) changeAnswer(p Payload) {
	if p.Arg == "" {
		t.aside(StateChange)
		return
	}
	if q := questionChanging(p.Arg); q != nil && q.Asked(t.f, t.s) {
		t.change(q.State)
		return
	}
	t.stale()
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
func isAside(st State) bool {
	return st == StateChange || st == StateForget || st == StateOffer || st == StateJoin
}

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

// showStep shows a step of the user's route on its own (the one on the
// screen in full, as it is); a step of no route of the user's is stale.
func (t *turn) showStep(p Payload) {
	s := &t.s
	r := t.f.Route(s.Country, s.Route)
	if r == nil || r.Index(p.Arg) < 0 || (s.State != StateStep && s.State != StateDone) {
		t.stale()
		return
	}
	s.Misses = 0
	if p.Arg == s.Step && s.State == StateStep {
		t.current()
		return
	}
	t.replies = append(t.replies, Reply{Say: SayStepSingle, Step: p.Arg, Choices: t.choices()})
}

// stale tells the user a button is out of date and shows the present.
func (t *turn) stale() {
	t.say(SayStale)
	t.current()
}

// back changes the previous answer, keeping the rest; in the walk it goes
// to the previous step, and from the first step to the last question asked.
func (t *turn) back() {
	s := &t.s
	switch s.State {
	case StateStep:
		r := t.f.Route(s.Country, s.Route)
		if i := r.Index(s.Step); i > 0 {
			s.Step = r.Steps[i-1].ID
		} else if st := askedBefore(t.f, *s, len(questions)); st != "" {
			s.State = st
		}
	case StateDone:
		r := t.f.Route(s.Country, s.Route)
		s.State, s.Step = StateStep, r.Steps[len(r.Steps)-1].ID
	case StateChange, StateForget, StateOffer, StateJoin:
		t.resume()
		return
	default:
		for i := range questions {
			if questions[i].State == s.State {
				if st := askedBefore(t.f, *s, i); st != "" {
					s.State = st
				}
			}
		}
	}
	t.current()
}

// askedBefore returns the last question before row i of the table that is
// asked, or "" when there is none.
func askedBefore(f *Flow, s Session, i int) State {
	for j := i - 1; j >= 0; j-- {
		if questions[j].Asked(f, s) {
			return questions[j].State
		}
	}
	return ""
}
