package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/internal/listing"
)

// batch bounds the commands in one pipeline when List reads many keys.
const batch = 500

// List implements bot.Index. It reads every indexed meta and filters in Go:
// a few round trips and milliseconds for thousands of conversations, and
// the same rules as memstore (store/internal/listing).
func (s *Store) List(ctx context.Context, f bot.Filter) ([]bot.Meta, int, error) {
	s.side.flush(ctx, false) // this process reads its own commits
	cutoff := s.indexCutoff(time.Now())
	shards := s.indexKeys()
	ranges, err := s.each(ctx, len(shards), func(p redis.Pipeliner, i int) redis.Cmder {
		return p.ZRangeByScore(ctx, shards[i], &redis.ZRangeBy{Min: "(" + strconv.FormatInt(cutoff, 10), Max: "+inf"})
	})
	if err != nil {
		return nil, 0, s.unavailable("list", err)
	}
	var ids []string
	seen := map[string]bool{}
	for _, c := range ranges {
		for _, id := range c.(*redis.StringSliceCmd).Val() {
			if !seen[id] { // (in a shard and in the old unsharded index)
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	raws, err := s.each(ctx, len(ids), func(p redis.Pipeliner, i int) redis.Cmder {
		return p.Get(ctx, s.keys(bot.ConversationID(ids[i]), "").meta)
	})
	if err != nil {
		return nil, 0, s.unavailable("list", err)
	}
	var ms []bot.Meta
	for _, c := range raws {
		// Index members whose meta expired or was forgotten are skipped.
		raw, ok := value(c.(*redis.StringCmd))
		if !ok {
			continue
		}
		_, m, err := parseMeta(raw)
		if err != nil {
			return nil, 0, err
		}
		if m != nil && listing.Match(*m, f) {
			ms = append(ms, *m)
		}
	}
	if f.Query != "" {
		lists, err := s.each(ctx, len(ms), func(p redis.Pipeliner, i int) redis.Cmder {
			return p.LRange(ctx, s.keys(ms[i].ID, "").transcript, 0, -1)
		})
		if err != nil {
			return nil, 0, s.unavailable("list", err)
		}
		found := ms[:0]
		for i, c := range lists {
			es, err := decodeEntries(c.(*redis.StringSliceCmd).Val())
			if err != nil {
				return nil, 0, err
			}
			if listing.Contains(es, f.Query) {
				found = append(found, ms[i])
			}
		}
		ms = found
	}
	return listing.Page(ms, f), len(ms), nil
}

// each runs cmd for 0..n-1 in pipelines of at most batch commands and
// returns the executed commands in order. redis.Nil is not an error here.
func (s *Store) each(ctx context.Context, n int, cmd func(p redis.Pipeliner, i int) redis.Cmder) ([]redis.Cmder, error) {
	out := make([]redis.Cmder, 0, n)
	for start := 0; start < n; start += batch {
		p := s.rdb.Pipeline()
		for i := start; i < min(start+batch, n); i++ {
			out = append(out, cmd(p, i))
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	return out, nil
}

// Transcript implements bot.Index.
func (s *Store) Transcript(ctx context.Context, id bot.ConversationID) ([]bot.Entry, error) {
	k := s.keys(id, "")
	var list *redis.StringSliceCmd
	var meta *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		list = p.LRange(ctx, k.transcript, 0, -1)
		meta = p.Get(ctx, k.meta)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.unavailable("transcript", err)
	}
	if len(list.Val()) == 0 {
		raw, ok := value(meta)
		if _, m, _ := parseMeta(raw); !ok || m == nil {
			return nil, bot.ErrNotFound
		}
	}
	return decodeEntries(list.Val())
}

func decodeEntries(raws []string) ([]bot.Entry, error) {
	es := make([]bot.Entry, len(raws))
	for i, raw := range raws {
		e, err := decodeEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("redisstore: bad transcript entry: %w", err)
		}
		es[i] = e
	}
	return es, nil
}

// Meta implements bot.Index.
func (s *Store) Meta(ctx context.Context, id bot.ConversationID) (bot.Meta, error) {
	raw, err := s.rdb.Get(ctx, s.keys(id, "").meta).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return bot.Meta{}, bot.ErrNotFound
	case err != nil:
		return bot.Meta{}, s.unavailable("meta", err)
	}
	_, m, err := parseMeta(raw)
	switch {
	case err != nil:
		return bot.Meta{}, err
	case m == nil:
		return bot.Meta{}, bot.ErrNotFound
	}
	return *m, nil
}
