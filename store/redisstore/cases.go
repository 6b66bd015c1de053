package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

var _ bot.CaseStore = (*Store)(nil)

// Shared cases (bot.CaseStore) spread over the Cluster the way
// conversations do: each case has a hash tag of its own, each invite code
// too, and the two lists over every case (the console's list, the outbox's
// due queue) are caseShards sorted sets in slots of their own, picked by
// the case id like the index (funnel.go) and the change feed (events.go).
// Keys:
//
//	{case:<id>}:c  hash v (version), d (JSON), i (its invite code); expires with the case
//	{case:<id>}:o  hash entry id → JSON: the case's notifications not sent yet; expires with the case
//	{inv:<code>}   "<case id>" while unused, "<case id>|<change id>" once redeemed; expires
//	cases:{c<n>}   case list shard n, sorted set case id → created (ms)
//	outq:{o<n>}    due queue shard n, sorted set "<case id> <entry id>" → when it may be claimed (ms)
//
// A case change and its notifications share the case's slot, so they are
// still one script: they exist exactly when the change does (bot/cases.go).
//
// The due queue is only a pointer to an entry in a case's :o hash, written
// after that script (another slot: no script can write both). The :o
// hashes are the truth, in this order:
//   - UpdateCase runs the case script, then adds the pointers (ZADD NX: a
//     pointer already claimed keeps its lease);
//   - a crash between the two leaves entries without a pointer; the sweep
//     finds them through the case list (one shard every sweepEvery, in
//     turn, in every process) and adds their pointers, so such an entry is
//     late by up to caseShards × sweepEvery, never lost;
//   - DoneOutbox deletes the entry, then its pointer; a claim that finds a
//     pointer without an entry (a Done cut short, a sweep racing a Done)
//     drops the pointer and sends nothing.
//
// So no pointer is needed to find an entry, and an extra pointer sends
// nothing twice: an entry has one pointer (its member name), claimed under
// a lease as before, and the entry is deleted before its pointer.
//
// Earlier versions kept all of it under one hash tag, {cases} (legacy
// below). Their data is still found: invites and cases are looked up there
// when absent here, and such a case is updated in place (its version is
// returned negated to tell UpdateCase), with its notifications in the old
// outbox, which ClaimOutbox drains too. So a process of the earlier version
// still running during a rolling update reads and writes the same case.
// New cases go there only with Options.LegacyCases (the first step of a
// rolling update); the old keys end with their cases.
const (
	caseShards = 16
	// sweepEvery is how often this process sweeps one case list shard for
	// notifications without a pointer (see above).
	sweepEvery = 4 * time.Second
)

func (s *Store) caseKey(id string) string     { return s.opt.Prefix + "{case:" + id + "}:c" }
func (s *Store) caseOutKey(id string) string  { return s.opt.Prefix + "{case:" + id + "}:o" }
func (s *Store) inviteKey(code string) string { return s.opt.Prefix + "{inv:" + code + "}" }
func caseShard(id string) int                 { return int(fnv32(id) % caseShards) }
func (s *Store) caseListKey(shard int) string {
	return s.opt.Prefix + "cases:{c" + strconv.Itoa(shard) + "}"
}
func (s *Store) outqKey(shard int) string {
	return s.opt.Prefix + "outq:{o" + strconv.Itoa(shard) + "}"
}

// outqMember is an entry's pointer in the due queue. Case ids are hex, so
// the first space ends the case id.
func outqMember(e bot.OutboxEntry) string { return e.Case + " " + e.ID }

// The keys of earlier versions, all in the one slot {cases}.
func (s *Store) legacyCaseKey(id string) string     { return s.opt.Prefix + "{cases}:case:" + id }
func (s *Store) legacyInviteKey(code string) string { return s.opt.Prefix + "{cases}:inv:" + code }
func (s *Store) legacyAllKey() string               { return s.opt.Prefix + "{cases}:all" }
func (s *Store) legacyOutKey() string               { return s.opt.Prefix + "{cases}:out" }
func (s *Store) legacyOutqKey() string              { return s.opt.Prefix + "{cases}:outq" }

// caseState is this process's part of the shared cases: the sweep's turn
// and the legacy outbox entries it claimed (their Done and Release go to
// the old keys).
type caseState struct {
	swept     atomic.Int64 // when this process last swept a shard (Unix ms)
	sweepNext atomic.Int64 // the shard swept next
	legacyOut sync.Map     // entry id → struct{}
}

// createCaseScript creates the case unless it exists. It returns 1 when
// the invite code belongs to this case (created now, or by an earlier try
// of the same create: the code is written after, and a crash between must
// not leave the code shown without its key).
var createCaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'i') == ARGV[3] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1], 'i', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`)

// legacyCreateCaseScript is the earlier versions' create: KEYS case,
// invite, list, all in {cases}.
var legacyCreateCaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return 1`)

// CreateCase implements bot.CaseStore: the case, then (other slots) its
// invite code and its place in the case list. The list entry comes after
// the case, so Cases never tidies away a case still being created.
func (s *Store) CreateCase(ctx context.Context, c bot.Case, code string, ttl time.Duration) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode case: %w", err)
	}
	if s.opt.LegacyCases {
		err := legacyCreateCaseScript.Run(ctx, s.rdb, []string{s.legacyCaseKey(c.ID), s.legacyInviteKey(code), s.legacyAllKey()},
			b, c.Expires.UnixMilli(), ttl.Milliseconds(), c.ID, c.Created.UnixMilli()).Err()
		if err != nil {
			return s.unavailable("create case", err)
		}
		return nil
	}
	n, err := createCaseScript.Run(ctx, s.rdb, []string{s.caseKey(c.ID)}, b, c.Expires.UnixMilli(), code).Int()
	if err != nil {
		return s.unavailable("create case", err)
	}
	if n == 0 {
		return nil // a retried create with another code: the first stands
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, s.inviteKey(code), c.ID, ttl) // NX: a redeemed code stays redeemed
		p.ZAddNX(ctx, s.caseListKey(caseShard(c.ID)), redis.Z{Score: float64(c.Created.UnixMilli()), Member: c.ID})
		return nil
	})
	if err != nil {
		return s.unavailable("create case", err)
	}
	return nil
}

// LookupInvite implements bot.CaseStore.
func (s *Store) LookupInvite(ctx context.Context, code string) (string, error) {
	v, err := s.rdb.Get(ctx, s.inviteKey(code)).Result()
	if errors.Is(err, redis.Nil) {
		v, err = s.rdb.Get(ctx, s.legacyInviteKey(code)).Result()
	}
	if errors.Is(err, redis.Nil) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", s.unavailable("look up invite", err)
	}
	if strings.IndexByte(v, '|') >= 0 {
		return "", bot.ErrNotFound // redeemed
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

// RedeemInvite implements bot.CaseStore. A code lives under one key only
// (new or legacy), so single use holds across both.
func (s *Store) RedeemInvite(ctx context.Context, code, opID string) (string, error) {
	id, err := redeemScript.Run(ctx, s.rdb, []string{s.inviteKey(code)}, opID).Text()
	if errors.Is(err, redis.Nil) {
		id, err = redeemScript.Run(ctx, s.rdb, []string{s.legacyInviteKey(code)}, opID).Text()
	}
	if errors.Is(err, redis.Nil) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", s.unavailable("redeem invite", err)
	}
	return id, nil
}

// LoadCase implements bot.CaseStore. A case only an earlier version's
// keys hold is returned with its version negated (see UpdateCase).
func (s *Store) LoadCase(ctx context.Context, id string) (bot.Case, int64, error) {
	var c bot.Case
	v, err := s.loadVersioned(ctx, s.caseKey(id), "case", &c)
	if err == nil && v == 0 {
		v, err = s.loadVersioned(ctx, s.legacyCaseKey(id), "case", &c)
		v = -v
	}
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
	return decodeVersioned(vals, what, dst)
}

func decodeVersioned(vals []any, what string, dst any) (int64, error) {
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

// updateCaseScript writes the case and its notifications: KEYS case, its
// outbox hash. The outbox hash ends with the case.
var updateCaseScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(v) + 1, 'd', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if #ARGV > 3 then
  for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIREAT', KEYS[2], ARGV[3])
end
return 1`)

// legacyUpdateCaseScript is the earlier versions' update: KEYS case,
// outbox hash, due queue, all in {cases}.
var legacyUpdateCaseScript = redis.NewScript(`
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
// one script, then the notifications' pointers in the due queue (see the
// order above). A negative base is a case of the earlier layout, updated
// there.
func (s *Store) UpdateCase(ctx context.Context, c bot.Case, base int64, out []bot.OutboxEntry) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode case: %w", err)
	}
	legacy := base < 0
	args := []any{max(base, -base), b, c.Expires.UnixMilli()}
	for _, e := range out {
		eb, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("redisstore: encode outbox entry: %w", err)
		}
		args = append(args, e.ID, eb)
		if legacy {
			args = append(args, e.Created.UnixMilli()) // due at once
		}
	}
	var n int
	if legacy {
		n, err = legacyUpdateCaseScript.Run(ctx, s.rdb, []string{s.legacyCaseKey(c.ID), s.legacyOutKey(), s.legacyOutqKey()}, args...).Int()
	} else {
		n, err = updateCaseScript.Run(ctx, s.rdb, []string{s.caseKey(c.ID), s.caseOutKey(c.ID)}, args...).Int()
	}
	if err != nil {
		return s.unavailable("update case", err)
	}
	if n == 0 {
		return bot.ErrConflict
	}
	if legacy {
		return nil
	}
	// The change is committed; a pointer not written is the sweep's.
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		q := s.outqKey(caseShard(c.ID))
		for _, e := range out {
			p.ZAddNX(ctx, q, redis.Z{Score: float64(e.Created.UnixMilli()), Member: outqMember(e)}) // due at once
		}
		// Again, in case the create's list write was cut short: the sweep
		// finds notifications through the list.
		p.ZAddNX(ctx, s.caseListKey(caseShard(c.ID)), redis.Z{Score: float64(c.Created.UnixMilli()), Member: c.ID})
		return nil
	})
	return nil
}

// Cases implements bot.CaseStore: every list shard and the earlier
// versions' list, in two or three round trips.
func (s *Store) Cases(ctx context.Context) ([]bot.Case, error) {
	lists, err := s.each(ctx, caseShards+1, func(p redis.Pipeliner, i int) redis.Cmder {
		key := s.legacyAllKey()
		if i < caseShards {
			key = s.caseListKey(i)
		}
		return p.ZRangeWithScores(ctx, key, 0, -1)
	})
	if err != nil {
		return nil, s.unavailable("list cases", err)
	}
	type listed struct {
		id      string
		created float64
		list    int
	}
	var ids []listed
	for i, cmd := range lists {
		for _, z := range cmd.(*redis.ZSliceCmd).Val() {
			ids = append(ids, listed{z.Member.(string), z.Score, i})
		}
	}
	slices.SortFunc(ids, func(a, b listed) int { return cmp.Or(cmp.Compare(b.created, a.created), strings.Compare(a.id, b.id)) })
	ids = slices.CompactFunc(ids, func(a, b listed) bool { return a.id == b.id }) // (a case listed in both lists)
	hashes, err := s.each(ctx, len(ids), func(p redis.Pipeliner, i int) redis.Cmder {
		return p.HMGet(ctx, s.caseKey(ids[i].id), "v", "d")
	})
	if err != nil {
		return nil, s.unavailable("list cases", err)
	}
	var out []bot.Case
	for i, cmd := range hashes {
		var c bot.Case
		v, err := decodeVersioned(cmd.(*redis.SliceCmd).Val(), "case", &c)
		if err == nil && v == 0 {
			v, err = s.loadVersioned(ctx, s.legacyCaseKey(ids[i].id), "case", &c)
		}
		if err != nil {
			return nil, err
		}
		if v == 0 {
			// Ended: tidy its list (the next list retries a failure).
			key := s.legacyAllKey()
			if ids[i].list < caseShards {
				key = s.caseListKey(ids[i].list)
			}
			_ = s.rdb.ZRem(ctx, key, ids[i].id).Err()
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// claimQueueScript claims up to ARGV[3] due pointers of one queue shard until
// ARGV[2] and returns them.
var claimQueueScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids`)

// legacyClaimScript is the earlier versions' claim: KEYS outbox hash, due
// queue.
var legacyClaimScript = redis.NewScript(`
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

// ClaimOutbox implements bot.CaseStore. One round trip counts what is due
// in every queue shard (and the earlier versions' queue); only shards with
// something due are claimed from.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, n int) ([]bot.OutboxEntry, error) {
	if err := s.maybeSweep(ctx); err != nil {
		return nil, err
	}
	until := strconv.FormatInt(now.UnixMilli(), 10)
	counts, err := s.each(ctx, caseShards+1, func(p redis.Pipeliner, i int) redis.Cmder {
		key := s.legacyOutqKey()
		if i < caseShards {
			key = s.outqKey(i)
		}
		return p.ZCount(ctx, key, "-inf", until)
	})
	if err != nil {
		return nil, s.unavailable("claim outbox", err)
	}
	var out []bot.OutboxEntry
	for i, c := range counts {
		if len(out) >= n {
			break
		}
		if c.(*redis.IntCmd).Val() == 0 {
			continue
		}
		var got []bot.OutboxEntry
		if i < caseShards {
			got, err = s.claimShard(ctx, i, now, lease, n-len(out))
		} else {
			got, err = s.claimLegacy(ctx, now, lease, n-len(out))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// claimShard claims up to n pointers of one shard and reads their entries;
// a pointer without an entry is dropped.
func (s *Store) claimShard(ctx context.Context, shard int, now time.Time, lease time.Duration, n int) ([]bot.OutboxEntry, error) {
	q := s.outqKey(shard)
	members, err := claimQueueScript.Run(ctx, s.rdb, []string{q}, now.UnixMilli(), now.Add(lease).UnixMilli(), n).StringSlice()
	if err != nil {
		return nil, s.unavailable("claim outbox", err)
	}
	bodies, err := s.each(ctx, len(members), func(p redis.Pipeliner, i int) redis.Cmder {
		caseID, entryID, _ := strings.Cut(members[i], " ")
		return p.HGet(ctx, s.caseOutKey(caseID), entryID)
	})
	if err != nil {
		return nil, s.unavailable("claim outbox", err)
	}
	var out []bot.OutboxEntry
	var gone []any
	for i, c := range bodies {
		raw, ok := value(c.(*redis.StringCmd))
		if !ok {
			gone = append(gone, members[i])
			continue
		}
		var e bot.OutboxEntry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("redisstore: decode outbox entry: %w", err)
		}
		out = append(out, e)
	}
	if len(gone) > 0 {
		if err := s.rdb.ZRem(ctx, q, gone...).Err(); err != nil {
			return nil, s.unavailable("claim outbox", err)
		}
	}
	return out, nil
}

func (s *Store) claimLegacy(ctx context.Context, now time.Time, lease time.Duration, n int) ([]bot.OutboxEntry, error) {
	raws, err := legacyClaimScript.Run(ctx, s.rdb, []string{s.legacyOutKey(), s.legacyOutqKey()},
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
		s.cases.legacyOut.Store(e.ID, struct{}{})
		out = append(out, e)
	}
	return out, nil
}

// maybeSweep sweeps the next case list shard when this process has not
// swept for sweepEvery.
func (s *Store) maybeSweep(ctx context.Context) error {
	now, last := time.Now().UnixMilli(), s.cases.swept.Load()
	if now-last < sweepEvery.Milliseconds() || !s.cases.swept.CompareAndSwap(last, now) {
		return nil
	}
	return s.sweep(ctx, int(s.cases.sweepNext.Add(1)%caseShards))
}

// sweep adds the missing pointers of the notifications of the cases in one
// list shard (see the order above; NX: a pointer claimed keeps its lease),
// and takes the cases that ended off the list (a case is listed only once
// it exists, so one listed and absent is gone).
func (s *Store) sweep(ctx context.Context, shard int) error {
	list := s.caseListKey(shard)
	ids, err := s.rdb.ZRange(ctx, list, 0, -1).Result()
	if err != nil {
		return s.unavailable("sweep outbox", err)
	}
	cmds, err := s.each(ctx, 2*len(ids), func(p redis.Pipeliner, i int) redis.Cmder {
		if i%2 == 0 {
			return p.Exists(ctx, s.caseKey(ids[i/2]))
		}
		return p.HGetAll(ctx, s.caseOutKey(ids[i/2]))
	})
	if err != nil {
		return s.unavailable("sweep outbox", err)
	}
	var zs []redis.Z
	var ended []any
	for i := 0; i < len(cmds); i += 2 {
		if cmds[i].(*redis.IntCmd).Val() == 0 {
			ended = append(ended, ids[i/2])
			continue // (its notifications ended with it)
		}
		for _, raw := range cmds[i+1].(*redis.MapStringStringCmd).Val() {
			var e bot.OutboxEntry
			if json.Unmarshal([]byte(raw), &e) == nil {
				zs = append(zs, redis.Z{Score: float64(e.Created.UnixMilli()), Member: outqMember(e)})
			}
		}
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(zs) > 0 {
			// The cases of one list shard share their queue shard.
			p.ZAddNX(ctx, s.outqKey(shard), zs...)
		}
		if len(ended) > 0 {
			p.ZRem(ctx, list, ended...)
		}
		return nil
	})
	if err != nil {
		return s.unavailable("sweep outbox", err)
	}
	return nil
}

// DoneOutbox implements bot.CaseStore: the entry first, then its pointer
// (a pointer left alone is dropped by the next claim; an entry left alone
// would be sent again).
func (s *Store) DoneOutbox(ctx context.Context, e bot.OutboxEntry) error {
	if _, legacy := s.cases.legacyOut.LoadAndDelete(e.ID); legacy {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, s.legacyOutKey(), e.ID)
			p.ZRem(ctx, s.legacyOutqKey(), e.ID)
			return nil
		})
		if err != nil {
			return s.unavailable("outbox done", err)
		}
		return nil
	}
	if err := s.rdb.HDel(ctx, s.caseOutKey(e.Case), e.ID).Err(); err != nil {
		return s.unavailable("outbox done", err)
	}
	if err := s.rdb.ZRem(ctx, s.outqKey(caseShard(e.Case)), outqMember(e)).Err(); err != nil {
		return s.unavailable("outbox done", err)
	}
	return nil
}

// ReleaseOutbox implements bot.CaseStore: only an entry still queued (XX:
// one done meanwhile stays done).
func (s *Store) ReleaseOutbox(ctx context.Context, e bot.OutboxEntry, due time.Time) error {
	key, member := s.outqKey(caseShard(e.Case)), outqMember(e)
	if _, legacy := s.cases.legacyOut.Load(e.ID); legacy {
		key, member = s.legacyOutqKey(), e.ID
	}
	err := s.rdb.ZAddXX(ctx, key, redis.Z{Score: float64(due.UnixMilli()), Member: member}).Err()
	if err != nil {
		return s.unavailable("outbox release", err)
	}
	return nil
}
