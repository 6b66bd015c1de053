package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/sswbot/dialog"
)

// Held notifications. Near the monthly push quota (PushQuota) the outbox
// sender does not push a case notification to a user of that platform: it
// holds it for the recipient (QuotaStore, in order, idempotent by the
// entry's id) and, once held, every later one too, so they stay in order.
// The recipient's next message gets them, merged into one message, in the
// reply, which costs nothing:
//
//   - Before its dialog runs, a turn takes the waiting entries for its event
//     (HeldEntry.TakenBy); its recorded outcome names the ids it gave
//     (recorded.Held), and after the commit they are done (Held.Seen). A
//     redelivered event finds its record and gives the same reply: once.
//   - A handler that stopped between its commit and "done" leaves entries
//     taken by its event: the next turn reads that event's dedupe record,
//     and what it gave is done, the rest waits again. An event never
//     committed frees its entries after Service.heldTakeLease: never lost.
//   - The held notes come first, merged into as few bubbles as fit
//     MaxBubble, and the turn's own answer last: the notes happened before
//     the user wrote, and LINE shows quick-reply buttons only under the
//     last message, which must be the answer's. Notes that would make the
//     reply a second request (five messages; Options.ReplyFits) wait for
//     the next message rather than cost a push.

// minHeldTakeLease is the shortest time entries a turn took and never
// committed stay its own (its handler died and the event was not
// redelivered): see Service.heldTakeLease.
const minHeldTakeLease = 2 * time.Minute

// heldTakeLease frees entries a turn took and never committed; it outlasts
// the event lease (three of them), so the taking event's redelivery finds
// them still its own whatever SSWBOT_EVENT_LEASE says.
func (s *Service) heldTakeLease() time.Duration {
	return max(minHeldTakeLease, 3*s.opt.EventLease)
}

// maxHeldSeen bounds Held.Seen: an outbox entry is held again only when
// its sender stopped in between, within minutes.
const maxHeldSeen = 64

// updateHeld applies f to to's held record through the optimistic loop;
// f reports whether it changed anything.
func (s *Service) updateHeld(ctx context.Context, to ConversationID, f func(h *Held) (bool, error)) error {
	qs := s.opt.PushQuota.store
	for attempt := 0; attempt < maxAttempts; attempt++ {
		h, ver, err := qs.LoadHeld(ctx, to)
		if err != nil {
			return fmt.Errorf("bot: load held: %w", err)
		}
		changed, err := f(&h)
		if err != nil || !changed {
			return err
		}
		err = qs.SaveHeld(ctx, to, h, ver, s.opt.SessionTTL)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bot: save held: %w", err)
		}
		return nil
	}
	return fmt.Errorf("bot: save held: %w", ErrConflict)
}

// mustHold reports whether a notification to to is held: the quota is near,
// or earlier ones wait (order).
func (s *Service) mustHold(ctx context.Context, to ConversationID) (bool, error) {
	q := s.opt.PushQuota
	if q == nil || to.Platform() != q.Platform() {
		return false, nil
	}
	u, err := q.Usage(ctx)
	if err != nil {
		return false, err
	}
	if u.Near {
		return true, nil
	}
	h, _, err := q.store.LoadHeld(ctx, to)
	if err != nil {
		return false, fmt.Errorf("bot: load held: %w", err)
	}
	return len(h.Entries) > 0, nil
}

// hold keeps e for its recipient's next message, once.
func (s *Service) hold(ctx context.Context, e OutboxEntry) (bool, error) {
	added := false
	err := s.updateHeld(ctx, e.To, func(h *Held) (bool, error) {
		if slices.Contains(h.Seen, e.ID) || slices.ContainsFunc(h.Entries, func(x HeldEntry) bool { return x.ID == e.ID }) {
			return false, nil
		}
		h.Entries = append(h.Entries, HeldEntry{OutboxEntry: e})
		added = true
		return true, nil
	})
	return added, err
}

// takeHeld takes the entries waiting for conversation id for eventID
// (again the same ones for a retry of the turn). Entries another event
// took are settled first by that event's dedupe record.
func (s *Service) takeHeld(ctx context.Context, id ConversationID, eventID string) (taken []HeldEntry, others int, err error) {
	q := s.opt.PushQuota
	if q == nil || id.Platform() != q.Platform() || eventID == "" {
		return nil, 0, nil
	}
	err = s.updateHeld(ctx, id, func(h *Held) (bool, error) {
		taken, others = nil, 0
		if len(h.Entries) == 0 {
			return false, nil
		}
		now := s.opt.Now()
		given := map[string][]string{} // another event → the ids its record gave
		for _, e := range h.Entries {
			if e.TakenBy == "" || e.TakenBy == eventID {
				continue
			}
			if _, ok := given[e.TakenBy]; ok {
				continue
			}
			snap, err := s.store.Load(ctx, id, e.TakenBy)
			if err != nil {
				return false, fmt.Errorf("bot: load conversation: %w", err)
			}
			given[e.TakenBy] = nil
			if snap.Recorded != nil {
				rec, _ := decodeRecorded(snap.Recorded.Outcome)
				given[e.TakenBy] = append(rec.Held, "") // "" marks "committed"
			}
		}
		keep := h.Entries[:0:0]
		for _, e := range h.Entries {
			if ids, ok := given[e.TakenBy]; ok && len(ids) > 0 {
				if slices.Contains(ids, e.ID) { // given with that event's reply
					h.Seen = appendSeen(h.Seen, e.ID)
					continue
				}
				e.TakenBy = "" // that turn committed without it
			}
			if e.TakenBy != "" && e.TakenBy != eventID && now.Sub(e.TakenAt) > s.heldTakeLease() {
				e.TakenBy = "" // its turn never committed
			}
			if e.TakenBy == "" {
				e.TakenBy, e.TakenAt = eventID, now
			}
			if e.TakenBy == eventID {
				taken = append(taken, e)
			} else {
				others++ // another event's turn is giving it right now
			}
			keep = append(keep, e)
		}
		h.Entries = keep
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return taken, others, nil
}

// doneHeld settles eventID's taken entries after its commit: those it gave
// are done, the others wait again. Best effort: the next take settles them
// by the event's record.
func (s *Service) doneHeld(ctx context.Context, id ConversationID, eventID string, gave []string) {
	q := s.opt.PushQuota
	if q == nil || id.Platform() != q.Platform() || eventID == "" {
		return
	}
	err := s.updateHeld(ctx, id, func(h *Held) (bool, error) {
		changed := false
		keep := h.Entries[:0:0]
		for _, e := range h.Entries {
			if e.TakenBy != eventID {
				keep = append(keep, e)
				continue
			}
			changed = true
			if slices.Contains(gave, e.ID) {
				h.Seen = appendSeen(h.Seen, e.ID)
				continue
			}
			e.TakenBy, e.TakenAt = "", time.Time{}
			keep = append(keep, e)
		}
		h.Entries = keep
		return changed, nil
	})
	if err != nil {
		s.opt.Logger.Warn("held notifications not settled; the next message settles them", "err", err)
	}
}

// dropHeld erases what is held for a conversation whose data is forgotten.
func (s *Service) dropHeld(ctx context.Context, id ConversationID) error {
	q := s.opt.PushQuota
	if q == nil || id.Platform() != q.Platform() {
		return nil
	}
	return s.updateHeld(ctx, id, func(h *Held) (bool, error) {
		if len(h.Entries) == 0 && len(h.Seen) == 0 {
			return false, nil
		}
		*h = Held{}
		return true, nil
	})
}

func appendSeen(seen []string, id string) []string {
	seen = append(seen, id)
	if len(seen) > maxHeldSeen {
		seen = seen[len(seen)-maxHeldSeen:]
	}
	return seen
}

// giveHeld puts the taken notes in front of a turn's answer, merged into
// as few bubbles of at most MaxBubble characters as they fill, as many as
// keep the reply one request (Options.ReplyFits), and returns the ids
// given; the others wait for the next message.
func (s *Service) giveHeld(c *Commit, out *Outcome, held []HeldEntry, ev Event) []string {
	if len(held) == 0 || out.Silent || len(out.Replies) == 0 {
		return nil
	}
	var (
		notes []Reply
		ids   []string
	)
	for _, e := range held {
		var parts []string
		for _, r := range e.Replies {
			parts = append(parts, r.Text)
		}
		t := strings.Join(parts, "\n")
		try := slices.Clone(notes)
		if n := len(try); n > 0 && utf8.RuneCountInString(try[n-1].Text)+2+utf8.RuneCountInString(t) <= MaxBubble {
			try[n-1].Text += "\n\n" + t
		} else {
			try = append(try, Reply{Text: t})
		}
		if s.opt.ReplyFits != nil && !s.opt.ReplyFits(ev.Platform, append(slices.Clone(try), out.Replies...)) {
			break // it waits for the next message (order is kept)
		}
		notes, ids = try, append(ids, e.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	out.Replies = append(notes, out.Replies...)
	at := 0
	for i, e := range c.Entries {
		if e.Dir == In {
			at = i + 1
			break
		}
	}
	var entries []Entry
	for _, n := range notes {
		e := Entry{Time: c.Now, Dir: Out, Text: n.Text, KBVersion: s.kb.Version, EventID: ev.EventID}
		if at > 0 {
			e.StateBefore, e.StateAfter = c.Entries[at-1].StateAfter, c.Entries[at-1].StateAfter
		}
		entries = append(entries, e)
	}
	c.Entries = slices.Insert(c.Entries, at, entries...)
	return ids
}

// flagHeld marks the recipient's conversation (Meta.Held, with a line in
// its transcript) before a notification is held, so their next turn reads
// what is held; a flag with nothing behind it is cleared by that turn.
// ErrNotFound: the recipient's conversation is gone (forgotten).
func (s *Service) flagHeld(ctx context.Context, e OutboxEntry) error {
	_, err := s.staffAction(ctx, e.To, func(m *Meta, _ *dialog.Session) (Entry, error) {
		m.Held = true
		return Entry{Dir: System, Text: "case notification held (push quota near): given with the reply to the next message", EventID: e.ID}, nil
	})
	return err
}
