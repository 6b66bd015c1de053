package line

import (
	"context"
	"errors"
	"fmt"

	"example.com/sswbot/bot"
)

// Notify pushes a shared case's notification (bot.Notifier). Its retry keys
// derive from the notification's id, so a notification sent again (its
// sender stopped after LINE accepted it) is shown once: LINE answers 409
// to a key it accepted within 24 hours, which push counts as sent.
func (a *Adapter) Notify(ctx context.Context, userID, id string, replies []bot.Reply) error {
	if userID == "" || id == "" {
		return errors.New("line: notify: missing user or notification id")
	}
	for i, msgs := range withImages(batches(render(replies)), replies) {
		if err := a.push(ctx, userID, msgs, retryKey("notify:"+id, i)); err != nil {
			return fmt.Errorf("line: notify: %w", err)
		}
	}
	return nil
}
