package dialog

// Question is one row of the question table: what the dialog asks before
// the walk, in order. advance, firstOpen, back, Normalize, the choices and
// the change menu all walk the table, so adding a question is one row (and
// its field in Session and Slot, its Say and its labels in the bot).
type Question struct {
	State State // the state that asks it; also its id
	Kind  Kind  // the payload kind of its answers
	// Change is the argument of the change-menu button that re-asks the
	// question ("chg:loc"), as old buttons carry it.
	Change string
	Say    Say // what asks it; the answer fills Session's field for State (see Slot)
	// Values lists the valid answers, in button order, given the earlier
	// answers. The question is asked only when there is a choice (more than
	// one value); with exactly one, the answer is filled in silently.
	Values func(*Flow, Session) []string
	// After lists buttons shown after the answers (compare, back).
	After []Payload
	// DependsOn names earlier questions whose answers decide this one's
	// values: changing any of them drops this answer (and the step).
	DependsOn []State
}

var back = Payload{Kind: KindBack}

// questions is the table. Order is the order of asking.
var questions = []Question{
	{State: StateLang, Kind: KindSetLang, Change: "lang", Say: SayAskLanguage,
		Values: func(f *Flow, _ Session) []string { return f.Languages }},
	{State: StateRole, Kind: KindSetRole, Change: "role", Say: SayAskRole,
		Values: func(f *Flow, _ Session) []string { return f.Roles }},
	{State: StateCountry, Kind: KindSetCountry, Change: "country", Say: SayAskCountry,
		Values: func(f *Flow, _ Session) []string { return f.Countries },
		After:  []Payload{back}},
	{State: StateLocation, Kind: KindSetLocation, Change: "loc", Say: SayAskLocation,
		Values: func(f *Flow, _ Session) []string { return f.Locations },
		After:  []Payload{back}},
	{State: StateRoute, Kind: KindSetRoute, Change: "route", Say: SayAskRoute,
		Values: func(f *Flow, s Session) []string {
			n := 0
			for i := range f.Routes {
				if r := &f.Routes[i]; r.Country == s.Country && r.Location == s.Location {
					n++
				}
			}
			if n == 0 {
				return nil
			}
			ids := make([]string, 0, n)
			for i := range f.Routes {
				if r := &f.Routes[i]; r.Country == s.Country && r.Location == s.Location {
					ids = append(ids, r.ID)
				}
			}
			return ids
		},
		After:     []Payload{{Kind: KindCompare}, back},
		DependsOn: []State{StateCountry, StateLocation}},
}

// Questions returns the question table, in the order of asking.
func Questions() []Question { return append([]Question(nil), questions...) }

// QuestionAt returns the question asked in state st, or nil.
func QuestionAt(st State) *Question {
	for i := range questions {
		if questions[i].State == st {
			return &questions[i]
		}
	}
	return nil
}

func questionOf(k Kind) *Question {
	for i := range questions {
		if questions[i].Kind == k {
			return &questions[i]
		}
	}
	return nil
}

func questionChanging(arg string) *Question {
	for i := range questions {
		if questions[i].Change == arg {
			return &questions[i]
		}
	}
	return nil
}

// Slot returns the Session field q's answer fills. (A switch rather than a
// function in each row: the compiler can then keep sessions on the stack.)
func (q *Question) Slot(s *Session) *string {
	switch q.State {
	case StateLang:
		return &s.Lang
	case StateRole:
		return &s.Role
	case StateCountry:
		return &s.Country
	case StateLocation:
		return &s.Location
	case StateRoute:
		return &s.Route
	}
	panic("dialog: question " + string(q.State) + " has no slot")
}

// Asked reports whether q is put to the user given s's earlier answers:
// only when there is a choice.
func (q *Question) Asked(f *Flow, s Session) bool { return len(q.Values(f, s)) > 1 }

// Valid reports whether v answers q given s's earlier answers.
func (q *Question) Valid(f *Flow, s Session, v string) bool { return has(q.Values(f, s), v) }

// Choices returns the buttons that ask q.
func (q *Question) Choices(f *Flow, s Session) []Payload {
	vs := q.Values(f, s)
	ch := make([]Payload, 0, len(vs)+len(q.After))
	for _, v := range vs {
		ch = append(ch, Payload{Kind: q.Kind, Arg: v})
	}
	return append(ch, q.After...)
}

// set stores an answer; a changed answer drops the answers that depend on
// it (and the route's step with the route).
func set(s *Session, q *Question, v string) {
	p := q.Slot(s)
	if *p != v {
		dropDependents(s, q.State)
	}
	*p = v
}

// dropDependents clears every answer that depends on the question st; the
// step goes with the route.
func dropDependents(s *Session, st State) {
	for i := range questions {
		for _, d := range questions[i].DependsOn {
			if d == st {
				*questions[i].Slot(s) = ""
			}
		}
	}
	if s.Route == "" {
		s.Step = ""
	}
}
