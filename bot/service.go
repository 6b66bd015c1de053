package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/metrics"
	"example.com/sswbot/understand"
)

// Options tune a Service. Zero values get defaults.
type Options struct {
	Now        func() time.Time // the clock; time.Now by default
	Logger     *slog.Logger
	Metrics    *metrics.Set
	SessionTTL time.Duration // only for the {days} in texts; the store enforces it. Default 30 days.
	// DefaultLang is the language assumed for a platform when it gives no
	// hint (LINE users are Japanese employers).
	DefaultLang map[Platform]string
	// MaxStoredText caps the characters of one transcript entry's text; a
	// longer one is stored cut, with a marker saying how much is missing.
	// The dialog and the replies still get the whole text. Default 2000.
	MaxStoredText int
	// Cases keeps shared cases, invite codes and the outbox; nil turns
	// shared cases off (no invite button).
	Cases CaseStore
	// EventLease is the stores' in-flight lease of an event (0 = their
	// default, 40 s); held notifications a turn took outlast it.
	EventLease time.Duration
	// InviteTTL is how long an invite code is valid; DefaultInviteTTL.
	InviteTTL time.Duration
	// InviteLink returns the link that opens the worker's chat with an
	// invite code (the Telegram deep link https://t.me/<bot>?start=<code>),
	// "" when unknown (then only the code is shown). It is asked at each
	// invite, so the bot's username may be learnt after start.
	InviteLink func(code string) string
	// InviteImage returns the URL of the code's QR image, "" for none.
	InviteImage func(code string) string
	// PushQuota counts a platform's pushes against its monthly limit;
	// near it, case notifications to that platform are held and given with
	// the reply to the recipient's next message (held.go). nil: no holding.
	PushQuota *PushQuota
	// ReplyFits reports whether replies go out as one reply request on
	// platform (LINE: at most five messages), so held notifications are
	// added to a reply only when they cost no push. nil: always.
	ReplyFits func(p Platform, replies []Reply) bool
	// RecentConversations is how many conversations' last committed
	// snapshots are kept for a store that can claim and commit in one step
	// (ClaimCommitter, recent.go); 0 means DefaultRecentConversations, a
	// negative number turns the shortcut off.
	RecentConversations int
}

// maxAttempts bounds the optimistic retry loop. Conflicts happen only when
// one user's events race each other; each retry is a fresh load.
const maxAttempts = 100

// Service is the bot: adapters call Handle for every platform event; the
// console calls the staff methods.
type Service struct {
	store Store
	kb    *knowledge.Base
	flow  *dialog.Flow
	model *understand.Model // nil when the content has no intents
	r     renderer
	opt   Options
	// holders names this process's event leases: a random prefix (unique
	// across processes and restarts) and a counter (unique per Handle).
	holderPrefix string
	holders      atomic.Uint64
	// outboxWake tells the outbox sender that a commit here wrote entries.
	outboxWake chan struct{}
	// fast and recent: the one-step turn (claimCommitFast); nil without.
	fast   ClaimCommitter
	recent *recent
}

// New builds a Service over store with the content in kb. It fails when the
// content lacks a text the bot needs.
func New(store Store, kb *knowledge.Base, opt Options) (*Service, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 30 * 24 * time.Hour
	}
	if opt.MaxStoredText <= 0 {
		opt.MaxStoredText = DefaultMaxStoredText
	}
	if opt.DefaultLang == nil {
		opt.DefaultLang = map[Platform]string{LINE: "ja"}
	}
	if opt.InviteTTL <= 0 {
		opt.InviteTTL = DefaultInviteTTL
	}
	if len(kb.Countries) == 0 {
		return nil, errors.New("bot: the knowledge base has no country")
	}
	// Countries are listed in file order; the first is shown until the
	// user has chosen one.
	flow, err := buildFlow(kb)
	if err != nil {
		return nil, err
	}
	if opt.Cases == nil {
		flow.OrgRoles = nil // no store for cases: nobody is offered an invite
	}
	var model *understand.Model
	if c := Corpus(kb); len(c.Intents) > 0 {
		if model, err = understand.New(c); err != nil {
			return nil, fmt.Errorf("bot: understanding: %w", err)
		}
	}
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	fast, _ := store.(ClaimCommitter)
	var rec *recent
	if opt.RecentConversations == 0 {
		opt.RecentConversations = DefaultRecentConversations
	}
	if fast != nil && opt.RecentConversations > 0 {
		rec = newRecent(opt.RecentConversations)
	} else {
		fast = nil
	}
	return &Service{
		fast: fast, recent: rec,
		store: store, kb: kb, flow: flow, model: model, opt: opt,
		r:            renderer{kb: kb, flow: flow, days: int(opt.SessionTTL / (24 * time.Hour)), inviteDays: int(opt.InviteTTL / (24 * time.Hour)), splits: newMemo[string, []string](maxSplitMemo), says: newMemo[sayKey, saidReply](maxSayMemo), choices: newMemo[choiceKey, button](maxChoiceMemo)},
		holderPrefix: hex.EncodeToString(b[:]) + "-",
		outboxWake:   make(chan struct{}, 1),
	}, nil
}

// Flow returns the dialog structure (for `sswbot graph` and tests).
func (s *Service) Flow() *dialog.Flow { return s.flow }

// KBVersion is the content version every transcript entry records.
func (s *Service) KBVersion() string { return s.kb.Version }

// Lang maps a platform language tag ("en-US", "ru") to a supported
// language, or "".
func Lang(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range knowledge.Languages {
		if l == base {
			return l
		}
	}
	return ""
}

// Handle processes one event exactly once (see Outcome). It returns an error
// wrapping ErrUnavailable when the store cannot be reached, or ErrInFlight
// when another handler holds the event (it is being handled or its replies
// sent right now); then nothing was written, nothing must be sent, and the
// platform should redeliver later. An event without an id is refused with
// ErrNoEventID.
func (s *Service) Handle(ctx context.Context, ev Event) (Outcome, error) {
	start := s.opt.Now()
	if ev.Time.IsZero() {
		ev.Time = start
	}
	if ev.EventID == "" && ev.Kind != KindGroup {
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), "no_id")
		return Outcome{}, fmt.Errorf("bot: %w", ErrNoEventID)
	}
	if ev.Kind == KindGroup {
		// Nothing is stored for group chats: one fixed answer.
		lang := Lang(ev.Lang)
		if lang == "" {
			lang = s.opt.DefaultLang[ev.Platform]
		}
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), "ok")
		return Outcome{Replies: []Reply{{Text: s.r.ui("group_only", orEn(lang))}}}, nil
	}
	out, outcome, err := s.handle(ctx, ev)
	s.opt.Metrics.Handled(string(ev.Platform), s.opt.Now().Sub(start))
	switch {
	case errors.Is(err, ErrInFlight):
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), "in_flight")
	case err != nil:
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), "error")
	case out.Duplicate:
		s.opt.Metrics.DedupeHit(string(ev.Platform))
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), "duplicate")
	default:
		s.opt.Metrics.Event(string(ev.Platform), string(ev.Kind), outcome)
	}
	return out, err
}

func orEn(lang string) string {
	if lang == "" {
		return "en"
	}
	return lang
}

// releaseTimeout bounds giving a lease back on an error path: the lease
// would end by itself anyway, so this must not hold the answer up.
const releaseTimeout = time.Second

func (s *Service) handle(ctx context.Context, ev Event) (Outcome, string, error) {
	var b [32]byte
	holder := string(strconv.AppendUint(append(b[:0], s.holderPrefix...), s.holders.Add(1), 36))
	out, outcome, err := s.claimAndCommit(ctx, ev, holder)
	if err != nil && !errors.Is(err, ErrInFlight) {
		// Nothing will be sent for this event here: give its lease back so
		// that the platform's redelivery is handled at once, not after the
		// lease's TTL. (ErrInFlight: the lease is someone else's.)
		s.release(ctx, ev.Conversation(), ev.EventID, holder)
	}
	out.Lease = holder
	return out, outcome, err
}

func (s *Service) release(ctx context.Context, id ConversationID, eventID, holder string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := s.store.Release(ctx, id, eventID, holder); err != nil {
		s.opt.Metrics.StoreError("release")
		s.opt.Logger.Warn("bot: lease not released; it ends by itself", "event", eventID, "err", err)
	}
}

// Release gives up the event's lease taken by the Handle that returned
// lease (Outcome.Lease). An adapter calls it when nothing of the answer
// could be sent and the platform will deliver the event again, so that the
// redelivery need not wait for the lease to run out; it finds the send
// intent still "sending" and resolves it. A lease another handler holds
// by now is left alone.
func (s *Service) Release(ctx context.Context, id ConversationID, eventID, lease string) error {
	if eventID == "" || lease == "" {
		return nil
	}
	if err := s.store.Release(ctx, id, eventID, lease); err != nil {
		return fmt.Errorf("bot: release lease: %w", err)
	}
	return nil
}

func (s *Service) claimAndCommit(ctx context.Context, ev Event, holder string) (Outcome, string, error) {
	id := ev.Conversation()
	if out, outcome, done, err := s.claimCommitFast(ctx, ev, holder); done {
		return out, outcome, err
	}
	var cx caseInput // keeps a new case's id and code across retries
	for attempt := 0; attempt < maxAttempts; attempt++ {
		snap, err := s.store.Claim(ctx, id, ev.EventID, holder)
		if errors.Is(err, ErrInFlight) {
			return Outcome{}, "", fmt.Errorf("bot: event %s: %w", ev.EventID, err)
		}
		if err != nil {
			s.opt.Metrics.StoreError("load")
			return Outcome{}, "", fmt.Errorf("bot: load conversation: %w", err)
		}
		if snap.Recorded != nil {
			rec, err := s.recordedOf(snap.Recorded.Outcome, ev)
			if err != nil {
				return Outcome{}, "", fmt.Errorf("bot: decode recorded outcome: %w", err)
			}
			if rec.Forget && snap.Meta != nil && !snap.Meta.Started.After(ev.Time) {
				// (A conversation started after the erase is not erased.)
				// The first delivery committed but failed to erase: erase now.
				if err := s.store.Forget(ctx, id); err != nil {
					return Outcome{}, "", fmt.Errorf("bot: forget conversation: %w", err)
				}
			}
			// The first handling may have stopped before the case was
			// changed: change it now (a change applied already is skipped).
			if err := s.applyCase(ctx, rec.Case); err != nil {
				return Outcome{}, "", err
			}
			s.doneHeld(ctx, id, ev.EventID, rec.Held)
			return Outcome{Replies: rec.Replies, Duplicate: true, Delivered: snap.Recorded.Delivered, ReplyToken: snap.Recorded.ReplyToken}, "", nil
		}
		if err := s.caseInputs(ctx, snap, ev, &cx); err != nil {
			s.opt.Metrics.StoreError("load")
			return Outcome{}, "", fmt.Errorf("bot: %w", err)
		}
		cx.held, cx.heldOthers, cx.readHeld = nil, 0, snap.Meta != nil && snap.Meta.Held
		if cx.readHeld {
			if cx.held, cx.heldOthers, err = s.takeHeld(ctx, id, ev.EventID); err != nil {
				s.opt.Metrics.StoreError("load")
				return Outcome{}, "", err
			}
		}
		// Read nothing beside the conversation (as on the one-step path):
		// the record may keep how to compute the replies (encodeReplay).
		cx.replay = cx.view == nil && cx.invite == nil && cx.choice == "" && !cx.inactive && len(cx.held) == 0
		c, out, forget, outcome, op := s.turn(snap, ev, &cx)
		ok, err := s.casePrepare(ctx, op)
		if err != nil {
			return Outcome{}, "", fmt.Errorf("bot: %w", err)
		}
		if !ok { // the invite was taken meanwhile: the same turn, the code invalid
			cx.invite.Valid, cx.inviteCase = false, ""
			c, out, forget, outcome, op = s.turn(snap, ev, &cx)
		}
		s.sendIntent(&c, ev, holder, out)
		err = s.store.Commit(ctx, id, snap, c)
		switch {
		case errors.Is(err, ErrInFlight):
			// Our lease ran out and another handler took the event over.
			return Outcome{}, "", fmt.Errorf("bot: event %s: %w", ev.EventID, err)
		case errors.Is(err, ErrConflict), errors.Is(err, ErrDuplicate):
			continue // someone else wrote first: load again
		case err != nil:
			s.opt.Metrics.StoreError("commit")
			return Outcome{}, "", fmt.Errorf("bot: commit turn: %w", err)
		}
		if err := s.committed(ctx, id, ev, snap, c, forget, &cx, op); err != nil {
			return Outcome{}, "", err
		}
		return out, outcome, nil
	}
	return Outcome{}, "", fmt.Errorf("bot: %d concurrent updates in a row: %w", maxAttempts, ErrConflict)
}

// claimCommitFast handles the event in one step of the store
// (ClaimCommitter) when this process committed the conversation's last turn
// and still has its snapshot (recent): the turn is computed from that
// snapshot and committed with the checks Claim would have made. It applies
// only to turns that read or change nothing beside the conversation (no
// shared case, no held notification, no invite code). done is false when
// it did not apply or the snapshot proved stale; then nothing was written
// and the Claim path takes over.
func (s *Service) claimCommitFast(ctx context.Context, ev Event, holder string) (out Outcome, outcome string, done bool, err error) {
	if s.fast == nil {
		return Outcome{}, "", false, nil
	}
	id := ev.Conversation()
	snap, ok := s.recent.get(id)
	if !ok || snap.Meta != nil && snap.Meta.Held || !s.caseFree(snap, ev) {
		return Outcome{}, "", false, nil
	}
	cx := caseInput{replay: true}
	c, out, forget, outcome, op := s.turn(snap, ev, &cx)
	if op != nil {
		return Outcome{}, "", false, nil // a case to change: prepared on the Claim path
	}
	s.sendIntent(&c, ev, holder, out)
	err = s.fast.ClaimCommit(ctx, id, snap, c)
	switch {
	case errors.Is(err, ErrInFlight):
		return Outcome{}, "", true, fmt.Errorf("bot: event %s: %w", ev.EventID, err)
	case errors.Is(err, ErrConflict), errors.Is(err, ErrDuplicate):
		s.recent.drop(id)
		return Outcome{}, "", false, nil
	case err != nil:
		s.recent.drop(id)
		s.opt.Metrics.StoreError("commit")
		return Outcome{}, "", true, fmt.Errorf("bot: commit turn: %w", err)
	}
	if err := s.committed(ctx, id, ev, snap, c, forget, &cx, nil); err != nil {
		return Outcome{}, "", true, err
	}
	return out, outcome, true, nil
}

// sendIntent completes a turn's commit with its send intent: the lease
// holder and the reply token, or "delivered" at once when there is
// nothing to send.
func (s *Service) sendIntent(c *Commit, ev Event, holder string, out Outcome) {
	s.clip(c.Entries)
	c.Holder, c.ReplyToken = holder, ev.ReplyToken
	c.Delivered = out.Silent || len(out.Replies) == 0
}

// committed does what follows a committed turn: the erase the turn asked
// for, the held notifications it gave, the shared case it changes; and it
// keeps the snapshot the commit left for the next turn (recent).
func (s *Service) committed(ctx context.Context, id ConversationID, ev Event, base Snapshot, c Commit, forget bool, cx *caseInput, op *caseOp) error {
	if forget {
		if s.recent != nil {
			s.recent.drop(id)
		}
		if err := s.store.Forget(ctx, id); err != nil {
			s.opt.Metrics.StoreError("forget")
			return fmt.Errorf("bot: forget conversation: %w", err)
		}
		if err := s.dropHeld(ctx, id); err != nil {
			return err
		}
	} else {
		if s.recent != nil {
			s.recent.put(id, base, c)
		}
		if len(cx.held) > 0 {
			gave := cx.gave
			s.doneHeld(ctx, id, ev.EventID, gave)
			if q := s.opt.PushQuota; q != nil {
				s.opt.Metrics.Held(string(q.Platform()), "delivered", len(gave))
			}
		}
	}
	if err := s.applyCase(ctx, op); err != nil {
		s.opt.Metrics.StoreError("case")
		return err
	}
	return nil
}

// turn computes one event's commit from a snapshot. It is pure apart from
// the clock, so the retry loop can call it again on a fresh snapshot.
func (s *Service) turn(snap Snapshot, ev Event, cx *caseInput) (c Commit, out Outcome, forget bool, outcome string, op *caseOp) {
	now := s.opt.Now()
	var meta Meta
	if snap.Meta != nil {
		meta = *snap.Meta
	} else {
		meta = Meta{ID: ev.Conversation(), Platform: ev.Platform, Started: now}
	}
	sess := sessionOf(snap)
	expired := snap.Meta != nil && snap.Session == nil
	before := sess.Label(s.flow)
	if sess.State == "" {
		before = ""
	}
	if ev.DisplayName != "" {
		meta.DisplayName = ev.DisplayName
	}
	c = Commit{EventID: ev.EventID, Now: now}
	in := Entry{Time: ev.Time, Dir: In, Text: ev.Text, StateBefore: before, KBVersion: s.kb.Version, EventID: ev.EventID}
	outcome = "ok"
	ranDialog := false

	switch {
	case ev.Kind == KindStop:
		meta.Inactive = true
		in.Dir, in.Text = System, "inactive: "+string(ev.Platform)+" reported the user left or blocked the bot"
		in.StateAfter = before
		c.Entries = []Entry{in}
		outcome = "inactive"
		if sess.Case != "" {
			op = &caseOp{ID: ev.EventID, Kind: caseStop, Case: sess.Case, Party: Party{Conv: ev.Conversation()}}
		}
	case meta.Owner != "" && !s.passesHandoff(ev):
		// A person owns the conversation: record, stay silent.
		meta.Inactive = false
		in.Text = s.inText(ev, sess)
		in.StateAfter = before
		c.Entries = []Entry{in}
		out.Silent = true
		outcome = "silent"
	case isMore(ev) && snap.Session != nil:
		// "More" shows the rest of the buttons: no dialog, no change, no miss.
		meta.Inactive = false
		in.Text = s.r.ui("btn_more", sess.Lang)
		in.StateAfter = before
		c.Entries = []Entry{in}
		out.Replies = s.r.more(sess, ev.Text)
		for _, r := range out.Replies {
			c.Entries = append(c.Entries, Entry{Time: now, Dir: Out, Text: r.Text, StateBefore: before, StateAfter: before,
				KBVersion: s.kb.Version, EventID: ev.EventID, Choices: labels(r.Choices)})
		}
	default:
		ranDialog = true
		meta.Inactive = false
		input := dialog.Input{Kind: dialog.InputKind(ev.Kind), Text: ev.Text, LangHint: Lang(ev.Lang), Expired: expired}
		if ev.Kind == KindText {
			// Compatibility forms (half-width katakana, full-width Latin) fold to
			// the forms the labels and keywords are written in.
			input.Text = norm.NFKC.String(ev.Text)
		}
		if input.LangHint == "" && expired {
			input.LangHint = meta.Lang // the expired session's language
		}
		if input.LangHint == "" && sess.Lang == "" {
			input.LangHint = s.opt.DefaultLang[ev.Platform]
		}
		switch ev.Kind {
		case KindText, KindChoice, KindStart, KindUnsupported:
		default:
			input.Kind = dialog.Unsupported
		}
		in.Text = s.inText(ev, sess)
		input.Case, input.Invite = cx.view, cx.invite
		if cx.choice != "" {
			input.Kind, input.Text = dialog.Choice, cx.choice
		}
		if input.Kind == dialog.Text && s.model != nil {
			input.TypedLang = s.typedLang(sess, input.Text)
		}
		if input.Kind == dialog.Text && dialog.NeedsReading(s.flow, sess, input) {
			input.Reading = s.read(sess, input)
		}
		langBefore := sess.Lang
		res := dialog.Step(s.flow, sess, input)
		op = s.caseAfter(&res, cx, ev, meta, sess)
		sess, forget = res.Session, res.Forget
		out.Lang, out.LangChanged = sess.Lang, sess.Lang != langBefore
		if res.Unrecognized {
			in.Unrecognized = true
			meta.Misses++
			outcome = "unrecognized"
		}
		in.Topic = outOfScope(res.Replies)
		tc := s.caseContext(cx, op)
		replies := s.r.render(sess, res.Replies, &tc)
		after := sess.Label(s.flow)
		in.StateAfter = after
		c.Entries = make([]Entry, 0, 2+len(replies))
		c.Entries = append(c.Entries, in)
		if op != nil {
			// The case's events in this side's transcript (the console).
			c.Entries = append(c.Entries, Entry{Time: now, Dir: System, Text: op.describe(), StateBefore: after,
				StateAfter: after, KBVersion: s.kb.Version, EventID: ev.EventID})
		}
		for _, r := range replies {
			c.Entries = append(c.Entries, Entry{Time: now, Dir: Out, Text: r.Text, StateBefore: before, StateAfter: after,
				KBVersion: s.kb.Version, EventID: ev.EventID, Choices: labels(r.Choices)})
		}
		out.Replies = replies
		s.describe(&meta, sess)
	}
	steps := 0
	if r := s.flow.Route(sess.Country, sess.Route); r != nil {
		steps = len(r.Steps)
	}
	c.Stages = funnelStages(&meta, in.StateAfter, ranDialog && in.StateAfter != before, steps, now)
	meta.Turns++
	meta.LastActive = now
	if sess.V == 0 {
		sess.V = dialog.SessionVersion
	}
	// Only a dialog turn writes the session; a stop or a message while a
	// person owns the conversation leaves it (or its expiry) as it is.
	if ranDialog || snap.Session != nil {
		c.Session = encodeSession(sess)
	}
	cx.gave = nil
	if !forget {
		cx.gave = s.giveHeld(&c, &out, cx.held, ev)
	}
	if cx.readHeld && len(cx.gave) == len(cx.held) && cx.heldOthers == 0 {
		meta.Held = false // nothing waits any more
	}
	if cx.replay && op == nil && len(cx.gave) == 0 {
		c.Outcome = encodeReplay(snap)
	} else {
		c.Outcome = encodeRecorded(recorded{Replies: out.Replies, Forget: forget, Case: op, Held: cx.gave})
	}
	c.Meta = meta
	return c, out, forget, outcome, op
}

// sessionOf decodes the snapshot's session. A session we cannot read is
// treated as gone; the dialog's normalisation starts the user at the first
// open question.
func sessionOf(snap Snapshot) dialog.Session {
	if snap.Session == nil {
		return dialog.Session{}
	}
	sess, err := decodeSession(snap.Session)
	if err != nil {
		return dialog.Session{}
	}
	return sess
}

// recordedOf reads a dedupe record's content. For a record that keeps how
// to compute the replies (encodeReplay) it runs the turn again on the
// snapshot it was computed from: the dialog is pure, and ev is the same
// event again (a redelivery), so the replies are the first ones. (After a
// deploy in between, they are those of the new content.)
func (s *Service) recordedOf(raw []byte, ev Event) (recorded, error) {
	snap, ok, err := decodeReplay(raw)
	if !ok {
		return decodeRecorded(raw)
	}
	if err != nil {
		return recorded{}, err
	}
	_, out, forget, _, _ := s.turn(snap, ev, &caseInput{})
	return recorded{Replies: out.Replies, Forget: forget}, nil
}

// recorded is what the dedupe record keeps of a turn: the replies, and
// whether the turn erases the conversation (so a redelivery can finish an
// erase that failed halfway).
type recorded struct {
	Replies []Reply `json:"r,omitempty"`
	Forget  bool    `json:"f,omitempty"`
	// Case is the turn's change to a shared case, applied after the
	// commit and again by a redelivery (to no effect when applied).
	Case *caseOp `json:"c,omitempty"`
	// Held are the ids of held notifications given with the replies.
	Held []string `json:"h,omitempty"`
}

// passesHandoff lets privacy requests through while a person owns the
// conversation: forgetting one's data works in every state.
func (s *Service) passesHandoff(ev Event) bool {
	if ev.Kind != KindChoice {
		return false
	}
	p, _ := dialog.Parse(ev.Text)
	return p.Kind == dialog.KindForget || p.Kind == dialog.KindYes || p.Kind == dialog.KindNo ||
		p.Kind == dialog.KindLeaveCase
}

// inText is what the transcript shows for an incoming event: typed text as
// is, a pressed button as its label.
func (s *Service) inText(ev Event, sess dialog.Session) string {
	switch ev.Kind {
	case KindChoice:
		p, ok := dialog.Parse(ev.Text)
		if !ok {
			return "[" + ev.Text + "]"
		}
		return s.r.button(p, s.r.country(sess), orEn(sess.Lang)).shown
	case KindStart:
		return strings.TrimSpace("[start] " + ev.Text)
	case KindUnsupported:
		return "[unsupported message]"
	}
	return ev.Text
}

// describe copies the session's answers into the index record.
func (s *Service) describe(m *Meta, sess dialog.Session) {
	m.Lang, m.Role, m.Location, m.Route = sess.Lang, sess.Role, sess.Location, sess.Route
	m.State = sess.Label(s.flow)
	m.Handoff = m.Handoff || sess.Handoff
	m.Step, m.StepN, m.StepTotal = "", 0, 0
	m.Country = sess.Country
	if r := s.flow.Route(sess.Country, sess.Route); r != nil && sess.Step != "" {
		m.Step, m.StepN, m.StepTotal = sess.Step, r.Index(sess.Step)+1, len(r.Steps)
	}
	if sess.State == dialog.StateDone {
		m.Finished = true
	}
}

// MarkDelivered records that the replies to eventID were sent, so a
// redelivered copy is not answered twice, and ends the event's lease.
func (s *Service) MarkDelivered(ctx context.Context, id ConversationID, eventID string) error {
	if err := s.store.MarkDelivered(ctx, id, eventID); err != nil {
		return fmt.Errorf("bot: mark delivered: %w", err)
	}
	return nil
}

// Forget erases everything kept about the conversation.
func (s *Service) Forget(ctx context.Context, id ConversationID) error {
	// A shared case first loses this side (the other is told), so no
	// trace of it stays in the case.
	if err := s.detach(ctx, id); err != nil {
		return err
	}
	if s.recent != nil {
		s.recent.drop(id)
	}
	if err := s.store.Forget(ctx, id); err != nil {
		return fmt.Errorf("bot: forget: %w", err)
	}
	return s.dropHeld(ctx, id)
}

// staffAction applies a staff change to a conversation through the same
// optimistic loop as Handle.
func (s *Service) staffAction(ctx context.Context, id ConversationID, apply func(m *Meta, sess *dialog.Session) (Entry, error)) (dialog.Session, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		snap, err := s.store.Load(ctx, id, "")
		if err != nil {
			return dialog.Session{}, fmt.Errorf("bot: load conversation: %w", err)
		}
		if snap.Meta == nil {
			return dialog.Session{}, ErrNotFound
		}
		meta := *snap.Meta
		sess := sessionOf(snap)
		e, err := apply(&meta, &sess)
		if err != nil {
			return dialog.Session{}, err
		}
		now := s.opt.Now()
		e.Time, e.KBVersion = now, s.kb.Version
		e.StateBefore, e.StateAfter = meta.State, meta.State
		meta.LastActive = now
		c := Commit{Meta: meta, Entries: []Entry{e}, Now: now, Outcome: []byte("{}")}
		s.clip(c.Entries)
		// Staff activity counts the conversation as active that day.
		c.Stages = funnelStages(&c.Meta, "", false, 0, now)
		if snap.Session != nil { // an expired session stays expired
			c.Session = encodeSession(sess)
		}
		if sess.Lang == "" {
			sess.Lang = meta.Lang // for the notice, when the session expired
		}
		err = s.store.Commit(ctx, id, snap, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return dialog.Session{}, fmt.Errorf("bot: commit staff action: %w", err)
		}
		return sess, nil
	}
	return dialog.Session{}, fmt.Errorf("bot: staff action: %w", ErrConflict)
}

// TakeOver makes staff the owner of the conversation: the bot stays silent
// for that user until HandBack. It returns the notice to send the user in
// their language.
func (s *Service) TakeOver(ctx context.Context, id ConversationID, staff string) (string, error) {
	sess, err := s.staffAction(ctx, id, func(m *Meta, _ *dialog.Session) (Entry, error) {
		m.Owner = staff
		return Entry{Dir: System, Staff: staff, Text: "taken over by " + staff}, nil
	})
	if err != nil {
		return "", err
	}
	return s.r.ui("staff_joined", orEn(sess.Lang)), nil
}

// HandBack returns the conversation to the bot and clears the request for a
// person; only the owner may. It returns the notice to send the user.
func (s *Service) HandBack(ctx context.Context, id ConversationID, staff string) (string, error) {
	sess, err := s.staffAction(ctx, id, func(m *Meta, sess *dialog.Session) (Entry, error) {
		if m.Owner != staff {
			return Entry{}, fmt.Errorf("bot: hand back by %s: %w", staff, ErrNotOwner)
		}
		m.Owner, m.Handoff, sess.Handoff = "", false, false
		return Entry{Dir: System, Staff: staff, Text: "handed back to the bot by " + staff}, nil
	})
	if err != nil {
		return "", err
	}
	return s.r.ui("staff_left", orEn(sess.Lang)), nil
}

// StaffReply records a message a staff member sent to the user (the console
// sends it through the platform first); only the owner may.
func (s *Service) StaffReply(ctx context.Context, id ConversationID, staff, text string) error {
	_, err := s.staffAction(ctx, id, func(m *Meta, _ *dialog.Session) (Entry, error) {
		if m.Owner != staff {
			return Entry{}, fmt.Errorf("bot: reply by %s: %w", staff, ErrNotOwner)
		}
		return Entry{Dir: Staff, Staff: staff, Text: text}, nil
	})
	return err
}

// DefaultMaxStoredText is Options.MaxStoredText when none is given: longer
// than any step of the content, shorter than LINE's 5,000-character messages.
const DefaultMaxStoredText = 2000

// clip cuts the entries' texts to MaxStoredText characters, with a marker.
func (s *Service) clip(es []Entry) {
	for i := range es {
		es[i].Text = clipText(es[i].Text, s.opt.MaxStoredText)
	}
}

func clipText(t string, limit int) string {
	if len(t) <= limit { // bytes ≥ characters
		return t
	}
	n := utf8.RuneCountInString(t)
	if n <= limit {
		return t
	}
	cut := 0
	for range limit {
		_, size := utf8.DecodeRuneInString(t[cut:])
		cut += size
	}
	return t[:cut] + " … [" + strconv.Itoa(n-limit) + " more characters not stored]"
}

// labels are the buttons' labels, as the transcript keeps them.
func labels(cs []Choice) []string {
	if len(cs) == 0 {
		return nil
	}
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Label)
	}
	return out
}
