package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The console's logins, failed-login counters and audit log
// (console.StaffStore): one key each, so every command touches one
// Cluster slot, and every console process on this Redis sees the same.
func (s *Store) staffKey(kind, key string) string {
	return s.opt.Prefix + "console:" + kind + ":" + key
}

// PutStaffSession implements console.StaffStore.
func (s *Store) PutStaffSession(ctx context.Context, key string, record []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.staffKey("s", key), record, max(ttl, time.Millisecond)).Err(); err != nil {
		return s.unavailable("put staff session", err)
	}
	return nil
}

// StaffSession implements console.StaffStore.
func (s *Store) StaffSession(ctx context.Context, key string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.staffKey("s", key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, s.unavailable("staff session", err)
	}
	return b, nil
}

// DeleteStaffSession implements console.StaffStore.
func (s *Store) DeleteStaffSession(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.staffKey("s", key)).Err(); err != nil {
		return s.unavailable("delete staff session", err)
	}
	return nil
}

// failureScript counts a failure and keeps the counter for ARGV[2] ms
// after it, in one step (concurrent failures from two consoles both count).
//
//	KEYS: counter (hash n, last)
//	ARGV: failure time (unix ms), keep ms
var failureScript = redis.NewScript(`
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n`)

// AddLoginFailure implements console.StaffStore.
func (s *Store) AddLoginFailure(ctx context.Context, key string, now time.Time, keep time.Duration) (int, error) {
	n, err := failureScript.Run(ctx, s.rdb, []string{s.staffKey("f", key)}, now.UnixMilli(), ms(keep)).Int()
	if err != nil {
		return 0, s.unavailable("count login failure", err)
	}
	return n, nil
}

// LoginFailures implements console.StaffStore.
func (s *Store) LoginFailures(ctx context.Context, key string) (int, time.Time, error) {
	v, err := s.rdb.HMGet(ctx, s.staffKey("f", key), "n", "last").Result()
	if err != nil {
		return 0, time.Time{}, s.unavailable("login failures", err)
	}
	str := func(x any) string { s, _ := x.(string); return s }
	n, _ := strconv.Atoi(str(v[0]))
	if n == 0 {
		return 0, time.Time{}, nil
	}
	last, _ := strconv.ParseInt(str(v[1]), 10, 64)
	return n, time.UnixMilli(last), nil
}

// ClearLoginFailures implements console.StaffStore.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.staffKey("f", key)).Err(); err != nil {
		return s.unavailable("clear login failures", err)
	}
	return nil
}

// AddAudit implements console.StaffStore: a list, newest first, trimmed
// in the same transaction.
func (s *Store) AddAudit(ctx context.Context, line []byte, keep int) error {
	k := s.staffKey("audit", "log")
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, k, line)
		if keep > 0 {
			p.LTrim(ctx, k, 0, int64(keep)-1)
		}
		return nil
	})
	if err != nil {
		return s.unavailable("add audit line", err)
	}
	return nil
}

// Audit implements console.StaffStore.
func (s *Store) Audit(ctx context.Context, n int) ([][]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	vals, err := s.rdb.LRange(ctx, s.staffKey("audit", "log"), 0, int64(n)-1).Result()
	if err != nil {
		return nil, s.unavailable("audit", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}
