package bot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"example.com/sswbot/bot"
)

// committing is a Store whose commits all succeed and keep nothing: what
// Notifying wraps, reduced to what it calls.
type committing struct{ bot.Store }

func (committing) Commit(context.Context, bot.ConversationID, bot.Snapshot, bot.Commit) error {
	return nil
}
func (committing) Close() error { return nil }

// gate is a BatchPublisher that holds its first batch until released, so
// the test knows what is queued when the next one is taken.
type gate struct {
	first   chan struct{} // closed when the first batch arrived
	release chan struct{}
	mu      sync.Mutex
	batches [][]bot.Change
}

func (g *gate) Publish(ctx context.Context, c bot.Change) error {
	return g.PublishAll(ctx, []bot.Change{c})
}

func (g *gate) PublishAll(_ context.Context, cs []bot.Change) error {
	g.mu.Lock()
	g.batches = append(g.batches, append([]bot.Change(nil), cs...))
	n := len(g.batches)
	g.mu.Unlock()
	if n == 1 {
		close(g.first)
		<-g.release
	}
	return nil
}

// The publisher sends what waited while it was busy as batches as large
// as it takes (the Redis feed then writes one entry per stream, not per
// change), every change once and in order.
func TestNotifyingGathersChangesIntoBatches(t *testing.T) {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	st := bot.Notifying(committing{}, g, nil)
	ctx := t.Context()
	commit := func(i int) {
		t.Helper()
		id := bot.ConversationOf(bot.LINE, fmt.Sprint("U", i%7))
		if err := st.Commit(ctx, id, bot.Snapshot{}, bot.Commit{EventID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	commit(0)
	<-g.first
	const more = 300 // more than one batch takes
	for i := 1; i <= more; i++ {
		commit(i)
	}
	close(g.release)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	n := 0
	for _, b := range g.batches {
		sizes = append(sizes, len(b))
		for _, c := range b {
			if want := bot.ConversationOf(bot.LINE, fmt.Sprint("U", n%7)); c.Conversation != want || c.Kind != bot.ChangeTurn {
				t.Fatalf("change %d = %+v, want a turn of %s", n, c, want)
			}
			n++
		}
	}
	if n != more+1 || len(sizes) != 3 || sizes[0] != 1 || sizes[1] != 256 {
		t.Errorf("batches of %v changes; want 1, then 256 (the most one takes), then the other %d", sizes, more-256)
	}
}
