package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"example.com/sswbot/metrics"
)

// LINE pushes count against the channel's monthly message quota (one push
// request to one user is one message, however many bubbles it carries;
// replies are free). PushQuota counts every push the bot makes in the
// billing month and says when the quota is near: then the shared case's
// notifications to that platform's users are held and given with the
// reply to their next message (held.go), and a staff message is refused
// once the quota is used up, so nobody's message is dropped unseen.

// ErrQuotaExhausted is what a push refused for the monthly quota wraps.
var ErrQuotaExhausted = errors.New("the monthly push quota is used up")

// QuotaStore keeps the push count per month and the notifications held
// back per recipient. Both stores implement it (conformance:
// store/storetest.RunQuota).
type QuotaStore interface {
	// CountPush counts one push in month ("2006-01") unless key was counted
	// within keyTTL (a retried push with the same retry key is one push for
	// the platform), and returns the month's count.
	CountPush(ctx context.Context, month, key string, keyTTL time.Duration) (int64, error)
	// PushCount returns the month's count, 0 when nothing was counted.
	PushCount(ctx context.Context, month string) (int64, error)
	// LoadHeld returns what is held for a conversation and its version (0
	// and an empty Held when nothing is).
	LoadHeld(ctx context.Context, to ConversationID) (Held, int64, error)
	// SaveHeld writes h if the version is still base (ErrConflict
	// otherwise), kept for ttl after this write; an empty h (no entries,
	// nothing seen) removes the record.
	SaveHeld(ctx context.Context, to ConversationID, h Held, base int64, ttl time.Duration) error
}

// Held is what is held back for one recipient.
type Held struct {
	// Entries wait for the recipient's next message, oldest first.
	Entries []HeldEntry `json:"e,omitempty"`
	// Seen are the ids of entries already given with a reply, newest
	// last (bounded), so an outbox entry held again after its sender
	// stopped is not given twice.
	Seen []string `json:"s,omitempty"`
}

// HeldEntry is one held notification and the event whose reply carries it.
type HeldEntry struct {
	OutboxEntry
	// TakenBy is the event whose turn put it into its reply; "" while it
	// waits. Such an entry is done once that event's commit is found.
	TakenBy string    `json:"by,omitempty"`
	TakenAt time.Time `json:"at,omitzero"`
}

// PushKeyTTL is how long LINE remembers an X-Line-Retry-Key: a push with a
// key counted within it is not counted again.
const PushKeyTTL = 24 * time.Hour

// DefaultPushNear is the share of the monthly limit from which
// notifications are held (SSWBOT_LINE_PUSH_NEAR).
const DefaultPushNear = 0.9

// billingZone is LINE's: the month turns at midnight in Japan (no DST).
var billingZone = time.FixedZone("JST", 9*60*60)

// PushQuota counts one platform's pushes against its monthly limit.
type PushQuota struct {
	platform Platform
	store    QuotaStore
	limit    int64
	near     float64
	now      func() time.Time
	m        *metrics.Set

	mu       sync.Mutex
	reported PushUsage // the platform's own numbers (Report), for their month
}

// PushUsage is a month's pushes against the limit.
type PushUsage struct {
	Month string // "2006-01", in the billing zone
	Used  int64
	Limit int64 // 0: none
	// Near: notifications are held (Used ≥ Limit × near); Exhausted:
	// Used ≥ Limit, a push would be refused.
	Near, Exhausted bool
}

// NewPushQuota counts platform's pushes in store. limit 0 means none (the
// platform's own, once reported); near is the share of it from which
// notifications are held (DefaultPushNear when outside (0, 1]).
func NewPushQuota(platform Platform, store QuotaStore, limit int64, near float64, now func() time.Time, m *metrics.Set) *PushQuota {
	if near <= 0 || near > 1 {
		near = DefaultPushNear
	}
	if now == nil {
		now = time.Now
	}
	return &PushQuota{platform: platform, store: store, limit: limit, near: near, now: now, m: m}
}

// Platform is the platform whose pushes are counted.
func (q *PushQuota) Platform() Platform { return q.platform }

// Month is t's billing month.
func Month(t time.Time) string { return t.In(billingZone).Format("2006-01") }

// Count counts one push the platform accepted; key is its retry key (a
// retried request is counted once). A fresh key per request for pushes
// without one.
func (q *PushQuota) Count(ctx context.Context, key string) error {
	month := Month(q.now())
	n, err := q.store.CountPush(ctx, month, key, PushKeyTTL)
	if err != nil {
		return fmt.Errorf("bot: count push: %w", err)
	}
	q.m.Pushes(string(q.platform), n)
	return nil
}

// Report takes the platform's own numbers (LINE: GET
// /v2/bot/message/quota and …/consumption): the usage counted there (other
// tools of the channel push too) and its limit (0 for none).
func (q *PushQuota) Report(used, limit int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reported = PushUsage{Month: Month(q.now()), Used: used, Limit: limit}
}

// Usage returns this month's pushes: the larger of our count and the
// platform's report, against the smaller of the configured limit and the
// platform's (where set).
func (q *PushQuota) Usage(ctx context.Context) (PushUsage, error) {
	u := PushUsage{Month: Month(q.now()), Limit: q.limit}
	n, err := q.store.PushCount(ctx, u.Month)
	if err != nil {
		return u, fmt.Errorf("bot: push count: %w", err)
	}
	u.Used = n
	q.mu.Lock()
	rep := q.reported
	q.mu.Unlock()
	if rep.Month == u.Month {
		u.Used = max(u.Used, rep.Used)
		if rep.Limit > 0 && (u.Limit == 0 || rep.Limit < u.Limit) {
			u.Limit = rep.Limit
		}
	}
	if u.Limit > 0 {
		u.Exhausted = u.Used >= u.Limit
		u.Near = float64(u.Used) >= float64(u.Limit)*q.near
	}
	q.m.Pushes(string(q.platform), u.Used)
	return u, nil
}

// Allow returns an error wrapping ErrQuotaExhausted when a push now would
// exceed the month's limit.
func (q *PushQuota) Allow(ctx context.Context) error {
	u, err := q.Usage(ctx)
	if err != nil {
		return err
	}
	if u.Exhausted {
		return fmt.Errorf("bot: %d of %d pushes used in %s: %w", u.Used, u.Limit, u.Month, ErrQuotaExhausted)
	}
	return nil
}
