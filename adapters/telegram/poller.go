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

	"example.com/sswbot/bot"
)

// Run receives updates by long polling until ctx ends, then returns nil.
// Use it when no webhook URL is configured (after Setup, which removes any
// webhook). It is its own getUpdates loop rather than the library's
// GetUpdatesChan, which confirms updates before they are processed: here the
// offset moves past an update only after it was handled, and is stored, so a
// restart neither loses nor repeats one. Run returns an error wrapping
// ErrConflict when another poller uses the same token, and an error when
// Telegram rejects the token.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.WebhookURL != "" {
		return errors.New("telegram: Run polls for updates, but a webhook URL is configured")
	}
	offset, ok := a.loadOffset(ctx)
	if !ok {
		return nil
	}
	wait := newBackoff()
	var stuck attempts
	for ctx.Err() == nil {
		raws, err := a.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			d := wait.next()
			var ae *APIError
			if errors.As(err, &ae) {
				switch {
				case ae.Code == http.StatusConflict:
					return fmt.Errorf("%w: %s", ErrConflict, ae.Description)
				case ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound:
					return fmt.Errorf("telegram: the bot token was rejected: %w", err)
				case ae.RetryAfter > 0:
					d = ae.RetryAfter
				}
			}
			a.log.Warn("getUpdates failed; retrying", "err", err, "in", d)
			sleep(ctx, d)
			continue
		}
		failed := false
		for _, raw := range raws {
			id, u, perr := parseUpdate(raw)
			if id == 0 {
				a.log.Warn("getUpdates returned an entry without update_id; skipped")
				continue
			}
			if int64(id) < offset {
				continue
			}
			if perr != nil {
				a.m.Event("telegram", "unknown", "ignored")
				a.log.Warn("update could not be decoded; ignored", "update_id", id)
			} else if err := a.process(ctx, u); err != nil {
				if ctx.Err() != nil || errors.Is(err, bot.ErrUnavailable) || stuck.retry(id) {
					failed = true // keep the offset: this update comes again
					break
				}
				// Replies that keep failing must not hold up every other
				// user, as a webhook's per-chat queue would not.
				a.log.Error("replies still not sent; update skipped", "update_id", id, "attempts", maxUpdateAttempts)
			}
			offset = int64(id) + 1
			if err := a.offsets.SaveOffset(ctx, a.offsetName, offset); err != nil {
				// Telegram still learns the offset from the next getUpdates;
				// after a restart the bot's dedupe absorbs the repeats.
				a.log.Warn("polling offset not stored", "err", err)
			}
		}
		if failed {
			sleep(ctx, wait.next())
		} else {
			wait.reset()
		}
	}
	return nil
}

// loadOffset reads the stored offset, retrying through a store outage. It
// reports false when ctx ended first.
func (a *Adapter) loadOffset(ctx context.Context) (int64, bool) {
	wait := newBackoff()
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
		if sleep(ctx, d) != nil {
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

// maxUpdateAttempts bounds how often the poller retries an update whose
// replies cannot be sent (a store outage is retried without bound).
const maxUpdateAttempts = 5

// attempts counts consecutive failures of one update.
type attempts struct {
	id, n int
}

// retry records a failure of update id and reports whether to try again.
func (s *attempts) retry(id int) bool {
	if s.id != id {
		s.id, s.n = id, 0
	}
	s.n++
	return s.n < maxUpdateAttempts
}

// backoff doubles from 1 s up to 30 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = time.Second
	} else {
		b.d = min(2*b.d, 30*time.Second)
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
