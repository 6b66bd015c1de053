package dialog

// A shared case links two people who follow one procedure on two platforms:
// the organisation that invites (an employer or a supporter) and the worker
// who joins with the invite code. The caller keeps the case (it lives apart
// from either session) and passes it in with every turn (Input.Case); the
// dialog answers with what to do to it (Result.Case), so it stays pure.

// Sides of a shared case.
const (
	SideOrg    = "org"    // the receiving organisation (or its supporter) who invited
	SideWorker = "worker" // the worker who joined
)

// StepState is a step's progress in a shared case.
type StepState string

const (
	StepNotStarted StepState = ""
	StepInProgress StepState = "progress"
	StepDone       StepState = "done"
)

// CaseView is the shared case as the caller loaded it with the session.
type CaseView struct {
	ID      string
	Country string
	Route   string
	Side    string               // the user's side: SideOrg or SideWorker
	Steps   map[string]StepState // by step id; absent = not started
	Partner string               // the other side's display name ("" = nobody joined yet, or they left)
}

// Invite is an invite code the caller looked up for a join request.
type Invite struct {
	Code  string
	Valid bool   // the code exists, is unused and has not expired
	Org   string // the inviting organisation's display name
	// Country and Route are the case's.
	Country string
	Route   string
	// Wait is set (minutes) when the user typed too many wrong codes and
	// must wait before the next try; the code was not looked up.
	Wait int
}

// CaseOpKind says what the caller must do to the shared case.
type CaseOpKind string

const (
	CaseCreate CaseOpKind = "create" // create a case and an invite code; the caller fills Session.Case
	CaseJoin   CaseOpKind = "join"   // redeem Code and join its case as the worker
	CaseMark   CaseOpKind = "mark"   // set Step to State
	CaseLeave  CaseOpKind = "leave"  // leave the case (the other side is told)
)

// CaseOp is what the caller does to the shared case when it commits the turn.
type CaseOp struct {
	Kind  CaseOpKind
	Case  string // the case id (join: the invite's case is the caller's to find from Code)
	Code  string
	Step  string
	State StepState
}

// Payload kinds of the shared case.
const (
	KindInvite    Kind = "ci"   // invite the worker: create a case
	KindCase      Kind = "cs"   // show the shared case
	KindLeaveCase Kind = "cl"   // leave the shared case
	KindJoinYes   Kind = "jy"   // consent to join; Arg is the invite code
	KindJoinNo    Kind = "jn"   // decline to join
	KindMarkDone  Kind = "cd"   // mark step Arg done
	KindMarkStart Kind = "cp"   // mark step Arg in progress
	KindJoin      Kind = "join" // typed "/join CODE" (Arg); the caller looks the code up first
)

// Says of the shared case.
const (
	SayInvite      Say = "case_invite"       // the case was created: the link and the code
	SayInviteNot   Say = "case_invite_not"   // inviting needs an organisation's role and a route
	SayJoinConsent Say = "case_join_consent" // share your progress with this organisation?
	SayJoinBad     Say = "case_join_bad"     // wrong, used or expired code
	SayJoinWait    Say = "case_join_wait"    // too many wrong codes: wait
	SayJoined      Say = "case_joined"
	SayJoinNo      Say = "case_join_declined"
	SayCaseStatus  Say = "case_status" // the shared steps and their states
	SayMarked      Say = "case_marked" // Step's new state was recorded; the other side will be told
	SayCaseLeft    Say = "case_left"
	SayNoCase      Say = "case_none" // a case button without a case (ended, or left)
)

// StateJoin is the aside asking the worker's consent to join a case.
const StateJoin State = "join"

// inCase reports whether the turn has a live case the session belongs to.
func (t *turn) inCase() bool {
	return t.s.Case != "" && t.in.Case != nil && t.in.Case.ID == t.s.Case
}

// sides lists who may mark a step, from the flow (the content's actors).
func (t *turn) maySet(step string) bool {
	if !t.inCase() {
		return false
	}
	r := t.f.Route(t.s.Country, t.s.Route)
	if r == nil || t.s.Route != t.in.Case.Route || r.Index(step) < 0 {
		return false
	}
	return has(r.Steps[r.Index(step)].Sides, t.in.Case.Side)
}

// caseChoices are the case buttons of a step: mark it, invite the worker.
func (t *turn) caseChoices() []Payload {
	s := t.s
	if s.State != StateStep {
		return nil
	}
	if !t.inCase() {
		if s.Case == "" && s.Side == "" && has(t.f.OrgRoles, s.Role) {
			return []Payload{{Kind: KindInvite}}
		}
		return nil
	}
	var ch []Payload
	if t.maySet(s.Step) {
		switch t.in.Case.Steps[s.Step] {
		case StepNotStarted:
			ch = append(ch, Payload{Kind: KindMarkDone, Arg: s.Step}, Payload{Kind: KindMarkStart, Arg: s.Step})
		case StepInProgress:
			ch = append(ch, Payload{Kind: KindMarkDone, Arg: s.Step})
		}
	}
	return append(ch, Payload{Kind: KindCase})
}

func (t *turn) invite(Payload) {
	s := &t.s
	if t.inCase() {
		t.withChoices(SayCaseStatus)
		return
	}
	if !has(t.f.OrgRoles, s.Role) || s.Route == "" || (s.State != StateStep && s.State != StateDone) {
		t.say(SayInviteNot)
		t.current()
		return
	}
	s.Side = SideOrg
	t.op = &CaseOp{Kind: CaseCreate}
	t.withChoices(SayInvite)
}

// join answers a join request: the caller looked the code up (Input.Invite).
func (t *turn) join(p Payload) {
	s := &t.s
	inv := t.in.Invite
	switch {
	case inv == nil || inv.Code != p.Arg:
		t.stale()
		return
	case inv.Wait > 0:
		t.say(SayJoinWait)
		t.current()
		return
	case !inv.Valid:
		s.CodeFails++
		t.unrec = true
		t.say(SayJoinBad)
		t.current()
		return
	}
	s.CodeFails = 0
	if !isAside(s.State) {
		s.Return = s.State
	}
	s.State, s.JoinCode = StateJoin, inv.Code
	t.replies = append(t.replies, Reply{Say: SayJoinConsent,
		Choices: []Payload{{Kind: KindJoinYes, Arg: inv.Code}, {Kind: KindJoinNo}}})
}

// joinYes joins the case of the invite: the user becomes its worker and
// follows its route from its first step not done.
func (t *turn) joinYes(p Payload) {
	s := &t.s
	inv := t.in.Invite
	if s.State != StateJoin || inv == nil || inv.Code != p.Arg {
		t.stale()
		return
	}
	if !inv.Valid {
		t.say(SayJoinBad)
		t.resume()
		return
	}
	r := t.f.Route(inv.Country, inv.Route)
	if r == nil {
		t.say(SayJoinBad)
		t.resume()
		return
	}
	s.Return, s.JoinCode = "", ""
	s.Country, s.Location, s.Route, s.Step = r.Country, r.Location, r.ID, r.Steps[0].ID
	if len(t.f.WorkerRoles) > 0 {
		s.Role = t.f.WorkerRoles[0]
	}
	s.Side = SideWorker
	t.op = &CaseOp{Kind: CaseJoin, Code: inv.Code}
	t.say(SayJoined)
	t.advance()
}

func (t *turn) joinNo(Payload) {
	if t.s.State != StateJoin {
		t.stale()
		return
	}
	t.s.JoinCode = ""
	t.say(SayJoinNo)
	t.resume()
}

// mark sets a step's state in the shared case.
func (t *turn) mark(p Payload) {
	if !t.maySet(p.Arg) {
		t.stale()
		return
	}
	st := StepDone
	if p.Kind == KindMarkStart {
		st = StepInProgress
	}
	if t.in.Case.Steps[p.Arg] == st || t.in.Case.Steps[p.Arg] == StepDone {
		t.current()
		return
	}
	// The view of this turn shows the new state (the case itself is
	// written by the caller with the turn).
	steps := make(map[string]StepState, len(t.in.Case.Steps)+1)
	for k, v := range t.in.Case.Steps {
		steps[k] = v
	}
	steps[p.Arg] = st
	cv := *t.in.Case
	cv.Steps = steps
	t.in.Case = &cv
	t.op = &CaseOp{Kind: CaseMark, Case: t.s.Case, Step: p.Arg, State: st}
	t.replies = append(t.replies, Reply{Say: SayMarked, Step: p.Arg})
	t.current()
}

func (t *turn) caseStatus(Payload) {
	if !t.inCase() {
		t.say(SayNoCase)
		t.current()
		return
	}
	t.withChoices(SayCaseStatus)
}

func (t *turn) leaveCase(Payload) {
	s := &t.s
	if s.Case == "" {
		t.say(SayNoCase)
		t.current()
		return
	}
	t.op = &CaseOp{Kind: CaseLeave, Case: s.Case}
	s.Case, s.Side = "", ""
	t.say(SayCaseLeft)
	t.current()
}

// dropEndedCase forgets a case the caller no longer finds (it ended, or
// this side was detached): the session keeps its own walk.
func (t *turn) dropEndedCase() {
	if t.s.Case != "" && (t.in.Case == nil || t.in.Case.ID != t.s.Case) {
		t.s.Case, t.s.Side = "", ""
	}
}
