package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"example.com/sswbot/bot"
	"example.com/sswbot/textsplit"
)

const (
	callTimeout   = 30 * time.Second // one API call other than getUpdates
	maxAttempts   = 3                // per call, counting retries after 429
	maxRetryAfter = 60 * time.Second // a longer 429 wait fails the call instead
	maxTextRunes  = 4000             // Telegram allows 4096 characters; keep a margin
)

// do calls method and waits out a bounded number of 429 answers.
func (a *Adapter) do(ctx context.Context, method string, p map[string]string) (json.RawMessage, error) {
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		res, err := a.api.call(cctx, method, p)
		cancel()
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || ae.Code != http.StatusTooManyRequests || attempt == maxAttempts {
			return res, err
		}
		d := ae.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		if d > maxRetryAfter {
			return nil, err
		}
		a.limit.pause(d) // a 429 is usually about the whole bot, not this chat
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return nil, err // the wait would outlast the caller's budget anyway
		}
		a.log.Warn("rate limited by Telegram", "method", method, "retry_after", d)
		if err := a.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// transient reports whether a failed call may succeed when tried later.
func transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code == http.StatusTooManyRequests || ae.Code >= 500
	}
	return true // no answer from Telegram at all
}

// Push sends a staff member's message to a Telegram chat. It returns an
// error wrapping ErrBlocked when the user blocked the bot; the conversation
// is then marked inactive.
func (a *Adapter) Push(ctx context.Context, chatID string, text string) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return errors.New("telegram: push: chat id is not a number")
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("telegram: push: empty text")
	}
	_, err = a.send(ctx, id, []bot.Reply{{Text: text}})
	if errors.Is(err, ErrBlocked) && id > 0 { // negative ids are groups: nobody to mark inactive
		a.markBlocked(ctx, chatID, "t"+strconv.FormatInt(a.now().UnixNano(), 10))
	}
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	return nil
}

// markBlocked tells the bot the user is unreachable, as if Telegram had sent
// my_chat_member "kicked" (it usually does, but that update can be lost or
// precede a redelivered reply). ref makes the event id unique per cause.
func (a *Adapter) markBlocked(ctx context.Context, userID, ref string) {
	ev := bot.Event{
		Platform: bot.Telegram,
		UserID:   userID,
		EventID:  "blocked:" + userID + ":" + ref,
		Kind:     bot.KindStop,
	}
	if _, err := a.h.Handle(ctx, ev); err != nil {
		a.log.Warn("could not mark a blocked user inactive", "err", err)
		return
	}
	a.log.Info("user blocked the bot; conversation marked inactive")
}

// send delivers replies in order (as few messages as fit) and returns how
// many messages went out. It stops at the first failure; a 403 is returned
// as ErrBlocked.
func (a *Adapter) send(ctx context.Context, chatID int64, replies []bot.Reply) (sent int, err error) {
	a.sendPhotos(ctx, chatID, replies)
	return a.sendMessages(ctx, chatID, a.messages(replies))
}

// sendPhotos sends the replies' pictures (an invite's QR code) before their
// text. The text alone carries the link and the code, so a photo that
// fails is logged, not retried.
func (a *Adapter) sendPhotos(ctx context.Context, chatID int64, replies []bot.Reply) {
	chat := strconv.FormatInt(chatID, 10)
	for _, r := range replies {
		if r.Image == "" {
			continue
		}
		if err := a.sleep(ctx, a.limit.reserve(chat)); err != nil {
			return
		}
		if _, err := a.do(ctx, "sendPhoto", map[string]string{"chat_id": chat, "photo": r.Image}); err != nil {
			a.log.Warn("photo not sent", "err", err)
		}
	}
}

// hasPhoto reports whether a reply carries a picture.
func hasPhoto(replies []bot.Reply) bool {
	for _, r := range replies {
		if r.Image != "" {
			return true
		}
	}
	return false
}

// messages renders replies and joins them into as few messages as
// Telegram's length allows: each message sent is a moment in which a crash
// leaves the answer half sent, and one message fits a webhook's response.
func (a *Adapter) messages(replies []bot.Reply) []outMsg {
	dropped := func(what string) { a.log.Error(what + " dropped") }
	var msgs []outMsg
	for _, m := range format(replies, dropped) {
		o := outMsg{html: m.HTML, plain: m.Plain}
		if m.Keyboard != nil {
			o.markup = mustJSON(map[string][][]Button{"inline_keyboard": m.Keyboard})
		}
		msgs = append(msgs, o)
	}
	return joinMessages(msgs, maxTextRunes)
}

// joinMessages joins neighbouring messages, a blank line apart, while the
// result stays within max UTF-16 units. A keyboard ends a message: the
// buttons stay under the text they belong to.
func joinMessages(msgs []outMsg, max int) []outMsg {
	var out []outMsg
	for _, m := range msgs {
		if n := len(out); n > 0 && out[n-1].markup == "" && utf16Len(out[n-1].html)+2+utf16Len(m.html) <= max {
			last := &out[n-1]
			last.html += "\n\n" + m.html
			last.plain += "\n\n" + m.plain
			last.markup = m.markup
			continue
		}
		out = append(out, m)
	}
	return out
}

// utf16Len counts s as Telegram does: in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// params are the sendMessage parameters of m.
func (m outMsg) params(chat string) map[string]string {
	p := map[string]string{"chat_id": chat, "text": m.html, "parse_mode": "HTML"}
	if m.markup != "" {
		p["reply_markup"] = m.markup
	}
	return p
}

// sendMessages sends msgs in order and returns how many went out. It
// stops at the first failure; a 403 is returned as ErrBlocked.
func (a *Adapter) sendMessages(ctx context.Context, chatID int64, msgs []outMsg) (sent int, err error) {
	chat := strconv.FormatInt(chatID, 10)
	for _, m := range msgs {
		if err := a.sleep(ctx, a.limit.reserve(chat)); err != nil {
			return sent, err
		}
		p := m.params(chat)
		_, err := a.do(ctx, "sendMessage", p)
		var ae *APIError
		if errors.As(err, &ae) && ae.badEntities() {
			// Our escaping should make this impossible; plain text still
			// reaches the user.
			a.log.Error("Telegram rejected our HTML; sending plain text", "err", err)
			delete(p, "parse_mode")
			p["text"] = m.plain
			_, err = a.do(ctx, "sendMessage", p)
			ae = nil
			errors.As(err, &ae)
		}
		if ae != nil && ae.Code == http.StatusForbidden {
			return sent, fmt.Errorf("send message: %w (%v)", ErrBlocked, err)
		}
		if err != nil {
			return sent, fmt.Errorf("send message: %w", err)
		}
		sent++
	}
	return sent, nil
}

// answerCallback stops the spinner on the user's button. It is best effort:
// a late or repeated answer fails harmlessly.
func (a *Adapter) answerCallback(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := a.api.call(cctx, "answerCallbackQuery", map[string]string{"callback_query_id": id}); err != nil {
		a.log.Info("callback not answered", "err", err)
	}
}

// removeKeyboard takes the buttons off a message whose step is over.
func (a *Adapter) removeKeyboard(ctx context.Context, chatID int64, msgID int) {
	chat := strconv.FormatInt(chatID, 10)
	if err := a.sleep(ctx, a.limit.reserve(chat)); err != nil {
		return
	}
	_, err := a.do(ctx, "editMessageReplyMarkup", map[string]string{
		"chat_id":      chat,
		"message_id":   strconv.Itoa(msgID),
		"reply_markup": `{"inline_keyboard":[]}`,
	})
	var ae *APIError
	if err != nil && !(errors.As(err, &ae) && ae.notModified()) {
		a.log.Info("old keyboard not removed", "err", err)
	}
}

// outMsg is one sendMessage: the HTML text, the same text unescaped, and
// the keyboard JSON (only on the last message of a reply).
type outMsg struct {
	html, plain, markup string
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// escapeHTML makes plain text safe for parse_mode HTML. The library's
// EscapeText is not used: it leaves '"' alone and returns "" for a mode it
// does not know.
func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// splitText cuts plain text as Telegram counts it, with the project's one
// splitter. Telegram counts code points; UTF-16 units are never fewer, so
// the stricter rule is safe whichever way a client counts.
func splitText(s string, max int) []string { return textsplit.Split(s, max, textsplit.UTF16) }

// plainText is an HTML part as the user would read it: tags removed,
// entities decoded (sent when Telegram refuses the HTML).
func plainText(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(b.String())
}
