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
// restart neither loses nor repeats one.
//
// When ctx ends, the update being processed is finished (within
// updateTimeout) and its offset stored; the rest of the batch comes again
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

// handleBatch processes one getUpdates result in order and returns the new
// offset, and whether an update failed and must come again. Each update runs
// detached from ctx, so shutting down does not cut it off mid-send; after
// ctx ends no further update is started.
func (a *Adapter) handleBatch(ctx context.Context, raws []json.RawMessage, offset int64, stuck *attempts) (int64, bool) {
	for _, raw := range raws {
		if ctx.Err() != nil {
			return offset, false
		}
		id, u, perr := parseUpdate(raw)
		if id == 0 {
			a.log.Warn("getUpdates returned an entry without update_id; skipped")
			continue
		}
		if int64(id) < offset {
			continue
		}
		if perr != nil {
			a.m.Event("telegram", "poll", "ignored")
			a.log.Warn("update could not be decoded; ignored", "update_id", id)
		} else if err := a.processDetached(ctx, u); err != nil {
			if ctx.Err() != nil || errors.Is(err, bot.ErrUnavailable) || stuck.retry(id) {
				return offset, true // keep the offset: this update comes again
			}
			// Replies that keep failing must not hold up every other
			// user, as a webhook's per-chat queue would not.
			a.log.Error("replies still not sent; update skipped", "update_id", id, "attempts", maxUpdateAttempts)
		}
		offset = int64(id) + 1
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), offsetTimeout)
		err := a.offsets.SaveOffset(sctx, a.offsetName, offset)
		cancel()
		if err != nil {
			// Telegram still learns the offset from the next getUpdates;
			// after a restart the bot's dedupe absorbs the repeats.
			a.log.Warn("polling offset not stored", "err", err)
		}
	}
	return offset, false
}

// processDetached processes u within updateTimeout, whether or not ctx ends.
func (a *Adapter) processDetached(ctx context.Context, u *tgbotapi.Update) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	return a.process(ctx, u, "poll")
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
