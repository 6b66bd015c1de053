package redisstore_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
)

// changes makes n changes over users conversations, each conversation's
// in a known order (Kind carries the sequence number within it).
func changes(n, users int, prefix string) []bot.Change {
	cs := make([]bot.Change, n)
	for i := range cs {
		cs[i] = bot.Change{
			Conversation: bot.ConversationOf(bot.LINE, fmt.Sprint(prefix, i%users)),
			Kind:         bot.ChangeKind(fmt.Sprint(i / users)),
			Time:         time.Unix(1733024000, 0).UTC(),
		}
	}
	return cs
}

// readAll pages through the feed from cursor from until it has nothing
// more, checking each answer's size on the way.
func readAll(t *testing.T, s *redisstore.Store, from string) []bot.Change {
	t.Helper()
	var all []bot.Change
	for range 1000 {
		cs, err := s.Changes(t.Context(), from, 0)
		if err != nil {
			t.Fatalf("Changes(%q): %v", from, err)
		}
		if len(cs) == 0 {
			return all
		}
		if len(cs) > 2*redisstore.FeedRead-1 {
			t.Fatalf("one answer of %d changes", len(cs))
		}
		all = append(all, cs...)
		from = cs[len(cs)-1].ID
	}
	t.Fatal("the feed never ends")
	return nil
}

// sameChanges reports whether got is want in an order that keeps each
// conversation's changes in order (other conversations' may interleave
// differently: the feed orders streams by id, not by publishing).
func sameChanges(got, want []bot.Change) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d changes, want %d", len(got), len(want))
	}
	per := func(cs []bot.Change) map[bot.ConversationID][]bot.ChangeKind {
		m := map[bot.ConversationID][]bot.ChangeKind{}
		for _, c := range cs {
			m[c.Conversation] = append(m[c.Conversation], c.Kind)
		}
		return m
	}
	g, w := per(got), per(want)
	for id, kinds := range w {
		if !slices.Equal(g[id], kinds) {
			return fmt.Errorf("%s: got %v, want %v", id, g[id], kinds)
		}
	}
	return nil
}

// A batch of changes is one stream entry per stream it touches, not one per
// change; a reader gets every change once, each conversation's in order.
func TestFeedGroupsABatchPerStream(t *testing.T) {
	s := mustNew(t, redisstore.Options{URL: redistest.Start(t).URL()})
	ctx := t.Context()
	first, err := s.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := changes(40, 12, "U")
	if err := s.PublishAll(ctx, cs); err != nil {
		t.Fatal(err)
	}
	streams := map[string]bool{}
	for _, c := range cs {
		streams[s.FeedKey(c.Conversation)] = true
	}
	var entries int64
	for _, k := range s.FeedKeys() {
		entries += s.Client().XLen(ctx, k).Val()
	}
	if entries != int64(len(streams)) {
		t.Errorf("%d stream entries for a batch over %d streams", entries, len(streams))
	}
	got := readAll(t, s, first)
	if err := sameChanges(got, cs); err != nil {
		t.Error(err)
	}
	if last, _ := s.LastChange(ctx); last != got[len(got)-1].ID {
		t.Errorf("LastChange = %q, the last change's cursor %q", last, got[len(got)-1].ID)
	}
}

// Every change's cursor resumes exactly after it: from any of them a reader
// gets the rest, none skipped, none repeated — inside a group too (a
// browser may stop after any event of an answer), across groups larger
// than one entry holds and across answers.
func TestFeedResumesAtEveryCursor(t *testing.T) {
	s := mustNew(t, redisstore.Options{URL: redistest.Start(t).URL()})
	ctx := t.Context()
	// One conversation with more changes than an entry holds, others
	// sharing streams with it, and more changes in all than one answer.
	var cs []bot.Change
	for i := range redisstore.FeedGroup + 10 {
		cs = append(cs, bot.Change{Conversation: bot.ConversationOf(bot.LINE, "Ubusy"), Kind: bot.ChangeKind(fmt.Sprint(i))})
	}
	cs = append(cs, changes(90, 20, "U")...)
	if err := s.PublishAll(ctx, cs[:100]); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, cs[100]); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishAll(ctx, cs[101:]); err != nil {
		t.Fatal(err)
	}
	all := readAll(t, s, "0-0")
	if err := sameChanges(all, cs); err != nil {
		t.Fatal(err)
	}
	inside := 0 // cursors inside a group: "ms-seq-k" in some stream
	for _, c := range all {
		for part := range strings.SplitSeq(c.ID, ".") {
			if strings.Count(part, "-") == 2 {
				inside++
				break
			}
		}
	}
	if inside < len(all)/2 {
		t.Fatalf("only %d of %d cursors are inside a group: the batches were not grouped", inside, len(all))
	}
	for i, c := range all {
		rest := readAll(t, s, c.ID)
		if !slices.EqualFunc(rest, all[i+1:], func(a, b bot.Change) bool {
			return a.ID == b.ID && a.Conversation == b.Conversation && a.Kind == b.Kind
		}) {
			t.Fatalf("after change %d (%s): %d changes, want the %d after it", i, c.ID, len(rest), len(all)-i-1)
		}
	}
}

// Entries of the versions before grouping (one change each, field "c")
// are read beside grouped ones, in stream order: a rolling update.
func TestFeedReadsSingleChangeEntries(t *testing.T) {
	s := mustNew(t, redisstore.Options{URL: redistest.Start(t).URL()})
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Umixed")
	old := func(kind string) {
		t.Helper()
		b, _ := json.Marshal(bot.Change{Conversation: id, Kind: bot.ChangeKind(kind)})
		if err := s.Client().XAdd(ctx, &redis.XAddArgs{Stream: s.FeedKey(id), Values: []any{"c", b}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	old("0")
	if err := s.PublishAll(ctx, []bot.Change{{Conversation: id, Kind: "1"}, {Conversation: id, Kind: "2"}}); err != nil {
		t.Fatal(err)
	}
	old("3")
	// Not ours: skipped, the feed goes on.
	if err := s.Client().XAdd(ctx, &redis.XAddArgs{Stream: s.FeedKey(id), Values: []any{"g", "not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, bot.Change{Conversation: id, Kind: "4"}); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s, "0-0")
	var kinds []bot.ChangeKind
	for _, c := range got {
		kinds = append(kinds, c.Kind)
	}
	if !slices.Equal(kinds, []bot.ChangeKind{"0", "1", "2", "3", "4"}) {
		t.Errorf("got %v, want 0 to 4 in order", kinds)
	}
	for i := range got[:len(got)-1] {
		if rest := readAll(t, s, got[i].ID); len(rest) != len(got)-i-1 || rest[0].Kind != got[i+1].Kind {
			t.Errorf("after %s: %+v", got[i].ID, rest)
		}
	}
}

func TestFeedRefusesBadCursors(t *testing.T) {
	s := mustNew(t, redisstore.Options{URL: redistest.Start(t).URL()})
	for _, bad := range []string{"", "x", "1-0-x", "1-0-1-2", "1-0-99999", "1--0", "1-0.2-0"} {
		if _, err := s.Changes(t.Context(), bad, 0); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
