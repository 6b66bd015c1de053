package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"example.com/sswbot/dialog"
)

// caseOp is a change to a shared case, kept in the turn's dedupe record
// (recorded.Case) so a redelivered event applies it again (to no effect).
type caseOp struct {
	ID     string            `json:"id"` // the event id: the change's id
	Kind   dialog.CaseOpKind `json:"k"`
	Case   string            `json:"c"`
	Code   string            `json:"code,omitempty"`
	Step   string            `json:"st,omitempty"`
	State  dialog.StepState  `json:"s,omitempty"`
	Party  Party             `json:"p"` // the acting side as it is now
	Forget bool              `json:"f,omitempty"`
	// Country and Route of a case to create.
	Country string `json:"country,omitempty"`
	Route   string `json:"route,omitempty"`
}

// caseStop is the change a blocked bot makes: the side becomes inactive;
// caseActive the change its next message makes: active again.
const (
	caseStop   dialog.CaseOpKind = "stop"
	caseActive dialog.CaseOpKind = "active"
)

// caseInput is what a turn needs of shared cases, loaded before it runs.
type caseInput struct {
	view   *dialog.CaseView
	invite *dialog.Invite
	// inviteCase is the case of a valid invite.
	inviteCase string
	// choice replaces the event's input for the dialog: typed "/join CODE"
	// is the join payload.
	choice string
	// newID and newCode name the case a turn may create (the same across
	// the retries of one event).
	newID, newCode string
	// inactive: the user's side of the case is inactive (they had blocked
	// the bot); writing again makes it active.
	inactive bool
	// held are the held notifications this event took (held.go); gave
	// the ids the turn put into its reply.
	held []HeldEntry
	gave []string
	// heldOthers counts held notes another event's turn has taken.
	heldOthers int
	// readHeld: the conversation is flagged (Meta.Held), held was read.
	readHeld bool
	// replay: the turn reads nothing beside the conversation, so its
	// dedupe record may keep how to compute its replies instead of them
	// (encodeReplay) when it changes no case and gives no held note.
	replay bool
}

// joinCommand reads "/join CODE" (or "join CODE") typed on any platform.
func joinCommand(text string) (string, bool) {
	head, rest, ok := strings.Cut(strings.TrimSpace(strings.ReplaceAll(text, "\u3000", " ")), " ")
	if !ok || !(strings.EqualFold(head, "/join") || strings.EqualFold(head, "join")) {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// caseInputs loads the session's case and looks up an invite code the event
// carries. Without a case store everything stays empty (no shared cases).
func (s *Service) caseInputs(ctx context.Context, snap Snapshot, ev Event, cx *caseInput) error {
	cx.view, cx.invite, cx.inviteCase, cx.choice, cx.inactive = nil, nil, "", "", false
	if s.opt.Cases == nil {
		return nil
	}
	sess := sessionOf(snap)
	code, choice := inviteCode(ev)
	cx.choice = choice
	if code != "" {
		if err := s.lookupInvite(ctx, sess, code, cx); err != nil {
			return err
		}
	}
	if sess.Case == "" {
		return nil
	}
	c, _, err := s.opt.Cases.LoadCase(ctx, sess.Case)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	me := c.Party(ev.Conversation())
	if c.Ended || me == nil || me.Left {
		return nil
	}
	cx.inactive = !me.Active
	v := &dialog.CaseView{ID: c.ID, Country: c.Country, Route: c.Route, Side: me.Side, Steps: c.Steps}
	for _, p := range c.Parties {
		if p.Side != me.Side && !p.Left && p.Conv != "" {
			v.Partner = p.Name
		}
	}
	cx.view = v
	return nil
}

// inviteCode returns the invite code ev gives, if any, and for a typed
// join command the choice it stands for.
func inviteCode(ev Event) (code, choice string) {
	switch ev.Kind {
	case KindStart:
		code = NormalizeCode(ev.Text)
	case KindText:
		if arg, ok := joinCommand(ev.Text); ok {
			if code = NormalizeCode(arg); code == "" {
				code = "-" // cannot be a code: answered as a wrong one
			}
			choice = dialog.Payload{Kind: dialog.KindJoin, Arg: code}.String()
		}
	case KindChoice:
		if p, ok := dialog.Parse(ev.Text); ok && (p.Kind == dialog.KindJoinYes || p.Kind == dialog.KindJoin) {
			code = p.Arg
		}
	}
	return code, choice
}

// caseFree reports whether ev's turn on snap reads no shared case and no
// invite code: caseInputs would leave its input empty.
func (s *Service) caseFree(snap Snapshot, ev Event) bool {
	if s.opt.Cases == nil {
		return true
	}
	if code, _ := inviteCode(ev); code != "" {
		return false
	}
	return sessionOf(snap).Case == ""
}

// lookupInvite fills cx.invite for code, unless the user must wait after
// too many wrong codes.
func (s *Service) lookupInvite(ctx context.Context, sess dialog.Session, code string, cx *caseInput) error {
	inv := &dialog.Invite{Code: code}
	cx.invite = inv
	if now := s.opt.Now(); sess.CodeWait > now.Unix() {
		inv.Wait = int((sess.CodeWait - now.Unix() + 59) / 60)
		return nil
	}
	if NormalizeCode(code) == "" {
		return nil
	}
	id, err := s.opt.Cases.LookupInvite(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up invite: %w", err)
	}
	c, _, err := s.opt.Cases.LoadCase(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Ended {
		return nil
	}
	for _, p := range c.Parties {
		if p.Side == dialog.SideOrg && !p.Left && p.Conv != "" {
			inv.Org = p.Name
		}
	}
	if inv.Org == "" { // the organisation left or was forgotten: nothing to join
		return nil
	}
	inv.Valid, inv.Country, inv.Route = true, c.Country, c.Route
	cx.inviteCase = id
	return nil
}

// caseAfter completes a dialog turn's change to a shared case: it names the
// case in the session and returns the change to record (nil for none).
func (s *Service) caseAfter(res *dialog.Result, cx *caseInput, ev Event, meta Meta, before dialog.Session) *caseOp {
	sess := &res.Session
	now := s.opt.Now()
	if cx.invite != nil && cx.invite.Wait == 0 && !cx.invite.Valid && sess.CodeFails > before.CodeFails {
		sess.CodeWait = now.Add(joinWait(sess.CodeFails)).Unix()
	}
	if res.Case == nil && cx.inactive && sess.Case != "" {
		return &caseOp{ID: ev.EventID, Kind: caseActive, Case: sess.Case, Party: Party{Conv: ev.Conversation(), Active: true}}
	}
	if res.Case == nil {
		return nil
	}
	op := &caseOp{ID: ev.EventID, Kind: res.Case.Kind, Case: res.Case.Case, Code: res.Case.Code,
		Step: res.Case.Step, State: res.Case.State, Forget: res.Forget}
	op.Party = Party{Conv: ev.Conversation(), Name: meta.DisplayName, Role: before.Role, Side: before.Side,
		Lang: sess.Lang, Active: true}
	switch res.Case.Kind {
	case dialog.CaseCreate:
		if cx.newID == "" {
			cx.newID, cx.newCode = newCaseID(), newCode()
		}
		sess.Case, sess.Side = cx.newID, dialog.SideOrg
		op.Case, op.Code = cx.newID, cx.newCode
		op.Party.Role, op.Party.Side = sess.Role, dialog.SideOrg
		op.Country, op.Route = sess.Country, sess.Route
	case dialog.CaseJoin:
		sess.Case, sess.Side = cx.inviteCase, dialog.SideWorker
		op.Case = cx.inviteCase
		op.Party.Role, op.Party.Side = sess.Role, dialog.SideWorker
	}
	if op.Party.Lang == "" {
		op.Party.Lang = before.Lang
	}
	return op
}

// casePrepare does what must precede the commit: a new case and its code
// exist before the code is shown; an invite is redeemed before the join is
// confirmed. It reports false when the invite was taken meanwhile (the turn
// is then run again with the invite invalid).
func (s *Service) casePrepare(ctx context.Context, op *caseOp) (bool, error) {
	if op == nil {
		return true, nil
	}
	switch op.Kind {
	case dialog.CaseCreate:
		c := Case{ID: op.Case, Country: op.Country, Route: op.Route, Created: s.opt.Now(), Expires: s.opt.Now().Add(s.opt.SessionTTL),
			Parties: []Party{op.Party}, Events: []CaseEvent{{Time: s.opt.Now(), Side: dialog.SideOrg, What: "created"}},
			Applied: []string{op.ID}}
		if err := s.opt.Cases.CreateCase(ctx, c, op.Code, s.opt.InviteTTL); err != nil {
			return false, fmt.Errorf("create case: %w", err)
		}
	case dialog.CaseJoin:
		_, err := s.opt.Cases.RedeemInvite(ctx, op.Code, op.ID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("redeem invite: %w", err)
		}
	}
	return true, nil
}

// applyCase applies a committed turn's change to its case, with the
// notifications for the other side, once (see Case.Applied).
func (s *Service) applyCase(ctx context.Context, op *caseOp) error {
	if op == nil || s.opt.Cases == nil || op.Kind == dialog.CaseCreate || op.Case == "" {
		return nil
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		c, ver, err := s.opt.Cases.LoadCase(ctx, op.Case)
		if errors.Is(err, ErrNotFound) {
			return nil // ended and gone: nobody to tell
		}
		if err != nil {
			return fmt.Errorf("bot: load case: %w", err)
		}
		if slices.Contains(c.Applied, op.ID) {
			return nil
		}
		out := s.change(&c, op)
		c.Applied = append(c.Applied, op.ID)
		if len(c.Applied) > maxApplied {
			c.Applied = c.Applied[len(c.Applied)-maxApplied:]
		}
		err = s.opt.Cases.UpdateCase(ctx, c, ver, out)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bot: update case: %w", err)
		}
		if len(out) > 0 {
			s.wakeOutbox()
		}
		return nil
	}
	return fmt.Errorf("bot: update case: %w", ErrConflict)
}

// change applies op to c and returns the notifications it causes.
func (s *Service) change(c *Case, op *caseOp) []OutboxEntry {
	now := s.opt.Now()
	c.Expires = now.Add(s.opt.SessionTTL)
	me := c.Party(op.Party.Conv)
	if op.Kind == dialog.CaseJoin && me == nil {
		c.Parties = append(c.Parties, op.Party)
		me = &c.Parties[len(c.Parties)-1]
	}
	if me == nil {
		return nil // this side left or was detached meanwhile
	}
	event := func(what string) { c.Events = append(c.Events, CaseEvent{Time: now, Side: me.Side, What: what}) }
	if op.Kind != caseStop {
		me.Active = true
		if op.Party.Name != "" {
			me.Name = op.Party.Name
		}
		if op.Party.Lang != "" {
			me.Lang = op.Party.Lang
		}
	}
	actor := *me
	var notify func(to Party) []Reply
	switch op.Kind {
	case dialog.CaseJoin:
		event("joined")
		notify = func(to Party) []Reply { return s.r.caseNotice(c, to, "case_partner_joined", actor) }
	case dialog.CaseMark:
		if c.Steps == nil {
			c.Steps = map[string]dialog.StepState{}
		}
		c.Steps[op.Step] = op.State
		event(op.Step + ": " + string(op.State))
		notify = func(to Party) []Reply { return s.r.caseReport(c, to, actor, op.Step, op.State) }
	case dialog.CaseLeave:
		// A side that left keeps nothing of itself in the case (the
		// notice below is rendered from actor, taken before).
		me.Left, me.Active = true, false
		me.Conv, me.Name, me.Lang = "", "", ""
		if op.Forget {
			event("forgotten")
		} else {
			event("left")
		}
		notify = func(to Party) []Reply { return s.r.caseNotice(c, to, "case_partner_left", actor) }
		c.Ended = true
		for _, p := range c.Parties {
			if !p.Left {
				c.Ended = false
			}
		}
	case caseStop:
		me.Active = false
		event("blocked")
	case caseActive:
		event("active again")
	}
	if notify == nil {
		return nil
	}
	var out []OutboxEntry
	for _, p := range c.Parties {
		if p.Side == actor.Side || p.Left || !p.Active || p.Conv == "" {
			continue
		}
		out = append(out, OutboxEntry{ID: op.ID + ">" + string(p.Conv), Case: c.ID, To: p.Conv,
			Replies: notify(p), Created: now})
	}
	return out
}

// detach takes a conversation out of its shared case before its data is
// erased (the console's forget; the user's own goes through the turn).
func (s *Service) detach(ctx context.Context, id ConversationID) error {
	if s.opt.Cases == nil {
		return nil
	}
	snap, err := s.store.Load(ctx, id, "")
	if err != nil {
		return fmt.Errorf("bot: load conversation: %w", err)
	}
	sess := sessionOf(snap)
	if sess.Case == "" {
		return nil
	}
	op := &caseOp{ID: "forget:" + string(id) + ":" + s.opt.Now().UTC().Format(time.RFC3339Nano), Kind: dialog.CaseLeave,
		Case: sess.Case, Party: Party{Conv: id}, Forget: true}
	return s.applyCase(ctx, op)
}

// describe is the transcript line of a change (no personal data).
func (op *caseOp) describe() string {
	switch op.Kind {
	case dialog.CaseMark:
		return "case " + op.Case + ": " + op.Step + " marked " + string(op.State)
	case dialog.CaseLeave:
		if op.Forget {
			return "case " + op.Case + ": detached (data forgotten)"
		}
		return "case " + op.Case + ": left"
	case dialog.CaseCreate:
		return "case " + op.Case + ": created, invite code issued"
	case dialog.CaseJoin:
		return "case " + op.Case + ": joined"
	}
	return "case " + op.Case + ": " + string(op.Kind)
}

// caseCtx is what the renderer needs of shared cases for one turn.
type caseCtx struct {
	view   *dialog.CaseView
	invite *dialog.Invite
	code   string // a new case's invite code
	link   string // its deep link ("" when unknown)
	image  string // its QR image URL ("" for none)
}

func (s *Service) caseContext(cx *caseInput, op *caseOp) caseCtx {
	tc := caseCtx{view: cx.view, invite: cx.invite}
	if op == nil {
		return tc
	}
	switch op.Kind {
	case dialog.CaseCreate:
		tc.code = op.Code
		if s.opt.InviteLink != nil {
			tc.link = s.opt.InviteLink(op.Code)
		}
		if s.opt.InviteImage != nil {
			tc.image = s.opt.InviteImage(op.Code)
		}
	case dialog.CaseMark:
		if tc.view != nil {
			v := *tc.view
			v.Steps = make(map[string]dialog.StepState, len(tc.view.Steps)+1)
			for k, st := range tc.view.Steps {
				v.Steps[k] = st
			}
			v.Steps[op.Step] = op.State
			tc.view = &v
		}
	}
	return tc
}

func (s *Service) wakeOutbox() {
	select {
	case s.outboxWake <- struct{}{}:
	default:
	}
}
