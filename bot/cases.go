package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"example.com/sswbot/dialog"
)

// A shared case is one hiring procedure followed by two people on two
// platforms: the organisation that invited (LINE, usually) and the worker who
// joined with the invite code (Telegram, usually). It lives apart from both
// conversations, so each side's data can be erased alone.
//
// Exactly once across two conversations. A turn that changes a case (join,
// mark, leave) commits its own conversation as every turn does, and the
// change to the case travels in that turn's dedupe record (the recorded
// outcome): the record is the source of truth. Right after the commit the
// bot applies the change to the case with the turn's event id as the
// change's id; the case keeps the ids it applied, and the outbox entries
// (the notifications for the other side) are written in the same atomic
// step as the case, so they exist exactly when the change does. A
// redelivered event finds its record and applies the change again, which the
// case recognises: no second notification. The two conversations live in
// different Redis Cluster slots, so no script could write both; a case and
// its outbox entries share one slot of their own instead (each case its
// own, so cases spread over the cluster).

// Case is one shared procedure.
type Case struct {
	ID      string               `json:"id"`
	Country string               `json:"country"`
	Route   string               `json:"route"`
	Parties []Party              `json:"parties"`
	Steps   map[string]StepState `json:"steps,omitempty"`
	Created time.Time            `json:"created"`
	// Expires is when the case ends by itself: the session retention after
	// its last change.
	Expires time.Time `json:"expires"`
	Ended   bool      `json:"ended,omitempty"`
	// Events is what happened, for the console: who (by side), what, when;
	// never a message text.
	Events []CaseEvent `json:"events,omitempty"`
	// Applied are the ids of the changes applied, newest last (bounded),
	// so a change applied again (a redelivered event) changes nothing.
	Applied []string `json:"applied,omitempty"`
}

// Party is one side of a case. Nothing else of a person is kept here.
type Party struct {
	Conv   ConversationID `json:"conv,omitempty"` // "" once detached (forgotten)
	Name   string         `json:"name,omitempty"` // display name shown to the other side
	Role   string         `json:"role,omitempty"`
	Side   string         `json:"side"`
	Lang   string         `json:"lang,omitempty"`
	Active bool           `json:"active"` // false after the user blocked the bot
	Left   bool           `json:"left,omitempty"`
}

// CaseEvent is one line of a case's history.
type CaseEvent struct {
	Time time.Time `json:"t"`
	Side string    `json:"side"`
	What string    `json:"what"` // created, joined, left, forgotten, blocked, "A.4: done"
}

// Party returns the party of conversation id, or nil.
func (c *Case) Party(id ConversationID) *Party {
	for i := range c.Parties {
		if c.Parties[i].Conv == id && id != "" {
			return &c.Parties[i]
		}
	}
	return nil
}

// OutboxEntry is a notification for one side of a case, committed with the
// change that causes it and sent by the outbox sender.
type OutboxEntry struct {
	// ID is stable (the change's id and the recipient), so a retried send
	// is recognised where the platform allows (LINE X-Line-Retry-Key).
	ID      string         `json:"id"`
	Case    string         `json:"case"`
	To      ConversationID `json:"to"`
	Replies []Reply        `json:"replies"`
	Created time.Time      `json:"created"`
}

// CaseStore keeps shared cases, invite codes and the outbox. Both stores
// implement it (conformance: store/storetest). A case and its outbox
// entries share one Redis Cluster slot, so a change and its notifications
// are one atomic step; different cases spread (store/redisstore/cases.go).
type CaseStore interface {
	// CreateCase stores a new case with its invite code, valid for ttl. A
	// second call with the same case id changes nothing (a retried turn).
	CreateCase(ctx context.Context, c Case, code string, ttl time.Duration) error
	// LookupInvite returns the case of a live, unused code, or ErrNotFound.
	LookupInvite(ctx context.Context, code string) (string, error)
	// RedeemInvite uses code for the change opID and returns its case: the
	// first redeem wins, and the same opID may redeem again (a retried
	// turn). ErrNotFound for a code unknown, expired or used by another.
	RedeemInvite(ctx context.Context, code, opID string) (string, error)
	// LoadCase returns a case and its version, or ErrNotFound.
	LoadCase(ctx context.Context, id string) (Case, int64, error)
	// UpdateCase writes c if its version is still base, together with the
	// outbox entries, in one atomic step; ErrConflict otherwise.
	UpdateCase(ctx context.Context, c Case, base int64, out []OutboxEntry) error
	// Cases lists the cases kept (for the console), newest first.
	Cases(ctx context.Context) ([]Case, error)
	// ClaimOutbox returns up to n entries due for sending and hides them
	// from other claims for lease (a sender that dies leaves them to the
	// next claim after that).
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, n int) ([]OutboxEntry, error)
	// DoneOutbox removes a sent (or undeliverable) entry.
	DoneOutbox(ctx context.Context, e OutboxEntry) error
	// ReleaseOutbox gives a claimed entry back, to be claimed again from
	// due on (by any process): a send that failed is retried soon, not
	// after the claim's lease.
	ReleaseOutbox(ctx context.Context, e OutboxEntry, due time.Time) error
}

// ErrBlocked is what a Notifier returns when the user blocked the bot.
var ErrBlocked = errors.New("the user blocked the bot")

// Notifier sends notifications to users of one platform outside a reply;
// the adapters implement it.
type Notifier interface {
	// Notify sends replies to userID. id is stable for the notification:
	// a platform that deduplicates (LINE X-Line-Retry-Key) shows a
	// retried notification once. It returns an error wrapping ErrBlocked
	// when the user blocked the bot.
	Notify(ctx context.Context, userID, id string, replies []Reply) error
}

// DefaultInviteTTL is how long an invite code is valid (SSWBOT_INVITE_TTL).
const DefaultInviteTTL = 14 * 24 * time.Hour

// codeAlphabet is base32 without the look-alikes 0/O, 1/I: a code is read
// out, typed and photographed.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLen characters of 5 bits: 50 bits from crypto/rand.
const CodeLen = 10

// newCode returns a fresh invite code.
func newCode() string {
	var b [CodeLen]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b[:])
}

// NormalizeCode folds what a user typed into a code's form (upper case,
// without spaces and dashes); "" when it cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\u3000", "").Replace(strings.TrimSpace(s)))
	if len(s) != CodeLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
	}
	return s
}

// newCaseID returns a fresh case id (no meaning, no user data).
func newCaseID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	const hex = "0123456789abcdef"
	out := make([]byte, 16)
	for i, x := range b {
		out[2*i], out[2*i+1] = hex[x>>4], hex[x&15]
	}
	return string(out)
}

// maxApplied bounds Case.Applied: a redelivery comes within hours, a case
// sees a few dozen changes in its life.
const maxApplied = 64

// joinWait is the slowdown for wrong invite codes: none for the first two,
// then 1, 2, 4 … minutes, and a day after ten in a row.
func joinWait(fails int) time.Duration {
	switch {
	case fails < 3:
		return 0
	case fails >= 10:
		return 24 * time.Hour
	}
	return time.Minute << (fails - 3)
}

// Step states and sides of a case, as the dialog names them (for the
// stores, which know bot's types only).
type StepState = dialog.StepState

const (
	StepNotStarted = dialog.StepNotStarted
	StepInProgress = dialog.StepInProgress
	StepDone       = dialog.StepDone
	SideOrg        = dialog.SideOrg
	SideWorker     = dialog.SideWorker
)
