package memstore

import (
	"context"
	"encoding/json"
	"fmt"
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
	held   map[bot.ConversationID]*heldRec
}

type heldRec struct {
	data    []byte
	version int64
	exp     time.Time
}

func (s *Store) quotaLocked() *quota {
	if s.qs == nil {
		s.qs = &quota{months: map[string]int64{}, keys: map[string]time.Time{}, held: map[bot.ConversationID]*heldRec{}}
	}
	return s.qs
}

// CountPush implements bot.QuotaStore.
func (s *Store) CountPush(_ context.Context, month, key string, keyTTL time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, now := s.quotaLocked(), s.opt.Now()
	if exp, ok := q.keys[key]; ok && now.Before(exp) {
		return q.months[month], nil
	}
	for k, exp := range q.keys { // few keys a day: sweeping here is cheap
		if !now.Before(exp) {
			delete(q.keys, k)
		}
	}
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
	r := s.quotaLocked().held[to]
	var data []byte
	var ver int64
	if r != nil && s.opt.Now().Before(r.exp) {
		data, ver = r.data, r.version
	}
	s.mu.Unlock()
	var h bot.Held
	if data != nil {
		if err := json.Unmarshal(data, &h); err != nil {
			return bot.Held{}, 0, fmt.Errorf("memstore: decode held: %w", err)
		}
	}
	return h, ver, nil
}

// SaveHeld implements bot.QuotaStore.
func (s *Store) SaveHeld(_ context.Context, to bot.ConversationID, h bot.Held, base int64, ttl time.Duration) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("memstore: encode held: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, now := s.quotaLocked(), s.opt.Now()
	r := q.held[to]
	var ver int64
	if r != nil && now.Before(r.exp) {
		ver = r.version
	}
	if ver != base {
		return bot.ErrConflict
	}
	if len(h.Entries) == 0 && len(h.Seen) == 0 {
		delete(q.held, to)
		return nil
	}
	q.held[to] = &heldRec{data: b, version: ver + 1, exp: now.Add(ttl)}
	return nil
}
