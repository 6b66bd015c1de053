package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

var _ bot.CaseStore = (*Store)(nil)

// Shared cases, their invite codes and the outbox share one hash tag,
// {cases}, so one Cluster slot: a case change and its notifications are one
// script (see bot/cases.go). A case changes a few times per hire, so the
// slot is no hot spot. Keys:
//
//	{cases}:case:<id>   hash v (version), d (JSON); expires with the case
//	{cases}:inv:<code>  "<case id>" while unused, "<case id>|<change id>" once redeemed; expires
//	{cases}:all         sorted set of case ids by creation (console)
//	{cases}:out         hash entry id → JSON (notifications not sent yet)
//	{cases}:outq        sorted set entry id → when it may be claimed (ms)
func (s *Store) caseKey(id string) string     { return s.opt.Prefix + "{cases}:case:" + id }
func (s *Store) inviteKey(code string) string { return s.opt.Prefix + "{cases}:inv:" + code }
func (s *Store) casesAllKey() string          { return s.opt.Prefix + "{cases}:all" }
func (s *Store) outKey() string               { return s.opt.Prefix + "{cases}:out" }
func (s *Store) outqKey() string              { return s.opt.Prefix + "{cases}:outq" }

var createCaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return 1`)

// CreateCase implements bot.CaseStore.
func (s *Store) CreateCase(ctx context.Context, c bot.Case, code string, ttl time.Duration) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode case: %w", err)
	}
	err = createCaseScript.Run(ctx, s.rdb, []string{s.caseKey(c.ID), s.inviteKey(code), s.casesAllKey()},
		b, c.Expires.UnixMilli(), ttl.Milliseconds(), c.ID, c.Created.UnixMilli()).Err()
	if err != nil {
		return s.unavailable("create case", err)
	}
	return nil
}

// LookupInvite implements bot.CaseStore.
func (s *Store) LookupInvite(ctx context.Context, code string) (string, error) {
	v, err := s.rdb.Get(ctx, s.inviteKey(code)).Result()
	if errors.Is(err, redis.Nil) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", s.unavailable("look up invite", err)
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '|' {
			return "", bot.ErrNotFound // redeemed
		}
	}
	return v, nil
}

var redeemScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local id, used = string.match(v, '^([^|]*)|(.*)$')
if not id then
  redis.call('SET', KEYS[1], v .. '|' .. ARGV[1], 'KEEPTTL')
  return v
end
if used == ARGV[1] then return id end
return false`)

// RedeemInvite implements bot.CaseStore.
func (s *Store) RedeemInvite(ctx context.Context, code, opID string) (string, error) {
	id, err := redeemScript.Run(ctx, s.rdb, []string{s.inviteKey(code)}, opID).Text()
	if errors.Is(err, redis.Nil) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", s.unavailable("redeem invite", err)
	}
	return id, nil
}

// LoadCase implements bot.CaseStore.
func (s *Store) LoadCase(ctx context.Context, id string) (bot.Case, int64, error) {
	var c bot.Case
	v, err := s.loadVersioned(ctx, s.caseKey(id), "case", &c)
	if err != nil {
		return bot.Case{}, 0, err
	}
	if v == 0 {
		return bot.Case{}, 0, bot.ErrNotFound
	}
	return c, v, nil
}

// loadVersioned reads a hash of v (version) and d (JSON) into dst and
// returns the version, 0 when the key is absent.
func (s *Store) loadVersioned(ctx context.Context, key, what string, dst any) (int64, error) {
	vals, err := s.rdb.HMGet(ctx, key, "v", "d").Result()
	if err != nil {
		return 0, s.unavailable("load "+what, err)
	}
	vs, _ := vals[0].(string)
	d, _ := vals[1].(string)
	if vs == "" || d == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s version: %w", what, err)
	}
	if err := json.Unmarshal([]byte(d), dst); err != nil {
		return 0, fmt.Errorf("redisstore: decode %s: %w", what, err)
	}
	return v, nil
}

var updateCaseScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(v) + 1, 'd', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
for i = 4, #ARGV, 3 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[i + 2], ARGV[i])
end
return 1`)

// UpdateCase implements bot.CaseStore: the case and its notifications in
// one script.
func (s *Store) UpdateCase(ctx context.Context, c bot.Case, base int64, out []bot.OutboxEntry) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode case: %w", err)
	}
	args := []any{base, b, c.Expires.UnixMilli()}
	for _, e := range out {
		eb, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("redisstore: encode outbox entry: %w", err)
		}
		args = append(args, e.ID, eb, e.Created.UnixMilli()) // due at once
	}
	n, err := updateCaseScript.Run(ctx, s.rdb, []string{s.caseKey(c.ID), s.outKey(), s.outqKey()}, args...).Int()
	if err != nil {
		return s.unavailable("update case", err)
	}
	if n == 0 {
		return bot.ErrConflict
	}
	return nil
}

// Cases implements bot.CaseStore.
func (s *Store) Cases(ctx context.Context) ([]bot.Case, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.casesAllKey(), 0, -1).Result()
	if err != nil {
		return nil, s.unavailable("list cases", err)
	}
	var out []bot.Case
	var gone []any
	for _, id := range ids {
		c, _, err := s.LoadCase(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(gone) > 0 {
		_ = s.rdb.ZRem(ctx, s.casesAllKey(), gone...).Err() // tidying; the next list retries
	}
	return out, nil
}

var claimOutboxScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local res = {}
for _, id in ipairs(ids) do
  local e = redis.call('HGET', KEYS[1], id)
  if e then
    redis.call('ZADD', KEYS[2], ARGV[2], id)
    table.insert(res, e)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return res`)

// ClaimOutbox implements bot.CaseStore.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, n int) ([]bot.OutboxEntry, error) {
	raws, err := claimOutboxScript.Run(ctx, s.rdb, []string{s.outKey(), s.outqKey()},
		now.UnixMilli(), now.Add(lease).UnixMilli(), n).StringSlice()
	if err != nil {
		return nil, s.unavailable("claim outbox", err)
	}
	out := make([]bot.OutboxEntry, 0, len(raws))
	for _, r := range raws {
		var e bot.OutboxEntry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("redisstore: decode outbox entry: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// DoneOutbox implements bot.CaseStore.
func (s *Store) DoneOutbox(ctx context.Context, e bot.OutboxEntry) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.outKey(), e.ID)
		p.ZRem(ctx, s.outqKey(), e.ID)
		return nil
	})
	if err != nil {
		return s.unavailable("outbox done", err)
	}
	return nil
}

// ReleaseOutbox implements bot.CaseStore: only an entry still queued (XX:
// one done meanwhile stays done).
func (s *Store) ReleaseOutbox(ctx context.Context, e bot.OutboxEntry, due time.Time) error {
	err := s.rdb.ZAddXX(ctx, s.outqKey(), redis.Z{Score: float64(due.UnixMilli()), Member: e.ID}).Err()
	if err != nil {
		return s.unavailable("outbox release", err)
	}
	return nil
}
