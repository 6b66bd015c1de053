package memstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/sswbot/bot"
)

// feedSize is how many changes the feed keeps for clients that reconnect.
const feedSize = 1000

// feed is the in-memory change feed: a ring of the last changes and a
// channel closed (and replaced) on every publish to wake waiters. The ring
// is written in place (the slot after the newest), so a publish costs the
// same whether it holds one change or feedSize; a change's id is made only
// when a reader asks for it.
type feed struct {
	mu    sync.Mutex
	seq   uint64 // sequence of the newest change; ring[seq%feedSize] holds it
	ring  [feedSize]bot.Change
	woken chan struct{}
}

// Publish appends a change to the feed (bot.Publisher).
func (s *Store) Publish(_ context.Context, c bot.Change) error {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(c)
	f.wake()
	return nil
}

// PublishAll appends changes to the feed at once (bot.BatchPublisher), so
// a busy bot's changes take the lock and wake the readers once per batch.
func (s *Store) PublishAll(_ context.Context, cs []bot.Change) error {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		f.add(c)
	}
	f.wake()
	return nil
}

func (f *feed) add(c bot.Change) {
	f.seq++
	c.ID = ""
	f.ring[f.seq%feedSize] = c
}

func (f *feed) wake() {
	if f.woken != nil {
		close(f.woken)
		f.woken = nil
	}
}

// LastChange returns the id of the newest change, "0-0" when there is none.
func (s *Store) LastChange(context.Context) (string, error) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	return strconv.FormatUint(f.seq, 10) + "-0", nil
}

// Changes returns up to 100 changes published after the id after, oldest
// first. With wait > 0 and none yet, it waits that long for one.
func (s *Store) Changes(ctx context.Context, after string, wait time.Duration) ([]bot.Change, error) {
	seq, err := parseSeq(after)
	if err != nil {
		return nil, err
	}
	var timeout <-chan time.Time
	for {
		f := &s.feed
		f.mu.Lock()
		var out []bot.Change
		// The ring holds the changes after first-1 (sequences from 1 on).
		first := uint64(1)
		if f.seq > feedSize {
			first = f.seq - feedSize + 1
		}
		for q := max(seq+1, first); q <= f.seq && len(out) < 100; q++ {
			c := f.ring[q%feedSize]
			c.ID = strconv.FormatUint(q, 10) + "-0"
			out = append(out, c)
		}
		if len(out) > 0 || wait <= 0 {
			f.mu.Unlock()
			return out, nil
		}
		if f.woken == nil {
			f.woken = make(chan struct{})
		}
		woken := f.woken
		f.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-woken:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// parseSeq reads a change id of this feed ("12-0").
func parseSeq(id string) (uint64, error) {
	head, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseUint(head, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("memstore: change id %q: want n-0", id)
	}
	return n, nil
}
