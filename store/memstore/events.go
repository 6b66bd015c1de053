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
// channel closed (and replaced) on every publish to wake waiters.
type feed struct {
	mu    sync.Mutex
	seq   uint64
	ring  []bot.Change
	woken chan struct{}
}

// Publish appends a change to the feed (bot.Publisher).
func (s *Store) Publish(_ context.Context, c bot.Change) error {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c.ID = strconv.FormatUint(f.seq, 10) + "-0"
	if len(f.ring) == feedSize {
		copy(f.ring, f.ring[1:])
		f.ring = f.ring[:feedSize-1]
	}
	f.ring = append(f.ring, c)
	if f.woken != nil {
		close(f.woken)
		f.woken = nil
	}
	return nil
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
		first := f.seq - uint64(len(f.ring)) + 1 // sequence of ring[0]
		for i, c := range f.ring {
			if first+uint64(i) > seq && len(out) < 100 {
				out = append(out, c)
			}
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
