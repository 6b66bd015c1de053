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
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

// The change feed is feedShards Redis streams, a conversation's changes
// always in the same one (its order kept), each stream its own hash slot:
// on a Cluster the feed's writes spread over the masters instead of making
// one hot key. A reader's position is a cursor: the id of the last change
// it has from each stream, in stream order, joined by "." (the console
// compares cursors component by component; see console/live.go). A single
// stream id, as the feed gave before it was sharded (or "0-0"), is read as
// that id in every stream.
const (
	feedShards = 8
	// feedSize is about how many changes the streams keep together for
	// clients that reconnect (trimmed approximately, which is cheap).
	feedSize = 10000
	// feedPoll is how often a waiting reader looks again: the streams live
	// in different slots, so no one blocking read can wait on them all.
	feedPoll = 100 * time.Millisecond
)

func (s *Store) feedKey(shard int) string {
	return s.opt.Prefix + "changes:{f" + strconv.Itoa(shard) + "}"
}

func feedShard(id bot.ConversationID) int { return int(fnv32(id) % feedShards) }

// Publish appends a change to the feed (bot.Publisher), so every process
// on this Redis sees it, and a client that reconnects can catch up from
// the cursor it saw last.
func (s *Store) Publish(ctx context.Context, c bot.Change) error {
	return s.PublishAll(ctx, []bot.Change{c})
}

// PublishAll appends changes to the feed (bot.BatchPublisher), in the next
// batch of the turns' commands (batcher.later: nothing waits for it).
func (s *Store) PublishAll(ctx context.Context, cs []bot.Change) error {
	vals := make([][]byte, len(cs))
	for i, c := range cs {
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("redisstore: encode change: %w", err)
		}
		vals[i] = b
	}
	cmds := make([]*redis.StringCmd, len(cs))
	err := s.batch.later(ctx, func(p redis.Pipeliner) {
		for i, c := range cs {
			cmds[i] = p.XAdd(ctx, &redis.XAddArgs{
				Stream: s.feedKey(feedShard(c.Conversation)), MaxLen: feedSize / feedShards, Approx: true, Values: []any{"c", vals[i]},
			})
		}
	})
	for _, c := range cmds {
		if err != nil {
			break
		}
		err = c.Err()
	}
	if err != nil {
		return unavailable("publish change", err)
	}
	return nil
}

// LastChange returns the cursor of the newest change.
func (s *Store) LastChange(ctx context.Context) (string, error) {
	cmds := make([]*redis.XMessageSliceCmd, feedShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.XRevRangeN(ctx, s.feedKey(i), "+", "-", 1)
		}
		return nil
	})
	if err != nil {
		return "", unavailable("last change", err)
	}
	cur := make([]string, feedShards)
	for i, c := range cmds {
		cur[i] = "0-0"
		if msgs := c.Val(); len(msgs) > 0 {
			cur[i] = msgs[0].ID
		}
	}
	return strings.Join(cur, "."), nil
}

// parseCursor reads a cursor, or a single stream id meaning that id in
// every stream.
func parseCursor(s string) ([]string, error) {
	parts := strings.Split(s, ".")
	if len(parts) == 1 {
		parts = slices.Repeat(parts, feedShards)
	}
	if len(parts) != feedShards {
		return nil, fmt.Errorf("redisstore: a feed cursor of %d streams, want %d", len(parts), feedShards)
	}
	for _, p := range parts {
		if _, _, ok := streamID(p); !ok {
			return nil, fmt.Errorf("redisstore: bad feed cursor %q", s)
		}
	}
	return parts, nil
}

func streamID(s string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	m, err1 := strconv.ParseUint(a, 10, 64)
	q, err2 := strconv.ParseUint(b, 10, 64)
	return m, q, found && err1 == nil && err2 == nil
}

// Changes returns up to 100 changes after the cursor after, oldest first
// (by stream id; a conversation's always in order), each with the cursor
// that includes it as its ID. With wait > 0 and none yet, it waits that
// long for one.
func (s *Store) Changes(ctx context.Context, after string, wait time.Duration) ([]bot.Change, error) {
	cur, err := parseCursor(after)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		out, err := s.readChanges(ctx, cur)
		if err != nil || len(out) > 0 || wait <= 0 {
			return out, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(min(left, feedPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// readChanges reads every stream after its position in cur, in one round
// trip, and merges what it finds.
func (s *Store) readChanges(ctx context.Context, cur []string) ([]bot.Change, error) {
	const most = 100
	cmds := make([]*redis.XMessageSliceCmd, feedShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.XRangeN(ctx, s.feedKey(i), "("+cur[i], "+", most)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable("read changes", err)
	}
	type found struct {
		shard   int
		ms, seq uint64
		msg     redis.XMessage
	}
	var all []found
	for i, c := range cmds {
		for _, m := range c.Val() {
			ms, seq, _ := streamID(m.ID)
			all = append(all, found{i, ms, seq, m})
		}
	}
	slices.SortFunc(all, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.seq, b.seq), cmp.Compare(a.shard, b.shard))
	})
	pos := slices.Clone(cur)
	var out []bot.Change
	for _, f := range all[:min(len(all), most)] {
		pos[f.shard] = f.msg.ID
		var c bot.Change
		raw, _ := f.msg.Values["c"].(string)
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			continue // not ours: skip rather than stop the feed
		}
		c.ID = strings.Join(pos, ".")
		out = append(out, c)
	}
	return out, nil
}
