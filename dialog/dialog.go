package dialog

import (
	"strconv"
	"strings"
)

// InputKind says what the user did.
type InputKind string

const (
	Text        InputKind = "text"        // typed text
	Choice      InputKind = "choice"      // pressed a button; Text is its payload
	Start       InputKind = "start"       // follow, /start; Text is an optional role ("worker")
	Unsupported InputKind = "unsupported" // a sticker, photo, voice message…
)

// Input is one user action.
type Input struct {
	Kind InputKind
	Text string
	// LangHint is a language the platform reported and the flow supports
	// ("" when unknown); it spares the user the language question.
	LangHint string
	// Expired is set by the caller when the user's previous session timed
	// out; the dialog says so and starts fresh.
	Expired bool
	// TypedLang is the language typed text is written in, when the caller
	// can tell ("" when not). Typed as a first message or at the language
	// question, it chooses the language, and Reading is then read for the
	// question after it (see ReadAs). Elsewhere the caller sets it only
	// when the text is written in another script than the session's
	// language (Russian typed to the English texts): the conversation goes
	// on in it.
	TypedLang string
	// Reading is what typed text means, read by the caller as ReadAs says;
	// zero when not read.
	Reading Reading
	// Case is the shared case the session belongs to (Session.Case), as
	// the caller loaded it; nil when there is none or it ended.
	Case *CaseView
	// Invite is the invite code of a join request (a KindJoin or
	// KindJoinYes payload, or a start payload), as the caller looked it up.
	Invite *Invite
}

// Say names one message to render; Step carries the step id for SayStep,
// SayStepSingle and SayStale, Route for SayChecklist and SayDone.
type Say string

const (
	SayAskLanguage    Say = "ask_language"
	SayWelcome        Say = "welcome"
	SayAskRole        Say = "ask_role"
	SayAskCountry     Say = "ask_country"
	SayAskLocation    Say = "ask_location"
	SayAskRoute       Say = "ask_route"
	SayCompare        Say = "compare"
	SayCompareNotes   Say = "compare_notes" // the comparison's general notes
	SayStep           Say = "step"
	SayStepSingle     Say = "step_single"
	SayChecklist      Say = "checklist"
	SayContacts       Say = "contacts"
	SayDone           Say = "done"
	SayChangeWhich    Say = "change_which"
	SayHelp           Say = "help"
	SayNotUnderstood  Say = "not_understood"
	SayOfferStaff     Say = "offer_staff"
	SayStaffRequested Say = "staff_requested"
	SayForgetConfirm  Say = "forget_confirm"
	SayForgotten      Say = "forgotten"
	SayExpired        Say = "expired"
	SayUnsupported    Say = "unsupported"
	SayStale          Say = "stale_button"
	SayKeywordNoRoute Say = "keyword_no_route"
	SayRestarted      Say = "restarted"

	// Understanding typed text.
	SayUnderstood Say = "understood"   // several answers read at once; Said lists them
	SayClarify    Say = "clarify"      // which of these did you mean? (the choices)
	SayOutOfScope Say = "out_of_scope" // Step is the topic the document does not cover
	SayOtherRoute Say = "other_route"  // Step is the step of another route the topic belongs to
	SayAckThanks  Say = "ack_thanks"
	SayAckOK      Say = "ack_ok"
	SayAckHello   Say = "ack_hello"
	SayReAsk      Say = "reask" // not understood, in the walk: a short re-ask with the buttons
	// SayRouteChosen sums up the route just chosen (the session's route)
	// before its first step; the comparison stays short.
	SayRouteChosen Say = "route_chosen"
)

// Reply is one thing to say. The renderer joins a turn's replies into as
// few messages as fit; the choices of the last reply become the buttons.
type Reply struct {
	Say     Say
	Step    string
	Choices []Payload
	// Said lists the answers read from typed text (SayUnderstood).
	Said []Payload
	// Instead is, for SayOtherRoute, the step of the user's route that
	// plays the part of Step there; "" when none does.
	Instead string
}

// Result is the outcome of one Step.
type Result struct {
	Session Session
	Replies []Reply
	// Forget asks the caller to erase the user's stored data.
	Forget bool
	// Unrecognized marks typed text the dialog could not match.
	Unrecognized bool
	// Case is what the caller must do to the shared case with this turn.
	Case *CaseOp
}

// MissesBeforeStaff is how many misunderstandings in a row lead to the
// offer of a person.
const MissesBeforeStaff = 3

// Step runs one turn. It never fails: any input in any (even stale or
// corrupt) session yields a valid session and at least one reply.
func Step(f *Flow, s Session, in Input) Result {
	s = Normalize(f, s)
	// Most turns say one or two things: room for two spares a regrowth.
	t := turn{f: f, s: s, in: in, replies: make([]Reply, 0, 2)}
	t.dropEndedCase()
	if in.Expired {
		t.s = fresh(s.Lang)
		t.say(SayExpired)
		t.start(in, "", true)
		return t.result()
	}
	switch in.Kind {
	case Start:
		t.s = t.keepCase(fresh(s.Lang))
		if in.Invite != nil {
			// A deep link with an invite code: greet, then ask for consent.
			t.start(in, "", false)
			t.join(Payload{Kind: KindJoin, Arg: in.Invite.Code})
			break
		}
		t.start(in, in.Text, true)
	case Unsupported:
		if st := t.s.State; st == StateStep || st == StateDone {
			// the step is on the screen already: the short answer with
			// its buttons, not the whole step again
			t.withChoices(SayUnsupported)
			break
		}
		t.say(SayUnsupported)
		t.current()
	case Choice:
		// An unknown payload parses to the zero Payload, which choose
		// answers as a stale button.
		p, _ := Parse(in.Text)
		t.choose(p)
	default:
		t.text(in)
	}
	return t.result()
}

type turn struct {
	f       *Flow
	s       Session
	in      Input
	replies []Reply
	forget  bool
	unrec   bool
	op      *CaseOp
}

func (t *turn) result() Result {
	if len(t.replies) == 0 {
		t.current()
	}
	return Result{Session: t.s, Replies: t.replies, Forget: t.forget, Unrecognized: t.unrec, Case: t.op}
}

// keepCase carries the shared case over into a fresh session (start over,
// a new /start): only leaving or forgetting ends one's part in a case.
func (t *turn) keepCase(s Session) Session {
	s.Case, s.Side = t.s.Case, t.s.Side
	return s
}

func (t *turn) say(what Say, choices ...Payload) {
	t.replies = append(t.replies, Reply{Say: what, Choices: choices})
}

func fresh(lang string) Session { return Session{V: SessionVersion, Lang: lang} }

// start greets and asks the first open question (unless ask is false).
// role preselects the role from a deep link ("/start worker").
func (t *turn) start(in Input, role string, ask bool) {
	if t.s.Lang == "" && has(t.f.Languages, in.LangHint) {
		t.s.Lang = in.LangHint
	}
	if has(t.f.Roles, role) {
		t.s.Role = role
	}
	if t.s.Lang != "" {
		t.say(SayWelcome)
	}
	if ask {
		t.advance()
	}
}

// askAndRead asks the first open question, unless the message that led
// to it answers it already («Здравствуйте, я из Оша, ищу работу»): then
// its answers are taken and the next question asked.
func (t *turn) askAndRead(in Input) {
	n := len(t.replies)
	t.advance()
	if t.s.Lang == "" || t.s.State == StateLang || QuestionAt(t.s.State) == nil || len(in.Reading.Matches) == 0 {
		return
	}
	asked := append([]Reply(nil), t.replies[n:]...)
	t.replies = t.replies[:n]
	if !t.fill(in.Reading) {
		t.replies = append(t.replies, asked...)
	}
}

// advance moves to the first unanswered question, or into the walk. A
// question with a single possible answer is answered silently.
func (t *turn) advance() {
	s := &t.s
	for i := range questions {
		q := &questions[i]
		if *q.Slot(s) != "" {
			continue
		}
		if vs := q.Values(t.f, *s); len(vs) == 1 {
			*q.Slot(s) = vs[0]
			continue
		}
		s.State = q.State
		t.current()
		return
	}
	r := t.f.Route(s.Country, s.Route)
	if s.Step == "" || r.Index(s.Step) < 0 {
		s.Step = r.Steps[0].ID
	}
	s.State = StateStep
	t.current()
}

// current (re)shows where the user is, with its choices.
func (t *turn) current() {
	s := t.s
	ch := t.choices()
	if q := QuestionAt(s.State); q != nil {
		t.say(q.Say, ch...)
		return
	}
	switch s.State {
	case StateStep:
		t.replies = append(t.replies, Reply{Say: SayStep, Step: s.Step, Choices: ch})
	case StateDone:
		t.say(SayDone, ch...)
	case StateChange:
		t.say(SayChangeWhich, ch...)
	case StateForget:
		t.say(SayForgetConfirm, ch...)
	case StateOffer:
		t.say(SayOfferStaff, ch...)
	case StateJoin:
		t.say(SayJoinConsent, ch...)
	}
}

// choices lists the payloads offered in the current state, in order; typing
// a number picks from this list.
func (t *turn) choices() []Payload {
	s, f := t.s, t.f
	if q := QuestionAt(s.State); q != nil {
		return q.Choices(f, s)
	}
	switch s.State {
	case StateStep:
		r := f.Route(s.Country, s.Route)
		next := Payload{Kind: KindNext, Arg: s.Step}
		if r.Index(s.Step) == len(r.Steps)-1 {
			next.Kind = KindFinish
		}
		// Next stays first (the one to press to go on); the shared case's
		// buttons follow it.
		ch := append(append([]Payload{next}, t.caseChoices()...), Payload{Kind: KindAll}, Payload{Kind: KindContacts}, Payload{Kind: KindBack},
			Payload{Kind: KindChange}, Payload{Kind: KindStaff}, Payload{Kind: KindRestart})
		return ch
	case StateDone:
		return []Payload{{Kind: KindAll}, {Kind: KindContacts}, {Kind: KindChange}, {Kind: KindRestart}}
	case StateChange:
		// Every question the user was (or would be) asked can be changed.
		var ch []Payload
		for i := range questions {
			if q := &questions[i]; q.Asked(f, s) {
				ch = append(ch, Payload{Kind: KindChange, Arg: q.Change})
			}
		}
		if s.Case != "" {
			ch = append(ch, Payload{Kind: KindLeaveCase})
		}
		return append(ch, Payload{Kind: KindForget}, Payload{Kind: KindContinue})
	case StateJoin:
		return []Payload{{Kind: KindJoinYes, Arg: s.JoinCode}, {Kind: KindJoinNo}}
	case StateForget:
		return []Payload{{Kind: KindYes}, {Kind: KindNo}}
	case StateOffer:
		return []Payload{{Kind: KindStaff}, {Kind: KindContinue}}
	}
	return nil
}

// picked returns the button typed text (normalized) picks without being
// read: a choice's number, or a label's alias.
func (t *turn) picked(norm string) (Payload, bool) {
	if n, err := strconv.Atoi(norm); err == nil {
		if ch := t.choices(); n >= 1 && n <= len(ch) {
			return ch[n-1], true
		}
	}
	p, ok := t.f.Aliases[norm]
	return p, ok
}

// NeedsReading reports whether Step would look at in.Reading: only for
// typed text that is neither the first message (which only starts), nor a
// choice's number, nor a button's label. The caller may skip reading the
// rest ("1" at every step is the commonest message there is).
func NeedsReading(f *Flow, s Session, in Input) bool {
	if in.Kind != Text || in.Expired {
		return false
	}
	t := turn{f: f, s: Normalize(f, s), in: in}
	t.dropEndedCase()
	if t.s.State == "" {
		return true // a first message may answer the first question
	}
	_, picked := t.picked(NormalizeText(in.Text))
	return !picked
}

// ChoosesLang reports whether typed text at s would choose the language
// (it starts the conversation or answers the language question): the
// caller then tells the dialog the text's language (Input.TypedLang).
func ChoosesLang(f *Flow, s Session) bool {
	if s.Lang != "" && s.State != "" && s.State != StateLang && has(f.Languages, s.Lang) {
		return false // (most turns: spares Normalize's work)
	}
	st := Normalize(f, s).State
	return st == "" || st == StateLang
}

// ReadAs returns the language typed text is read in and the slots it is
// expected to fill: the session's language and Expect's slots, or, for a
// first message or a sentence at the language question, the language it
// chooses and the question that follows.
func ReadAs(f *Flow, s Session, in Input) (lang string, expect []string) {
	s = Normalize(f, s)
	lang = s.Lang
	if lang == "" {
		lang = in.LangHint
	}
	typed := has(f.Languages, in.TypedLang)
	switch {
	case s.State != "" && s.State != StateLang && typed:
		return in.TypedLang, Expect(f, s) // another script: that language
	case s.State != "" && !(s.State == StateLang && typed):
		return lang, Expect(f, s)
	}
	t := turn{f: f, s: s, in: in}
	if s.State == "" {
		t.s = fresh(s.Lang)
	}
	t.s.Lang = t.typedLang(in)
	if t.s.Lang == "" {
		return lang, nil
	}
	t.advance()
	return t.s.Lang, Expect(f, t.s)
}

// typedLang is the language typed text at the start or at the language
// question chooses: the one it is written in, over the platform's hint
// (a Russian sentence on a Japanese phone is Russian), and a language
// chosen before over both at the start.
func (t *turn) typedLang(in Input) string {
	switch {
	case t.s.Lang != "" && t.s.State != StateLang:
		return t.s.Lang
	case has(t.f.Languages, in.TypedLang):
		return in.TypedLang
	case t.s.Lang != "":
		return t.s.Lang
	case has(t.f.Languages, in.LangHint):
		return in.LangHint
	}
	return ""
}

// text interprets typed text: a number, a button label, a keyword.
func (t *turn) text(in Input) {
	if t.s.State == "" {
		// A first message ("hello") starts the conversation, in the
		// language it is written in; it may answer the first question.
		t.s = t.keepCase(fresh(t.s.Lang))
		t.s.Lang = t.typedLang(in)
		t.start(in, "", false)
		t.askAndRead(in)
		return
	}
	if t.s.State != StateLang && has(t.f.Languages, in.TypedLang) {
		t.s.Lang = in.TypedLang // written in another script: go on in it
	}
	norm := NormalizeText(in.Text)
	if p, ok := t.picked(norm); ok {
		t.choose(p)
		return
	}
	if t.s.State == StateLang && has(t.f.Languages, in.TypedLang) {
		// a sentence instead of a language button: its language
		first := t.s.Lang == "" && t.s.Role == ""
		t.s.Lang = in.TypedLang
		t.s.Misses = 0
		if first {
			t.say(SayWelcome)
		}
		t.askAndRead(in)
		return
	}
	if t.understood(in.Reading) {
		return
	}
	read := len(in.Reading.Matches) > 0
	if p, ok := t.partOfChoice(norm); ok && !read {
		t.choose(p)
		return
	}
	// Keywords are the fallback without a reading: a word inside a
	// sentence ("we help our students") is the model's to judge.
	if norm != "" && !read {
		for _, kw := range t.f.Keywords {
			for _, w := range kw.Words {
				if strings.Contains(norm, w) && t.applies(kw.Target) {
					t.s.Misses = 0
					t.target(kw.Target)
					return
				}
			}
		}
	}
	t.unrec = true
	t.s.Misses++
	if t.s.Misses >= MissesBeforeStaff {
		t.s.Misses = 0
		t.aside(StateOffer)
		return
	}
	if s := t.s.State; s == StateStep || s == StateDone {
		// the step is on the screen already: a short re-ask, not again
		t.withChoices(SayReAsk)
		return
	}
	t.say(SayNotUnderstood)
	t.current()
}

// partOfChoice returns the one current choice whose label (in any
// language) contains the typed text, so "agency" picks "Certified agency"
// at the route question before keywords are tried; false when none or
// several.
func (t *turn) partOfChoice(norm string) (Payload, bool) {
	if len([]rune(norm)) < 3 {
		return Payload{}, false
	}
	current := map[Payload]Payload{} // alias payload → choice payload
	for _, p := range t.choices() {
		current[p] = p
		if p.Kind == KindNext || p.Kind == KindFinish {
			current[Payload{Kind: KindTypedNext}] = p
		}
	}
	var found Payload
	for label, p := range t.f.Aliases {
		c, ok := current[p]
		if !ok || !strings.Contains(label, norm) {
			continue
		}
		if found.Kind != "" && found != c {
			return Payload{}, false
		}
		found = c
	}
	return found, found.Kind != ""
}

// applies reports whether a keyword target fits the user: a topic must be
// part of the chosen route (a worker already in Japan applies for no visa).
func (t *turn) applies(target string) bool {
	topic, ok := strings.CutPrefix(target, "topic:")
	if !ok {
		return true
	}
	if r := t.f.Route(t.s.Country, t.s.Route); r != nil {
		return r.WithTopic(topic) != ""
	}
	return true
}

// target acts on a keyword's target.
func (t *turn) target(target string) {
	switch target {
	case "contacts":
		t.choose(Payload{Kind: KindContacts})
	case "help":
		t.choose(Payload{Kind: KindHelp})
	case "staff":
		t.choose(Payload{Kind: KindStaff})
	case "compare":
		t.say(SayCompare)
		t.current()
	default:
		// The step about the topic is shown on its own, with the buttons of
		// where the user is: the walk does not move, so no step is ticked
		// off that the user never went through.
		topic := strings.TrimPrefix(target, "topic:")
		if r := t.f.Route(t.s.Country, t.s.Route); r != nil {
			id := r.WithTopic(topic)
			if id == t.s.Step && t.s.State == StateStep {
				t.current()
				return
			}
			t.replies = append(t.replies, Reply{Say: SayStepSingle, Step: id, Choices: t.choices()})
			return
		}
		// No route yet: the first step about the topic in any route (of
		// the user's country, once known), then the open question.
		for _, r := range t.f.Routes {
			if t.s.Country != "" && r.Country != t.s.Country {
				continue
			}
			if id := r.WithTopic(topic); id != "" {
				t.say(SayKeywordNoRoute)
				t.replies = append(t.replies, Reply{Say: SayStepSingle, Step: id})
				t.current()
				return
			}
		}
		t.current()
	}
}
