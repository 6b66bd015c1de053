package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/bot"
)

const (
	// updateTimeout bounds handling and sending one update. With markTimeout
	// it stays below the server's 30 s WriteTimeout, so the webhook's answer
	// still reaches Telegram.
	updateTimeout = 22 * time.Second
	// markTimeout is the budget for recording a delivery after the sends,
	// even when the update used up its own time.
	markTimeout = 3 * time.Second
	// offsetTimeout bounds saving the polling offset after an update.
	offsetTimeout = 5 * time.Second
)

// process takes one update through the bot: answer a callback at once,
// Handle (which commits), send the replies, MarkDelivered, retire the
// pressed keyboard. via ("webhook" or "poll") labels the metric of updates
// the bot never sees.
//
// It returns an error only when the update should come again: the store was
// unavailable, or not one reply could be sent for a reason that may pass.
// Once a message went out, a redelivery would repeat it, so a later failure
// is logged and the update counts as done. Anything else is logged and
// counts as done too, because a refused update blocks that user's queue at
// Telegram for up to a day.
func (a *Adapter) process(ctx context.Context, u *tgbotapi.Update, via string) error {
	name := ""
	if p := a.botName.Load(); p != nil {
		name = *p
	}
	if u.UpdateID <= 0 {
		// Without a real id a redelivery cannot be told from a new update:
		// handling it could answer twice. Telegram always sends one.
		a.m.Event("telegram", via, "no_id")
		a.log.Warn("update without update_id ignored", "update_id", u.UpdateID)
		return nil
	}
	in := convert(u, name)
	if in.callbackID != "" {
		a.answerCallback(ctx, in.callbackID)
	}
	if in.ignore != "" {
		level := slog.LevelInfo
		if in.quiet {
			level = slog.LevelDebug
		}
		a.log.Log(ctx, level, "update ignored", "update_id", u.UpdateID, "reason", in.ignore)
		a.m.Event("telegram", via, "ignored")
		return nil
	}
	kind := string(in.ev.Kind)
	out, err := a.h.Handle(ctx, in.ev)
	if err != nil {
		if errors.Is(err, bot.ErrInFlight) {
			// Another handler has this update and may be sending: it comes
			// again later and then finds it delivered.
			a.log.Info("update in flight elsewhere; it will come again", "update_id", u.UpdateID)
			return fmt.Errorf("handle update %d: %w", u.UpdateID, err)
		}
		if errors.Is(err, bot.ErrUnavailable) || ctx.Err() != nil {
			a.log.Warn("update not handled; it will come again", "update_id", u.UpdateID, "err", err)
			return fmt.Errorf("handle update %d: %w", u.UpdateID, err)
		}
		a.log.Error("update not handled; dropped", "update_id", u.UpdateID, "kind", kind, "err", err)
		return nil
	}
	if out.Duplicate && out.Delivered {
		return nil // a redelivery: the user already has the answer
	}
	if out.Duplicate && len(out.Replies) > 0 {
		// The first handler stopped between commit and recording the
		// delivery. Telegram cannot tell whether its messages went out (no
		// idempotency key, no way to read a chat back): send again, at
		// least once, and count it.
		a.m.PossibleDouble("telegram")
		a.log.Warn("resending the answer to an update whose first send is uncertain", "update_id", u.UpdateID)
	}
	if out.Silent || len(out.Replies) == 0 {
		a.retireKeyboard(ctx, in)
		return nil
	}
	sent, err := a.send(ctx, in.chatID, out.Replies)
	switch {
	case err == nil:
	case errors.Is(err, ErrBlocked) && in.ev.Kind == bot.KindGroup:
		// Removed from the group or not allowed to write: nobody to mark.
		a.log.Info("group reply refused", "update_id", u.UpdateID, "err", err)
	case errors.Is(err, ErrBlocked):
		if in.ev.Kind != bot.KindStop {
			a.markBlocked(ctx, in.ev.UserID, in.ev.EventID)
		}
	case sent == 0 && transient(err):
		a.log.Warn("replies not sent; the update will come again", "update_id", u.UpdateID, "err", err)
		return fmt.Errorf("send replies to update %d: %w", u.UpdateID, err)
	case sent > 0:
		// A redelivery would send the first messages again; the user has
		// part of the answer and can ask again.
		a.log.Error("replies partly sent; the rest dropped", "update_id", u.UpdateID, "kind", kind, "sent", sent, "err", err)
	default:
		a.log.Error("replies not sent", "update_id", u.UpdateID, "kind", kind, "err", err)
	}
	a.markDelivered(ctx, in, u.UpdateID)
	if err == nil || sent > 0 {
		a.retireKeyboard(ctx, in)
	}
	return nil
}

// retireKeyboard removes the buttons of the message the user pressed.
func (a *Adapter) retireKeyboard(ctx context.Context, in incoming) {
	if in.staleMsgID != 0 {
		a.removeKeyboard(ctx, in.chatID, in.staleMsgID)
	}
}

// markDelivered records the delivery on a budget of its own, so an update
// that ran out of time after sending is still not answered twice.
func (a *Adapter) markDelivered(ctx context.Context, in incoming, updateID int) {
	if in.ev.Kind == bot.KindGroup {
		return // the bot keeps nothing for groups
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := a.h.MarkDelivered(ctx, in.ev.Conversation(), in.ev.EventID); err != nil {
		// The replies went out; at worst a redelivery repeats them.
		a.log.Warn("delivery not recorded", "update_id", updateID, "err", err)
	}
}
