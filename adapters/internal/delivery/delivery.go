// Package delivery is the one handshake every adapter follows for a
// platform event: hand the event to the bot, which commits the turn with
// its send intent; decide what to send — the answer, nothing (a copy whose
// answer was delivered, a silent turn), or the recorded answer again (a
// copy whose first send is uncertain); and after sending either record the
// delivery, which ends the event's lease, or give the lease back so that
// the platform's redelivery is handled at once.
//
// What a send is (a LINE reply or push, a Telegram sendMessage or the
// webhook's answer) and what a failed send means stay with the adapter:
// it tells Finish whether the platform will deliver the event again.
// The package knows nothing of either platform.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/metrics"
)

// Handler is the bot as the handshake needs it (bot.Service implements it).
type Handler interface {
	// Handle commits ev and returns what to answer (see bot.Outcome).
	Handle(ctx context.Context, ev bot.Event) (bot.Outcome, error)
	// MarkDelivered records that sending ev's answer is over and ends its lease.
	MarkDelivered(ctx context.Context, id bot.ConversationID, eventID string) error
	// Release gives the event's lease back early (see bot.Service.Release).
	Release(ctx context.Context, id bot.ConversationID, eventID, lease string) error
}

// finishTimeout is the budget for recording the delivery (or giving the
// lease back) after the sends, even when the event used up its own time.
const finishTimeout = 3 * time.Second

// Action is what the adapter does with an event after Start.
type Action int

const (
	// Retry: the event was not handled (in flight elsewhere, store down,
	// out of time). Answer so that the platform delivers it again, and
	// send nothing.
	Retry Action = iota
	// Done: nothing to send (a copy already delivered, a silent or empty
	// turn, or an error a redelivery would meet again). Acknowledge.
	Done
	// Send: send Job.Replies, then call Job.Finish.
	Send
)

// Platform is one adapter's side of the handshake.
type Platform struct {
	Name    string // "line", "telegram": the metrics label
	Handler Handler
	Log     *slog.Logger
	Metrics *metrics.Set
}

// Job is an event whose answer is to be sent.
type Job struct {
	p     *Platform
	ev    bot.Event
	lease string
	// Outcome is the bot's answer as Handle gave it.
	Outcome bot.Outcome
	Replies []bot.Reply
	// Duplicate marks a copy of an event handled before: Replies are the
	// recorded ones, and nothing changed now.
	Duplicate bool
	// Resolve marks a copy whose first send is uncertain: its handler
	// stopped between the commit and recording the delivery, and this one
	// holds the event now. Replies are the recorded ones.
	Resolve bool
	// ReplyToken is, with Resolve, the reply token the first handler
	// recorded with its send intent ("" when it had none).
	ReplyToken string
	// finished guards against a second Finish.
	finished bool
}

// Event is the event being delivered.
func (j *Job) Event() bot.Event { return j.ev }

// Start hands ev to the bot and says what to do next. The job is nil
// when the bot failed; with Done it tells what was handled. The error is
// the bot's, for the adapter's answer and logs (Retry, and Done after a
// failure); it is logged here already.
func (p *Platform) Start(ctx context.Context, ev bot.Event) (*Job, Action, error) {
	out, err := p.Handler.Handle(ctx, ev)
	if err != nil {
		switch {
		case errors.Is(err, bot.ErrInFlight):
			// Another handler has this event and may be sending: the copy
			// comes again later and then finds it delivered.
			p.Log.Info("event in flight elsewhere; asking for a redelivery", "event", ev.EventID)
			return nil, Retry, err
		case errors.Is(err, bot.ErrUnavailable) || ctx.Err() != nil:
			p.Log.Warn("event not handled; asking for a redelivery", "event", ev.EventID, "err", err)
			return nil, Retry, err
		}
		// Anything else would fail again on a redelivery.
		p.Log.Error("event not handled; dropped", "event", ev.EventID, "kind", string(ev.Kind), "err", err)
		return nil, Done, err
	}
	j := &Job{p: p, ev: ev, lease: out.Lease, Outcome: out, Replies: out.Replies, Duplicate: out.Duplicate}
	switch {
	case out.Duplicate && out.Delivered:
		return j, Done, nil // the user has the answer
	case out.Duplicate && len(out.Replies) > 0:
		j.Resolve, j.ReplyToken = true, out.ReplyToken
		p.Log.Info("resolving the uncertain send of a redelivered event", "event", ev.EventID, "token", out.ReplyToken != "")
	}
	if out.Silent || len(out.Replies) == 0 || ev.Kind == bot.KindStop {
		// A stopped user cannot be messaged. An intent nobody will send
		// is over: its lease ends now, not after its TTL.
		if len(out.Replies) > 0 && !out.Silent {
			j.Finish(ctx, false)
		}
		return j, Done, nil
	}
	return j, Send, nil
}

// PossibleDouble counts a resend of an answer whose first send may have
// reached the user (the platform offers no way to tell).
func (j *Job) PossibleDouble() {
	j.p.Metrics.PossibleDouble(j.p.Name)
	j.p.Log.Warn("sending again an answer whose first send may have reached the user", "event", j.ev.EventID)
}

// Finish ends the handshake after the sends. redeliver says the platform
// will deliver the event again (nothing reached the user, or what did is
// deduplicated by the platform, and the adapter asked for a redelivery):
// the lease is given back so that copy is handled at once. Otherwise the
// sending is over — sent, or failed in a way no redelivery would mend —
// and the delivery is recorded, so a copy sends nothing. Both run on a
// budget of their own, as the event may have used up its time sending:
// ctx itself when it has finishTimeout left (the adapters' send contexts
// end only at their deadlines), else a new one (a context and a timer
// per event were 5 % of its allocations).
func (j *Job) Finish(ctx context.Context, redeliver bool) {
	if j == nil || j.finished || j.ev.Kind == bot.KindGroup { // the bot keeps nothing for groups
		return
	}
	j.finished = true
	if end, ok := ctx.Deadline(); !ok || time.Until(end) < finishTimeout || ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
	}
	id := j.ev.Conversation()
	if redeliver {
		if err := j.p.Handler.Release(ctx, id, j.ev.EventID, j.lease); err != nil {
			j.p.Log.Warn("lease not given back; the redelivery waits for it to end", "event", j.ev.EventID, "err", err)
		}
		return
	}
	if err := j.p.Handler.MarkDelivered(ctx, id, j.ev.EventID); err != nil {
		// The answer went out; at worst a redelivery resolves it again.
		j.p.Log.Warn("delivery not recorded", "event", j.ev.EventID, "err", err)
	}
}
