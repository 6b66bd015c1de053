package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/adapters/internal/delivery"
	"example.com/sswbot/bot"
)

const (
	// updateTimeout bounds handling and sending one update. With the
	// delivery record's own budget it stays below the server's 30 s
	// WriteTimeout, so the webhook's answer still reaches Telegram.
	updateTimeout = 22 * time.Second
	// offsetTimeout bounds saving the polling offset after an update.
	offsetTimeout = 5 * time.Second
	// chatMenuTimeout bounds setting a chat's command menu, which is not
	// worth holding up an answer for.
	chatMenuTimeout = 3 * time.Second
)

// webhookAnswer is an answer the webhook gives in its response body: one
// sendMessage that Telegram performs when it reads the response. job is
// finished once the response is written.
type webhookAnswer struct {
	msg outMsg
	to  int64
	job *delivery.Job
}

// process takes one update through the delivery handshake: answer a
// callback at once, Start (the bot commits), send the replies, Finish
// (record the delivery, or give the event back), retire the pressed
// keyboard. via ("webhook" or "poll") labels the metric of updates the bot
// never sees.
//
// When inResponse is true (the webhook) and the answer is one message, it
// is not sent but returned, for the webhook's response body: Telegram
// then sends it exactly when it takes the acknowledgement, so a crash
// before the acknowledgement means nothing was sent and the redelivery
// sends it, once.
//
// It returns an error only when the update should come again: the store was
// unavailable, or not one reply could be sent for a reason that may pass.
// Once a message went out, a redelivery would repeat it, so a later failure
// is logged and the update counts as done. Anything else is logged and
// counts as done too, because a refused update blocks that user's queue at
// Telegram for up to a day.
func (a *Adapter) process(ctx context.Context, u *tgbotapi.Update, via string, inResponse bool) (*webhookAnswer, error) {
	name := ""
	if p := a.botName.Load(); p != nil {
		name = *p
	}
	if u.UpdateID <= 0 {
		// Without a real id a redelivery cannot be told from a new update:
		// handling it could answer twice. Telegram always sends one.
		a.m.Event("telegram", via, "no_id")
		a.log.Warn("update without update_id ignored", "update_id", u.UpdateID)
		return nil, nil
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
		return nil, nil
	}
	job, action, err := a.delivery.Start(ctx, in.ev)
	switch action {
	case delivery.Retry:
		return nil, fmt.Errorf("handle update %d: %w", u.UpdateID, err)
	case delivery.Done:
		if job != nil && !job.Duplicate {
			a.retireKeyboard(ctx, in) // a silent turn: the buttons are spent all the same
		}
		return nil, nil
	}
	msgs := a.messages(job.Replies)
	byResponse := inResponse && len(msgs) == 1
	photos := hasPhoto(job.Replies)
	if job.Resolve && (photos || !byResponse) {
		// The first handler stopped between its sends and recording the
		// delivery. Telegram cannot tell whether what it sent by API went
		// out (no idempotency key, no way to read a chat back): send again,
		// at least once, and count it. A text given in the response is not
		// counted: Telegram had no 200, so it sent nothing.
		job.PossibleDouble()
	}
	// A picture (an invite's QR code) goes by API first, in every mode: a
	// webhook's response carries one method, and the text is it. Before the
	// response, so the picture comes first (as on LINE) and a crash before
	// the response leaves a copy that sends it again (counted above)
	// rather than a picture lost; the text carries the link and the code,
	// so a picture that fails is logged, never retried.
	if photos {
		a.sendPhotos(ctx, in.chatID, job.Replies)
	}
	if byResponse {
		// Exactly once, also for a copy whose first handler died: had its
		// answer reached Telegram with the acknowledgement, Telegram would
		// not deliver the update again. The pressed keyboard goes first,
		// as the answer is the response's last word.
		a.retireKeyboard(ctx, in)
		a.chatMenu(ctx, in, job.Outcome)
		return &webhookAnswer{msg: msgs[0], to: in.chatID, job: job}, nil
	}
	sent, err := a.sendMessages(ctx, in.chatID, msgs)
	redeliver := false
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
		redeliver = true
	case sent > 0:
		// A redelivery would send the first messages again; the user has
		// part of the answer and can ask again.
		a.log.Error("replies partly sent; the rest dropped", "update_id", u.UpdateID, "kind", string(in.ev.Kind), "sent", sent, "err", err)
	default:
		a.log.Error("replies not sent", "update_id", u.UpdateID, "kind", string(in.ev.Kind), "err", err)
	}
	job.Finish(ctx, redeliver)
	if redeliver {
		return nil, fmt.Errorf("send replies to update %d: %w", u.UpdateID, err)
	}
	if err == nil || sent > 0 {
		a.retireKeyboard(ctx, in)
		a.chatMenu(ctx, in, job.Outcome)
	}
	return nil, nil
}

// chatMenu sets a private chat's command menu to the language the turn
// chose. The menus registered at start follow the app's language_code, and
// Telegram has no Kyrgyz interface: without this a Kyrgyz user would read
// English or Russian commands. A chat's own menu wins over those. It is
// best effort after the answer is sent (or, on the webhook, just before
// the response that carries it), like LINE's rich menu link: a failure is
// logged and the chat keeps the menu of its app's language.
func (a *Adapter) chatMenu(ctx context.Context, in incoming, out bot.Outcome) {
	cmds, ok := a.cfg.Commands[out.Lang]
	if !out.LangChanged || out.Lang == "" || out.Silent || !ok || in.ev.Kind == bot.KindGroup || in.chatID <= 0 {
		return
	}
	// Bounded: on the webhook the answer waits for it.
	ctx, cancel := context.WithTimeout(ctx, chatMenuTimeout)
	defer cancel()
	p := map[string]string{"commands": commandsJSON(cmds), "scope": fmt.Sprintf(`{"type":"chat","chat_id":%d}`, in.chatID)}
	if _, err := a.do(ctx, "setMyCommands", p); err != nil {
		a.log.Warn("the chat's command menu was not set to its language", "lang", out.Lang, "err", err)
	}
}

// retireKeyboard removes the buttons of the message the user pressed.
func (a *Adapter) retireKeyboard(ctx context.Context, in incoming) {
	if in.staleMsgID != 0 {
		a.removeKeyboard(ctx, in.chatID, in.staleMsgID)
	}
}
