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

// feedSize is about how many changes the stream keeps for clients that
// reconnect (trimmed approximately, which is cheap).
const feedSize = 10000

func (s *Store) feedKey() string { return s.opt.Prefix + "changes" }

// Publish appends a change to a Redis stream (bot.Publisher), so every
// process on this Redis sees it, in one order, and a client that
// reconnects can catch up from the id it saw last.
func (s *Store) Publish(ctx context.Context, c bot.Change) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode change: %w", err)
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.feedKey(), MaxLen: feedSize, Approx: true, Values: []any{"c", b},
	}).Err()
	if err != nil {
		return unavailable("publish change", err)
	}
	return nil
}

// LastChange returns the id of the newest change, "0-0" when there is none.
func (s *Store) LastChange(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.feedKey(), "+", "-", 1).Result()
	if err != nil {
		return "", unavailable("last change", err)
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

// Changes returns up to 100 changes published after the id after, oldest
// first. With wait > 0 and none yet, it waits that long for one (one
// blocked connection per caller: callers share one reader per process).
func (s *Store) Changes(ctx context.Context, after string, wait time.Duration) ([]bot.Change, error) {
	block := time.Duration(-1) // no BLOCK argument
	if wait > 0 {
		block = max(wait, time.Millisecond)
	}
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{s.feedKey(), after}, Count: 100, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable("read changes", err)
	}
	var out []bot.Change
	for _, st := range res {
		for _, m := range st.Messages {
			var c bot.Change
			raw, _ := m.Values["c"].(string)
			if err := json.Unmarshal([]byte(raw), &c); err != nil {
				continue // not ours: skip rather than stop the feed
			}
			c.ID = m.ID
			out = append(out, c)
		}
	}
	return out, nil
}
