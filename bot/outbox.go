package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"example.com/sswbot/dialog"
)

// outboxLease hides a claimed notification from other senders while it is
// being sent; one whose sender died is sent after it (again: LINE drops the
// repeat by its retry key, Telegram may show it twice).
const outboxLease = time.Minute

// RunOutbox sends the notifications of shared cases through the notifier of
// each recipient's platform until ctx ends: at start, at once after a
// commit in this process, and every poll (what other processes committed
// and could not send, or left when they died). Several processes may run
// it; a claim hides an entry from the others.
func (s *Service) RunOutbox(ctx context.Context, notifiers map[Platform]Notifier, poll time.Duration) {
	if s.opt.Cases == nil {
		return
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.DrainOutbox(ctx, notifiers); err != nil && ctx.Err() == nil {
			s.opt.Logger.Warn("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.outboxWake:
		case <-t.C:
		}
	}
}

// DrainOutbox sends every notification due now and returns how many were
// sent. A failed send is given back when the drain ends, due at once: the
// next poll of any process tries it again (not this drain, which would
// meet the same failure in a loop). A blocked recipient's is dropped and
// that side of the case becomes inactive. Near the push quota a
// notification to that platform is held instead (held.go); so is one whose
// push LINE refused for the quota.
func (s *Service) DrainOutbox(ctx context.Context, notifiers map[Platform]Notifier) (sent int, err error) {
	var failed []OutboxEntry
	defer func() {
		for _, e := range failed {
			// Not given back, it waits out the claim's lease instead.
			if rerr := s.opt.Cases.ReleaseOutbox(context.WithoutCancel(ctx), e, s.opt.Now()); rerr != nil && err == nil {
				err = rerr
			}
		}
	}()
	for {
		es, err := s.opt.Cases.ClaimOutbox(ctx, s.opt.Now(), outboxLease, 16)
		if err != nil || len(es) == 0 {
			return sent, err
		}
		for _, e := range es {
			n := notifiers[e.To.Platform()]
			if n == nil {
				s.opt.Logger.Warn("outbox: no channel for the recipient's platform", "platform", e.To.Platform())
				if err := s.opt.Cases.DoneOutbox(ctx, e); err != nil {
					return sent, err
				}
				continue
			}
			held, err := s.mustHold(ctx, e.To)
			if err != nil {
				s.opt.Logger.Warn("outbox: push quota or held notifications unreadable; retried at the next poll", "err", err)
				failed = append(failed, e)
				continue
			}
			if !held {
				err = n.Notify(ctx, e.To.UserID(), e.ID, e.Replies)
			}
			if held || (errors.Is(err, ErrQuotaExhausted) && s.opt.PushQuota != nil) {
				if err := s.holdEntry(ctx, e); err != nil {
					s.opt.Logger.Warn("outbox: notification not held; retried at the next poll", "err", err)
					failed = append(failed, e)
					continue
				}
				if err := s.opt.Cases.DoneOutbox(ctx, e); err != nil {
					return sent, err
				}
				continue
			}
			switch {
			case errors.Is(err, ErrBlocked):
				s.opt.Logger.Info("outbox: the recipient blocked the bot; their side of the case is inactive")
				op := &caseOp{ID: "blocked:" + e.ID, Kind: caseStop, Case: e.Case, Party: Party{Conv: e.To}}
				if err := s.applyCase(ctx, op); err != nil {
					return sent, err
				}
			case err != nil:
				s.opt.Logger.Warn("outbox: notification not sent; retried at the next poll", "err", err)
				failed = append(failed, e)
				continue
			default:
				sent++
				s.noteNotified(ctx, e)
			}
			if err := s.opt.Cases.DoneOutbox(ctx, e); err != nil {
				return sent, err
			}
		}
	}
}

// noteNotified writes a sent notification into the recipient's transcript
// (best effort: the notification went out either way).
func (s *Service) noteNotified(ctx context.Context, e OutboxEntry) {
	var texts []string
	for _, r := range e.Replies {
		texts = append(texts, r.Text)
	}
	_, err := s.staffAction(ctx, e.To, func(*Meta, *dialog.Session) (Entry, error) {
		return Entry{Dir: Out, Text: strings.Join(texts, "\n\n"), EventID: e.ID}, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.opt.Logger.Warn("outbox: notification not written to the transcript", "err", err)
	}
}

// holdEntry holds e for its recipient's next message (held.go).
func (s *Service) holdEntry(ctx context.Context, e OutboxEntry) error {
	if err := s.flagHeld(ctx, e); errors.Is(err, ErrNotFound) {
		s.opt.Logger.Info("outbox: the recipient's conversation is gone; notification dropped")
		return nil
	} else if err != nil {
		return err
	}
	added, err := s.hold(ctx, e)
	if err != nil {
		return err
	}
	if added {
		s.opt.Metrics.Held(string(e.To.Platform()), "held", 1)
	}
	return nil
}
