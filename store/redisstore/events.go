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
// one hot key.
//
// An entry holds a group: the changes of one PublishAll call that fall in
// its stream, in order, as a JSON array in the field "g" (an XADD costs
// redis-server about 10 µs whatever it carries, so one per group instead
// of one per change). Entries of the versions before, one change each in
// the field "c", are still read (a rolling update); those versions skip
// grouped entries (a live update lost while both run, never data).
//
// A reader's position is a cursor: where it is in each stream, in stream
// order, joined by ".". A stream's part is the id of the last entry it has
// read whole ("1733024000000-0"), or that id and how far into the entry it
// has read, "1733024000000-0-2" meaning its changes 0 to 2 (a change that
// is not its entry's last gets such a cursor, so a reader that stops after
// it, as a browser may, resumes at the next one without a skip or a
// repeat). The console compares cursors part by part (console/live.go). A
// single stream id, as the feed gave before it was sharded (or "0-0"), is
// read as that id in every stream.
const (
	feedShards = 8
	// feedSize is about how many entries the streams keep together for
	// clients that reconnect (trimmed approximately, which is cheap): at
	// least that many changes.
	feedSize = 10000
	// feedGroup is the most changes one entry holds, so that an answer of
	// Changes (whole entries only) stays under 2×feedRead.
	feedGroup = 64
	// feedRead is about how many changes one Changes answer holds.
	feedRead = 100
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

// PublishAll appends changes to the feed (bot.BatchPublisher): one entry
// per stream they fall in (see above), in the next batch of the turns'
// commands (batcher.later: nothing waits for it).
func (s *Store) PublishAll(ctx context.Context, cs []bot.Change) error {
	var byShard [feedShards][]bot.Change
	for _, c := range cs {
		i := feedShard(c.Conversation)
		byShard[i] = append(byShard[i], c)
	}
	type entry struct {
		shard int
		val   []byte
	}
	var entries []entry
	for i, group := range byShard {
		for part := range slices.Chunk(group, feedGroup) {
			b, err := json.Marshal(part)
			if err != nil {
				return fmt.Errorf("redisstore: encode changes: %w", err)
			}
			entries = append(entries, entry{i, b})
		}
	}
	cmds := make([]*redis.StringCmd, len(entries))
	err := s.batch.later(ctx, func(p redis.Pipeliner) {
		for i, e := range entries {
			cmds[i] = p.XAdd(ctx, &redis.XAddArgs{
				Stream: s.feedKey(e.shard), MaxLen: feedSize / feedShards, Approx: true, Values: []any{"g", e.val},
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
		return unavailable("publish changes", err)
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

// feedPos is a reader's position in one stream: after the entry id, or,
// with read > 0, after the first read changes of that entry.
type feedPos struct {
	id   string // a stream id, "ms-seq"
	read int
}

func (p feedPos) String() string {
	if p.read > 0 {
		return p.id + "-" + strconv.Itoa(p.read-1)
	}
	return p.id
}

// parseCursor reads a cursor, or a single stream id meaning that id in
// every stream.
func parseCursor(s string) ([]feedPos, error) {
	parts := strings.Split(s, ".")
	if len(parts) == 1 {
		parts = slices.Repeat(parts, feedShards)
	}
	if len(parts) != feedShards {
		return nil, fmt.Errorf("redisstore: a feed cursor of %d streams, want %d", len(parts), feedShards)
	}
	pos := make([]feedPos, len(parts))
	for i, p := range parts {
		var ok bool
		if pos[i], ok = parsePos(p); !ok {
			return nil, fmt.Errorf("redisstore: bad feed cursor %q", s)
		}
	}
	return pos, nil
}

// parsePos reads "ms-seq" or "ms-seq-k".
func parsePos(s string) (feedPos, bool) {
	ms, rest, _ := strings.Cut(s, "-")
	seq, k, partial := strings.Cut(rest, "-")
	id := ms + "-" + seq
	if _, _, ok := streamID(id); !ok {
		return feedPos{}, false
	}
	if !partial {
		return feedPos{id: id}, true
	}
	n, err := strconv.ParseUint(k, 10, 16)
	if err != nil || n >= feedGroup {
		return feedPos{}, false
	}
	return feedPos{id: id, read: int(n) + 1}, true
}

func streamID(s string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	m, err1 := strconv.ParseUint(a, 10, 64)
	q, err2 := strconv.ParseUint(b, 10, 64)
	return m, q, found && err1 == nil && err2 == nil
}

// Changes returns the changes after the cursor after, oldest first (by
// stream id; a conversation's always in order), each with the cursor that
// includes it as its ID: whole entries, about 100 changes (at least one
// entry, at most 2×feedRead−1 changes). With wait > 0 and none yet, it
// waits that long for one.
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
// trip, and merges what it finds. It takes at most feedRead entries: each
// stream gave that many, so the first feedRead of the merge miss none that
// a stream held back.
func (s *Store) readChanges(ctx context.Context, cur []feedPos) ([]bot.Change, error) {
	cmds := make([]*redis.XMessageSliceCmd, feedShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, pos := range cur {
			start := "(" + pos.id
			if pos.read > 0 {
				start = pos.id // the entry read in part, again
			}
			cmds[i] = p.XRangeN(ctx, s.feedKey(i), start, "+", feedRead)
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
	for i, f := range all {
		if i == feedRead || len(out) >= feedRead {
			break
		}
		group := decodeChanges(f.msg.Values) // nil when not ours: skipped rather than stop the feed
		skip := 0
		if p := pos[f.shard]; p.read > 0 && p.id == f.msg.ID {
			skip = min(p.read, len(group)) // the rest of an entry read in part
		}
		for k := skip; k < len(group); k++ {
			pos[f.shard] = feedPos{id: f.msg.ID, read: k + 1}
			if k == len(group)-1 {
				pos[f.shard].read = 0 // the whole entry
			}
			c := group[k]
			c.ID = joinCursor(pos)
			out = append(out, c)
		}
		pos[f.shard] = feedPos{id: f.msg.ID}
	}
	return out, nil
}

// decodeChanges reads an entry's changes: a group ("g"), or one change ("c")
// as the versions before grouping wrote.
func decodeChanges(vals map[string]any) []bot.Change {
	if raw, ok := vals["g"].(string); ok {
		var group []bot.Change
		if json.Unmarshal([]byte(raw), &group) != nil {
			return nil
		}
		return group
	}
	raw, _ := vals["c"].(string)
	var c bot.Change
	if json.Unmarshal([]byte(raw), &c) != nil {
		return nil
	}
	return []bot.Change{c}
}

func joinCursor(pos []feedPos) string {
	var b strings.Builder
	for i, p := range pos {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.String())
	}
	return b.String()
}
