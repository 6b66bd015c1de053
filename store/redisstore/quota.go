package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

var _ bot.QuotaStore = (*Store)(nil)

// Push counts and held notifications (bot.QuotaStore). Keys:
//
//	{quota}:push:<month>  the month's push count; expires after monthKeep
//	{quota}:pk:<key>      a counted retry key; expires after the key's TTL
//	{<conv>}:held         hash v (version), d (JSON): what is held for the
//	                      conversation, in its slot; expires with the session
//
// The counter and the keys share one slot, so counting is one script; a
// push is rare next to a turn, so the slot is no hot spot.
func (s *Store) pushKey(month string) string { return s.opt.Prefix + "{quota}:push:" + month }
func (s *Store) pushSeenKey(key string) string {
	return s.opt.Prefix + "{quota}:pk:" + key
}
func (s *Store) heldKey(id bot.ConversationID) string {
	return s.opt.Prefix + "{" + string(id) + "}:held"
}

// monthKeep keeps a month's count readable through the next month.
const monthKeep = 70 * 24 * time.Hour

var countPushScript = redis.NewScript(`
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  local n = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return n
end
return tonumber(redis.call('GET', KEYS[1]) or '0')`)

// CountPush implements bot.QuotaStore.
func (s *Store) CountPush(ctx context.Context, month, key string, keyTTL time.Duration) (int64, error) {
	n, err := countPushScript.Run(ctx, s.rdb, []string{s.pushKey(month), s.pushSeenKey(key)},
		keyTTL.Milliseconds(), monthKeep.Milliseconds()).Int64()
	if err != nil {
		return 0, s.unavailable("count push", err)
	}
	return n, nil
}

// PushCount implements bot.QuotaStore.
func (s *Store) PushCount(ctx context.Context, month string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.pushKey(month)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.unavailable("push count", err)
	}
	return n, nil
}

// LoadHeld implements bot.QuotaStore.
func (s *Store) LoadHeld(ctx context.Context, to bot.ConversationID) (bot.Held, int64, error) {
	var h bot.Held
	v, err := s.loadVersioned(ctx, s.heldKey(to), "held", &h)
	if err != nil || v == 0 {
		return bot.Held{}, 0, err
	}
	return h, v, nil
}

// saveHeldScript writes the record if its version is ARGV[1] (0: none);
// an empty ARGV[2] deletes it.
var saveHeldScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HSET', KEYS[1], 'v', v + 1, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// SaveHeld implements bot.QuotaStore.
func (s *Store) SaveHeld(ctx context.Context, to bot.ConversationID, h bot.Held, base int64, ttl time.Duration) error {
	var b []byte
	if len(h.Entries) > 0 || len(h.Seen) > 0 {
		var err error
		if b, err = json.Marshal(h); err != nil {
			return fmt.Errorf("redisstore: encode held: %w", err)
		}
	}
	n, err := saveHeldScript.Run(ctx, s.rdb, []string{s.heldKey(to)}, base, b, ttl.Milliseconds()).Int()
	if err != nil {
		return s.unavailable("save held", err)
	}
	if n == 0 {
		return bot.ErrConflict
	}
	return nil
}
