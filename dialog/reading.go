package dialog

import "slices"

// Meaning is one reading of typed text: a slot ("role", "location",
// "country", "route", "topic", "contact", "control", "oos") and its value.
// The bot fills it from its understanding model; dialog only acts on it.
type Meaning struct {
	Slot, Value string
	Score       float64
	Negated     bool // the text rules the value out ("no agency")
	Confident   bool // safe to act on without asking
}

// Reading is what typed text means: the best value of every slot it
// names (the expected slot first) and the runner-up values of the first.
type Reading struct {
	Matches      []Meaning
	Alternatives []Meaning
	Confident    bool
}

// Slots an answer fills, as the understanding model names them: a
// question's state is its slot ("role", "country", "location", "route").
const (
	SlotTopic   = "topic"
	SlotContact = "contact"
	SlotControl = "control"
	SlotOOS     = "oos"
)

// Expect returns the slots typed text at s is expected to fill: the slot of
// the question asked ("route" at the route question), nil elsewhere (in the
// walk a message asks about a topic or says a control word).
func Expect(f *Flow, s Session) []string {
	s = Normalize(f, s)
	if q := QuestionAt(s.State); q != nil && q.State != StateLang {
		return []string{string(q.State)}
	}
	return nil
}

// understood acts on a reading of typed text; false when the reading says
// nothing to act on or ask about, and the older ways (labels, keywords)
// may try.
func (t *turn) understood(r Reading) bool {
	if len(r.Matches) == 0 || t.s.State == StateLang || t.s.State == "" {
		return false
	}
	top := r.Matches[0]
	if !top.Confident {
		return t.clarify(r)
	}
	if t.s.State == StateOffer && top.Slot != SlotControl {
		// an answer replaces the offer of a person: the user got one
		t.s.State, t.s.Return = t.s.Return, ""
	}
	switch top.Slot {
	case SlotControl:
		return t.control(top.Value)
	case SlotOOS:
		if tp, ok := confident(r, SlotTopic); ok && t.both(top.Value, tp.Value) {
			return true
		}
		t.s.Misses = 0
		ch := t.choices()
		if !hasKind(ch, KindStaff) {
			ch = append(ch, Payload{Kind: KindStaff})
		}
		t.replies = append(t.replies, Reply{Say: SayOutOfScope, Step: top.Value, Choices: ch})
		return true
	case SlotTopic:
		// read second, the question must be read nearly whole: a word
		// of "I got the visa, what now" may look like a family question
		if o, ok := confident(r, SlotOOS); ok && o.Score >= secondQuestion && t.both(o.Value, top.Value) {
			return true
		}
		return t.topic(top.Value)
	case SlotContact:
		t.choose(Payload{Kind: KindContacts})
		return true
	}
	return t.fill(r)
}

// fill answers every question the reading answers confidently, in the
// order of asking: the expected one, and others not answered yet (a
// sentence may say who, where and how at once). Several answers are
// confirmed in one line ("Understood: employer · in Kyrgyzstan · agency").
func (t *turn) fill(r Reading) bool {
	s := &t.s
	var said []Payload
	for i := range questions {
		q := &questions[i]
		m, ok := confident(r, string(q.State))
		if !ok || q.State == StateLang {
			continue
		}
		expected := q.State == s.State
		if !expected && *q.Slot(s) != "" {
			continue // a sentence in passing never changes an answer given
		}
		if q.State == StateRoute {
			rt := t.f.Route(s.Country, m.Value)
			if rt == nil || (s.Location != "" && rt.Location != s.Location) {
				continue
			}
			if s.Route != m.Value {
				s.Step = ""
			}
			s.Location, s.Route = rt.Location, m.Value
		} else {
			if !q.Valid(t.f, *s, m.Value) {
				continue
			}
			set(s, q, m.Value)
		}
		said = append(said, Payload{Kind: q.Kind, Arg: m.Value})
	}
	if len(said) == 0 {
		return false
	}
	s.Misses = 0
	if len(said) > 1 || questionOf(said[0].Kind).State != s.State {
		// several answers, or one to a question not asked yet: say what
		// was understood before asking on
		t.replies = append(t.replies, Reply{Say: SayUnderstood, Said: said})
	}
	if isAside(s.State) {
		s.State, s.Return = "", ""
	}
	t.advance()
	return true
}

func confident(r Reading, slot string) (Meaning, bool) {
	for _, m := range r.Matches {
		if m.Slot == slot {
			return m, m.Confident && !m.Negated
		}
	}
	return Meaning{}, false
}

// clarify asks instead of guessing: at a question, the two or three best
// readings of its slot become the buttons (without a value the text rules
// out). Elsewhere an unsure reading is not understood.
func (t *turn) clarify(r Reading) bool {
	q := QuestionAt(t.s.State)
	top := r.Matches[0]
	if q == nil {
		return t.clarifyStep(r)
	}
	if top.Slot != string(q.State) {
		return false
	}
	var ch []Payload
	add := func(m Meaning) {
		p := Payload{Kind: q.Kind, Arg: m.Value}
		if !m.Negated && q.Valid(t.f, t.s, m.Value) && !hasPayload(ch, p) && len(ch) < 3 {
			ch = append(ch, p)
		}
	}
	if top.Negated {
		// "no agency": the other answers are what is left to choose from
		for _, v := range q.Values(t.f, t.s) {
			if v != top.Value {
				add(Meaning{Value: v})
			}
		}
	} else {
		add(top)
		for _, m := range r.Alternatives {
			add(m)
		}
	}
	if len(ch) == 0 {
		return false
	}
	// one reading: the question's other answers complete the choice
	for _, v := range q.Values(t.f, t.s) {
		if len(ch) < 2 && (!top.Negated || v != top.Value) {
			add(Meaning{Value: v})
		}
	}
	t.s.Misses = 0
	t.say(SayClarify, append(ch, q.After...)...)
	return true
}

// control acts on a control word where it makes sense; elsewhere it gets a
// short polite answer and the user stays where they are.
func (t *turn) control(v string) bool {
	s := &t.s
	ack := func(what Say) bool {
		s.Misses = 0
		t.withChoices(what)
		return true
	}
	switch v {
	case "thanks":
		return ack(SayAckThanks)
	case "hello":
		return ack(SayAckHello)
	case "ok":
		return ack(SayAckOK)
	case "yes", "no":
		// at a yes/no question they are its buttons; elsewhere noted
		if k, ok := yesNo[v][s.State]; ok {
			t.choose(Payload{Kind: k})
			return true
		}
		return ack(SayAckOK)
	}
	if k, ok := controlKinds[v]; ok {
		t.choose(Payload{Kind: k})
		return true
	}
	return false
}

// yesNo maps "yes" and "no" to the button they press at the questions
// that ask for one.
var yesNo = map[string]map[State]Kind{
	"yes": {StateForget: KindYes, StateOffer: KindStaff},
	"no":  {StateForget: KindNo, StateOffer: KindContinue},
}

// controlKinds are the control words that act like their button
// everywhere ("next" means the current step's next, whichever it is).
var controlKinds = map[string]Kind{
	"next": KindTypedNext, "back": KindBack, "help": KindHelp, "staff": KindStaff,
	"restart": KindRestart, "contacts": KindContacts, "lang": KindLang, "all": KindAll,
}

// topic shows the step about a topic. A topic of another route is
// explained (a worker already in Japan applies for no visa), with the step
// of the user's route that plays its part when the content names one
// (there, a change of status of residence), rather than not understood.
func (t *turn) topic(v string) bool {
	s := &t.s
	if t.applies("topic:" + v) {
		s.Misses = 0
		t.target("topic:" + v)
		return true
	}
	for _, r := range t.f.Routes {
		if r.Country != s.Country && s.Country != "" {
			continue
		}
		if id := r.WithTopic(v); id != "" {
			s.Misses = 0
			var instead string
			if own := t.f.Route(s.Country, s.Route); own != nil {
				instead = own.Instead(v)
			}
			t.replies = append(t.replies, Reply{Say: SayOtherRoute, Step: id, Instead: instead, Choices: t.choices()})
			return true
		}
	}
	return false
}

// clarifyScore is the score a topic needs to be offered when the reading
// is unsure.
const clarifyScore = 0.5

// clarifyStep asks instead of guessing in the walk: the steps of the
// user's route about the two or three topics an unsure reading names
// («жумушчу издөө боюнча келишимди кантип түзөбүз»: the recruitment
// contract or the employment contract?), each a button that shows it, then
// the walk's own buttons.
func (t *turn) clarifyStep(r Reading) bool {
	s := &t.s
	rt := t.f.Route(s.Country, s.Route)
	if rt == nil || (s.State != StateStep && s.State != StateDone) || r.Matches[0].Slot != SlotTopic {
		return false
	}
	var ch []Payload
	topics := 0
	for _, m := range append([]Meaning{r.Matches[0]}, r.Alternatives...) {
		if m.Slot != SlotTopic || m.Negated || m.Score < clarifyScore || len(ch) == 3 {
			continue
		}
		if id := rt.WithTopic(m.Value); id != "" {
			topics++
			if !hasPayload(ch, Payload{Kind: KindShowStep, Arg: id}) {
				ch = append(ch, Payload{Kind: KindShowStep, Arg: id})
			}
		}
	}
	switch {
	case len(ch) == 0:
		return false
	case len(ch) == 1 && topics > 1:
		// the readings disagree on the topic, not on the step: it is that
		// step («the recruitment contract» and «the contract» are one step
		// of the agency route)
		t.showStep(ch[0])
		return true
	}
	s.Misses = 0
	t.say(SayClarify, append(ch, t.choices()...)...)
	return true
}

// secondQuestion is the score an out-of-scope reading needs to be
// answered when a topic was read first.
const secondQuestion = 0.9

// both answers a question about a detail of a step that the document does
// not give ("how long does the COE take", "visa fee?"): first that the
// document says nothing about it, then the step. Which of the two readings
// scores higher turns on a word, and either alone loses half the answer:
// the step alone ignores the question, the out-of-scope answer alone
// leaves the user without the step it was about. False, having changed
// nothing, when the topic has no step to show or its step is the one the
// user is on.
func (t *turn) both(oos, topic string) bool {
	if r := t.f.Route(t.s.Country, t.s.Route); r != nil && t.s.State == StateStep && r.WithTopic(topic) == t.s.Step {
		return false // the step is on the screen already
	}
	n := len(t.replies)
	t.replies = append(t.replies, Reply{Say: SayOutOfScope, Step: oos})
	if !t.topic(topic) {
		t.replies = t.replies[:n]
		return false
	}
	t.s.Misses = 0
	// the out-of-scope answer offers a person: the buttons must have one
	last := &t.replies[len(t.replies)-1]
	if len(last.Choices) == 0 {
		last.Choices = t.choices()
	}
	if !hasKind(last.Choices, KindStaff) {
		last.Choices = append(slices.Clip(last.Choices), Payload{Kind: KindStaff})
	}
	return true
}

func hasKind(ps []Payload, k Kind) bool {
	for _, p := range ps {
		if p.Kind == k {
			return true
		}
	}
	return false
}

func hasPayload(ps []Payload, p Payload) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}
