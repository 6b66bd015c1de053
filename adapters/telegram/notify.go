package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"example.com/sswbot/bot"
)

// Notify sends a shared case's notification (bot.Notifier). Telegram has
// no idempotency key: a notification whose sender stopped after Telegram
// accepted it may be shown twice (at least once, as for replies). A user
// who blocked the bot is reported to the bot as a stop (the conversation
// and their side of the case become inactive) and the error wraps
// bot.ErrBlocked.
func (a *Adapter) Notify(ctx context.Context, userID, id string, replies []bot.Reply) error {
	chat, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return errors.New("telegram: notify: chat id is not a number")
	}
	_, err = a.send(ctx, chat, replies)
	if errors.Is(err, ErrBlocked) {
		a.markBlocked(ctx, userID, "n"+id)
		return fmt.Errorf("telegram: notify: %w: %w", bot.ErrBlocked, err)
	}
	if err != nil {
		return fmt.Errorf("telegram: notify: %w", err)
	}
	return nil
}

// BotName returns the bot's username as getMe reported it (lower case),
// "" before Setup succeeded.
func (a *Adapter) BotName() string {
	if p := a.botName.Load(); p != nil {
		return *p
	}
	return ""
}
