package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Run receives updates by long polling until ctx ends, then returns nil.
// Use it when no webhook URL is configured (after Setup, which removes any
// webhook). It is its own getUpdates loop rather than the library's
// GetUpdatesChan, which confirms updates before they are processed: here the
// offset moves past an update only after it was handled, and is stored, so a
// restart neither loses nor repeats one.
//
// The updates of one batch are handled chat by chat: each chat's in order,
// up to maxChatsAtOnce chats at the same time, so one chat waiting on its
// rate limit or a 429 does not hold up the others (see handleBatch).
//
// When ctx ends, the updates being processed are finished (each within
// updateTimeout) and the offset stored; the rest of the batch comes again
// on the next start. A second poller on the token (409) is
// logged and waited out; Run returns an error only when Telegram rejects
// the token.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.WebhookURL != "" {
		return errors.New("telegram: Run polls for updates, but a webhook URL is configured")
	}
	offset, ok := a.loadOffset(ctx)
	if !ok {
		return nil
	}
	wait := newBackoff(time.Second, 30*time.Second)
	conflict := newBackoff(10*time.Second, time.Minute)
	var conflictLogged time.Time
	var stuck attempts
	for ctx.Err() == nil {
		raws, err := a.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			d := wait.next()
			var ae *APIError
			switch {
			case errors.As(err, &ae) && ae.Code == http.StatusConflict:
				d = conflict.next()
				if now := a.now(); now.Sub(conflictLogged) >= time.Minute {
					conflictLogged = now
					a.log.Error(errConflict.Error()+"; polling paused", "err", err, "retry_in", d)
				}
			case errors.As(err, &ae) && (ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound):
				return fmt.Errorf("telegram: the bot token was rejected: %w", err)
			default:
				if ae != nil && ae.RetryAfter > 0 {
					d = ae.RetryAfter
				}
				a.log.Warn("getUpdates failed; retrying", "err", err, "in", d)
			}
			a.sleep(ctx, d)
			continue
		}
		if !conflictLogged.IsZero() {
			conflictLogged = time.Time{}
			a.log.Info("polling resumed")
		}
		conflict.reset()
		var failed bool
		offset, failed = a.handleBatch(ctx, raws, offset, &stuck)
		if failed {
			a.sleep(ctx, wait.next())
		} else {
			wait.reset()
		}
	}
	return nil
}

// processDetached processes u within updateTimeout, whether or not ctx ends.
func (a *Adapter) processDetached(ctx context.Context, u *tgbotapi.Update) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	_, err := a.process(ctx, u, "poll", false)
	return err
}

// loadOffset reads the stored offset, retrying through a store outage. It
// reports false when ctx ended first.
func (a *Adapter) loadOffset(ctx context.Context) (int64, bool) {
	wait := newBackoff(time.Second, 30*time.Second)
	for {
		off, err := a.offsets.LoadOffset(ctx, a.offsetName)
		if err == nil {
			return off, true
		}
		if ctx.Err() != nil {
			return 0, false
		}
		d := wait.next()
		a.log.Warn("polling offset not loaded; retrying", "err", err, "in", d)
		if a.sleep(ctx, d) != nil {
			return 0, false
		}
	}
}

func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	p := map[string]string{
		"timeout":         strconv.Itoa(int(a.cfg.PollTimeout / time.Second)),
		"limit":           "100",
		"allowed_updates": mustJSON(allowedUpdates),
	}
	if offset != 0 {
		p["offset"] = strconv.FormatInt(offset, 10)
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+15*time.Second)
	defer cancel()
	res, err := a.api.call(cctx, "getUpdates", p)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(res, &raws); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: result is not a list: %w", err)
	}
	return raws, nil
}

// parseUpdate decodes one update on its own, so a single odd entry cannot
// stall the batch; its id is still returned to move past it.
func parseUpdate(raw json.RawMessage) (int, *tgbotapi.Update, error) {
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		var id struct {
			UpdateID int `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &id)
		return id.UpdateID, nil, err
	}
	return u.UpdateID, &u, nil
}

// backoff doubles from first up to most.
type backoff struct{ d, first, most time.Duration }

func newBackoff(first, most time.Duration) *backoff { return &backoff{first: first, most: most} }

func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = b.first
	} else {
		b.d = min(2*b.d, b.most)
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
