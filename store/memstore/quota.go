package memstore

import (
	"context"
	"time"

	"example.com/sswbot/bot"
)

var _ bot.QuotaStore = (*Store)(nil)

// quota holds the push counts per month and the notifications held per
// recipient (bot.QuotaStore). Held records are stored encoded, so a
// caller's copy never aliases the store's.
type quota struct {
	months map[string]int64
	keys   map[string]time.Time // retry key → when it is forgotten
	held   map[bot.ConversationID]*versioned
}

func keyExp(exp time.Time) time.Time { return exp }

func (s *Store) quotaLocked() *quota {
	if s.qs == nil {
		s.qs = &quota{months: map[string]int64{}, keys: map[string]time.Time{}, held: map[bot.ConversationID]*versioned{}}
	}
	return s.qs
}

// CountPush implements bot.QuotaStore.
func (s *Store) CountPush(_ context.Context, month, key string, keyTTL time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, now := s.quotaLocked(), s.opt.Now()
	if _, ok := liveIn(q.keys, key, now, keyExp); ok {
		return q.months[month], nil
	}
	sweep(q.keys, now, keyExp) // few keys a day: sweeping here is cheap
	q.keys[key] = now.Add(keyTTL)
	q.months[month]++
	return q.months[month], nil
}

// PushCount implements bot.QuotaStore.
func (s *Store) PushCount(_ context.Context, month string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quotaLocked().months[month], nil
}

// LoadHeld implements bot.QuotaStore.
func (s *Store) LoadHeld(_ context.Context, to bot.ConversationID) (bot.Held, int64, error) {
	s.mu.Lock()
	var data []byte
	var ver int64
	if r, ok := liveIn(s.quotaLocked().held, to, s.opt.Now(), versionedExp); ok {
		data, ver = r.data, r.version
	}
	s.mu.Unlock() // data is never changed, only replaced: decode it unlocked
	var h bot.Held
	if data != nil {
		if err := decode("held", data, &h); err != nil {
			return bot.Held{}, 0, err
		}
	}
	return h, ver, nil
}

// SaveHeld implements bot.QuotaStore.
func (s *Store) SaveHeld(_ context.Context, to bot.ConversationID, h bot.Held, base int64, ttl time.Duration) error {
	b, err := encode("held", h)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, now := s.quotaLocked(), s.opt.Now()
	var ver int64
	if r, ok := liveIn(q.held, to, now, versionedExp); ok {
		ver = r.version
	}
	if ver != base {
		return bot.ErrConflict
	}
	if len(h.Entries) == 0 && len(h.Seen) == 0 {
		delete(q.held, to)
		return nil
	}
	q.held[to] = &versioned{data: b, version: ver + 1, exp: now.Add(ttl)}
	return nil
}
