package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/bot"
)

// maxChatsAtOnce bounds how many chats of one batch are handled at the same
// time: enough that a chat waiting on its rate limit or a 429 does not hold
// up the others, few enough to spare the store and the global rate limit.
const maxChatsAtOnce = 8

// polled is one update of a batch; u is nil when it could not be decoded.
type polled struct {
	id int
	u  *tgbotapi.Update
}

// handled reports how one update of a batch ended: ok means done (answered
// or deliberately dropped); otherwise it must come again.
type handled struct {
	id int
	ok bool
}

// handleBatch processes one getUpdates result and returns the new offset,
// and whether an update failed and must come again.
//
// Updates are queued by chat, as Telegram queues webhook deliveries: each
// chat's updates run in order, and a failed one holds back only that chat's
// later updates. Up to maxChatsAtOnce chats run at once. Each update runs
// detached from ctx, so shutting down does not cut it off mid-send; after
// ctx ends no further update is started.
//
// The offset only passes updates that are done: it is stored each time the
// lowest update not yet done moves on, and stops at the first one that
// failed or was not started. Updates above it that other chats already
// answered come again, and the bot's dedupe absorbs them.
func (a *Adapter) handleBatch(ctx context.Context, raws []json.RawMessage, offset int64, stuck *attempts) (int64, bool) {
	var ids []int
	var queues [][]polled
	queueOf := map[string]int{}
	for _, raw := range raws {
		id, u, perr := parseUpdate(raw)
		if id == 0 {
			a.m.Event("telegram", "poll", "no_id")
			a.log.Warn("getUpdates returned an entry without update_id; skipped")
			continue
		}
		if int64(id) < offset {
			continue
		}
		if perr != nil {
			u = nil
		}
		k := chatKey(id, u)
		q, ok := queueOf[k]
		if !ok {
			q = len(queues)
			queueOf[k] = q
			queues = append(queues, nil)
		}
		queues[q] = append(queues[q], polled{id, u})
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return offset, false
	}

	// Every update reports at most once, so the workers never wait on the
	// loop below while it stores an offset.
	results := make(chan handled, len(ids))
	go func() {
		var wg sync.WaitGroup
		slots := make(chan struct{}, maxChatsAtOnce)
		for _, q := range queues {
			slots <- struct{}{}
			if ctx.Err() != nil {
				break // shutting down: the chats not started come again
			}
			wg.Go(func() {
				defer func() { <-slots }()
				a.handleQueue(ctx, q, stuck, results)
			})
		}
		wg.Wait()
		close(results)
	}()

	slices.Sort(ids)
	ids = slices.Compact(ids)
	done := make(map[int]bool, len(ids))
	next := 0 // ids[next] is the lowest update not yet done
	failed := false
	for r := range results {
		if !r.ok {
			failed = true
			continue
		}
		done[r.id] = true
		n := next
		for n < len(ids) && done[ids[n]] {
			n++
		}
		if n > next {
			next = n
			offset = int64(ids[n-1]) + 1
			a.saveOffset(ctx, offset)
		}
	}
	stuck.keep(ids, offset)
	return offset, failed
}

// handleQueue processes one chat's updates in order. It stops at the first
// one that must come again: the chat's later updates must not overtake it.
func (a *Adapter) handleQueue(ctx context.Context, q []polled, stuck *attempts, results chan<- handled) {
	for _, p := range q {
		if ctx.Err() != nil {
			return // shutting down: the rest comes again on the next start
		}
		ok := a.handlePolled(ctx, p, stuck)
		results <- handled{p.id, ok}
		if !ok {
			return
		}
	}
}

// handlePolled processes one polled update and reports whether it is done.
func (a *Adapter) handlePolled(ctx context.Context, p polled, stuck *attempts) bool {
	if p.u == nil {
		a.m.Event("telegram", "poll", "ignored")
		a.log.Warn("update could not be decoded; ignored", "update_id", p.id)
		return true
	}
	err := a.processDetached(ctx, p.u)
	if err == nil {
		return true
	}
	if ctx.Err() != nil || errors.Is(err, bot.ErrUnavailable) || errors.Is(err, bot.ErrInFlight) || stuck.retry(p.id) {
		return false
	}
	// Replies that keep failing must not hold up the chat's later updates
	// (nor, through the offset, every other chat's redeliveries).
	a.log.Error("replies still not sent; update skipped", "update_id", p.id, "attempts", maxUpdateAttempts)
	return true
}

// saveOffset stores the polling offset, even while shutting down.
func (a *Adapter) saveOffset(ctx context.Context, offset int64) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), offsetTimeout)
	defer cancel()
	if err := a.offsets.SaveOffset(sctx, a.offsetName, offset); err != nil {
		// Telegram still learns the offset from the next getUpdates;
		// after a restart the bot's dedupe absorbs the repeats.
		a.log.Warn("polling offset not stored", "err", err)
	}
}

// chatKey names the queue an update waits in: the chat its replies go to
// (for a callback, the chat of the pressed message; for my_chat_member, the
// chat concerned). An update without a chat, or one that could not be
// decoded, gets a queue of its own.
func chatKey(id int, u *tgbotapi.Update) string {
	if u != nil {
		// The bot name only decides whether a group command counts, not
		// the chat.
		if chat := convert(u, "").chatID; chat != 0 {
			return "c" + strconv.FormatInt(chat, 10)
		}
	}
	return "u" + strconv.Itoa(id)
}

// maxUpdateAttempts bounds how often the poller retries an update whose
// replies cannot be sent (a store outage is retried without bound).
const maxUpdateAttempts = 5

// attempts counts the failures of updates that are still to come again.
// The chats of a batch run concurrently, so it has a lock.
type attempts struct {
	mu sync.Mutex
	n  map[int]int
}

// retry records a failure of update id and reports whether to try again.
func (s *attempts) retry(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[int]int{}
	}
	s.n[id]++
	return s.n[id] < maxUpdateAttempts
}

// keep forgets every count but those of the batch's updates at or above
// offset: only they come again (the next batch starts at offset), so the
// map never outgrows a batch.
func (s *attempts) keep(batch []int, offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.n {
		if int64(id) < offset || !slices.Contains(batch, id) {
			delete(s.n, id)
		}
	}
}
