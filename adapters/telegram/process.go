package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/bot"
)

// process takes one update through the bot: answer a callback at once,
// Handle (which commits), send the replies, retire the pressed keyboard,
// MarkDelivered. It returns an error only when the update should come again:
// the store was unavailable or the replies could not be sent for a reason
// that may pass. Anything else is logged and counts as done, because a
// refused update blocks that user's queue at Telegram for up to a day.
func (a *Adapter) process(ctx context.Context, u *tgbotapi.Update) error {
	in := convert(u)
	if in.callbackID != "" {
		a.answerCallback(ctx, in.callbackID)
	}
	if in.ignore != "" {
		a.log.Info("update ignored", "update_id", u.UpdateID, "reason", in.ignore)
		a.m.Event("telegram", "unknown", "ignored")
		return nil
	}
	kind := string(in.ev.Kind)
	start := time.Now()
	out, err := a.h.Handle(ctx, in.ev)
	a.m.Handled("telegram", time.Since(start))
	if err != nil {
		if errors.Is(err, bot.ErrUnavailable) || ctx.Err() != nil {
			a.m.Event("telegram", kind, "unavailable")
			a.log.Warn("update not handled; it will come again", "update_id", u.UpdateID, "err", err)
			return fmt.Errorf("handle update %d: %w", u.UpdateID, err)
		}
		a.m.Event("telegram", kind, "error")
		a.log.Error("update not handled; dropped", "update_id", u.UpdateID, "kind", kind, "err", err)
		return nil
	}
	outcome := "ok"
	if out.Duplicate {
		outcome = "duplicate"
		a.m.DedupeHit("telegram")
	}
	a.m.Event("telegram", kind, outcome)
	if out.Duplicate && out.Delivered {
		return nil // a redelivery: the user already has the answer
	}
	if !out.Silent && len(out.Replies) > 0 {
		err := a.send(ctx, in.chatID, out.Replies)
		switch {
		case errors.Is(err, ErrBlocked):
			if in.ev.Kind != bot.KindStop {
				a.markBlocked(ctx, in.ev.UserID, in.ev.EventID)
			}
			a.markDelivered(ctx, in, u.UpdateID) // nothing more can reach this user
			return nil
		case err != nil && transient(err):
			a.log.Warn("replies not sent; the update will come again", "update_id", u.UpdateID, "err", err)
			return fmt.Errorf("send replies to update %d: %w", u.UpdateID, err)
		case err != nil:
			a.log.Error("replies not sent", "update_id", u.UpdateID, "kind", kind, "err", err)
			return nil
		}
	}
	if in.staleMsgID != 0 {
		a.removeKeyboard(ctx, in.chatID, in.staleMsgID)
	}
	if !out.Silent && len(out.Replies) > 0 {
		a.markDelivered(ctx, in, u.UpdateID)
	}
	return nil
}

func (a *Adapter) markDelivered(ctx context.Context, in incoming, updateID int) {
	if in.ev.Kind == bot.KindGroup {
		return // the bot keeps nothing for groups
	}
	if err := a.h.MarkDelivered(ctx, in.ev.Conversation(), in.ev.EventID); err != nil {
		// The replies went out; at worst a redelivery repeats them.
		a.log.Warn("delivery not recorded", "update_id", updateID, "err", err)
	}
}
