package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

var _ bot.FunnelReader = (*Store)(nil)

// indexShards spreads the console index over this many sorted sets, each
// in its own Cluster slot, so every commit's index update does not land on
// one hot key (one node). List reads them all in one pipeline.
const indexShards = 16

// indexKey is the index shard holding id.
func (s *Store) indexKey(id bot.ConversationID) string { return s.shardKey(shardOf(id)) }

func (s *Store) shardKey(shard int) string { return s.opt.Prefix + "idx:{" + strconv.Itoa(shard) + "}" }

// shardOf is the index shard of id.
func shardOf(id bot.ConversationID) int { return int(fnv32(id) % indexShards) }

// fnv32 is FNV-1a of s without the allocations of hash/fnv: what picks
// the shard of every sharded key (index, change feed, case list, outbox
// queue), so a conversation or a case always lands in the same one.
func fnv32[T ~string](s T) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// indexKeys are every shard, then the unsharded index of earlier versions
// (read until its members expire).
func (s *Store) indexKeys() []string {
	keys := make([]string, 0, indexShards+1)
	for i := range indexShards {
		keys = append(keys, s.shardKey(i))
	}
	return append(keys, s.index)
}

// pruneEvery is how often this process prunes one index shard of the
// members whose meta has surely expired: List skips them anyway, so pruning
// at every commit (as before) was work redis-server did for nothing.
const pruneEvery = time.Minute

// indexAt queues the index update of a new conversation's first commit at
// now (later commits' are merged, see side.go): the member's score is its
// last activity, within sideRefresh. GT: a commit that lost its race must not move the entry
// back. The index is derived: stale members are filtered on List and
// pruned with an update, at most once per pruneEvery and shard (pruneCmd).
func (s *Store) indexAt(ctx context.Context, p redis.Pipeliner, id bot.ConversationID, now time.Time) {
	shard := shardOf(id)
	p.ZAddGT(ctx, s.shardKey(shard), redis.Z{Score: float64(now.UnixMilli()), Member: string(id)})
	if c := s.pruneCmd(ctx, shard, now); c != nil {
		_ = p.Process(ctx, c)
	}
}

// funnelKey is the HyperLogLog of the conversations that reached stage on
// day. The hash tag holds everything but the day, so the days of one
// counter share a slot (one PFCOUNT unions them) while different counters
// spread over the cluster.
func (s *Store) funnelKey(k bot.FunnelKey, day string) string {
	return s.opt.Prefix + "fun:{" + string(k.Platform) + "|" + k.Lang + "|" + k.Stage + "}:" + day
}

// expiryAgain is how long this process trusts a funnel counter's expiry to
// be set.
//
// The funnel updates of a commit (sideWrites.funnel) are PFADDs: PFADD is
// idempotent, so a commit retried after a conflict does not count twice,
// and a HyperLogLog keeps no ids (nothing to erase on Forget) in a few
// bytes per member while small. A counter is kept as long as transcripts,
// plus a day. There are only days × platforms × languages × stages
// counters, so this process sets a counter's expiry once per expiryAgain
// (sideWrites.flush) rather than with every PFADD (a few minutes off over
// 180 days change nothing); setting it again now and then covers a counter
// that was lost and made anew (a failover that lost the first write).
const expiryAgain = 10 * time.Minute

// forgetExpiries drops what sideWrites.flush remembers of counters whose expiry was
// set more than expiryAgain ago, at most once per expiryAgain, so the memo
// holds about one day's counters.
func (s *Store) forgetExpiries(now int64) {
	last := s.expiriesSwept.Load()
	if now-last < expiryAgain.Milliseconds() || !s.expiriesSwept.CompareAndSwap(last, now) {
		return
	}
	s.expiring.Range(func(k, v any) bool {
		if now-v.(int64) >= expiryAgain.Milliseconds() {
			s.expiring.Delete(k)
		}
		return true
	})
}

// Funnel implements bot.FunnelReader: one PFCOUNT over the days per
// platform × language × stage, in pipelines.
func (s *Store) Funnel(ctx context.Context, q bot.FunnelQuery) (map[bot.FunnelKey]int, error) {
	var ks []bot.FunnelKey
	for _, p := range q.Platforms {
		for _, l := range q.Langs {
			for _, st := range q.Stages {
				ks = append(ks, bot.FunnelKey{Platform: p, Lang: l, Stage: st})
			}
		}
	}
	out := map[bot.FunnelKey]int{}
	if len(q.Days) == 0 {
		return out, nil
	}
	s.side.flush(ctx, false) // this process reads its own commits
	cmds, err := s.each(ctx, len(ks), func(p redis.Pipeliner, i int) redis.Cmder {
		keys := make([]string, len(q.Days))
		for j, d := range q.Days {
			keys[j] = s.funnelKey(ks[i], d)
		}
		return p.PFCount(ctx, keys...)
	})
	if err != nil {
		return nil, s.unavailable("funnel", err)
	}
	for i, c := range cmds {
		if n := c.(*redis.IntCmd).Val(); n > 0 {
			out[ks[i]] = int(n)
		}
	}
	return out, nil
}
