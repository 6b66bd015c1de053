package redisstore

import (
	"context"
	"hash/fnv"
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
func (s *Store) indexKey(id bot.ConversationID) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return s.opt.Prefix + "idx:{" + strconv.Itoa(int(h.Sum32()%indexShards)) + "}"
}

// indexKeys are every shard, then the unsharded index of earlier versions
// (read until its members expire).
func (s *Store) indexKeys() []string {
	keys := make([]string, 0, indexShards+1)
	for i := range indexShards {
		keys = append(keys, s.opt.Prefix+"idx:{"+strconv.Itoa(i)+"}")
	}
	return append(keys, s.index)
}

// funnelKey is the HyperLogLog of the conversations that reached stage on
// day. The hash tag holds everything but the day, so the days of one
// counter share a slot (one PFCOUNT unions them) while different counters
// spread over the cluster.
func (s *Store) funnelKey(k bot.FunnelKey, day string) string {
	return s.opt.Prefix + "fun:{" + string(k.Platform) + "|" + k.Lang + "|" + k.Stage + "}:" + day
}

// count queues the funnel updates of c: PFADD is idempotent, so a commit
// retried after a conflict does not count twice, and a HyperLogLog keeps no
// ids (nothing to erase on Forget) in a few bytes per member while small.
func (s *Store) count(ctx context.Context, p redis.Pipeliner, id bot.ConversationID, c bot.Commit) {
	if len(c.Stages) == 0 {
		return
	}
	day := c.Now.UTC().Format(time.DateOnly)
	for _, st := range c.Stages {
		for _, lang := range []string{c.Meta.Lang, bot.AllLangs} {
			key := s.funnelKey(bot.FunnelKey{Platform: c.Meta.Platform, Lang: lang, Stage: st}, day)
			p.PFAdd(ctx, key, string(id))
			// Kept as long as transcripts, from the day's end.
			p.PExpire(ctx, key, s.opt.TranscriptRetention+24*time.Hour)
		}
	}
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
