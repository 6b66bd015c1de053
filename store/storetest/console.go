package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// ConsoleStore is what the console keeps in the store besides the
// conversations: the change feed and the staff annotations.
type ConsoleStore interface {
	Store
	Publish(ctx context.Context, c bot.Change) error
	LastChange(ctx context.Context) (string, error)
	Changes(ctx context.Context, after string, wait time.Duration) ([]bot.Change, error)
	Annotations(ctx context.Context, ids ...bot.ConversationID) ([][]byte, error)
	Annotate(ctx context.Context, id bot.ConversationID, update func(old []byte) ([]byte, error)) error
	LastEntries(ctx context.Context, ids ...bot.ConversationID) ([]bot.Entry, error)
}

// RunConsole runs the console part of the suite (feed and annotations).
func RunConsole(t *testing.T, newStore func(t *testing.T) ConsoleStore) {
	t.Run("changes come back in order after the last id seen", func(t *testing.T) { testFeedOrder(t, newStore(t)) })
	t.Run("a waiting reader wakes up for a change", func(t *testing.T) { testFeedWait(t, newStore(t)) })
	t.Run("a reader without changes waits and returns none", func(t *testing.T) { testFeedTimeout(t, newStore(t)) })
	t.Run("annotations round-trip and Forget erases them", func(t *testing.T) { testAnnotations(t, newStore(t)) })
	t.Run("the last entry of each conversation is its newest", func(t *testing.T) { testLastEntries(t, newStore(t)) })
	t.Run("concurrent annotations lose no update", func(t *testing.T) { testAnnotateConcurrently(t, newStore(t)) })
}

func testFeedOrder(t *testing.T, s ConsoleStore) {
	ctx := t.Context()
	first, err := s.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Changes of one conversation come in order; of different ones, a
	// sharded feed may swap those published in the same millisecond.
	kinds := []bot.ChangeKind{bot.ChangeTurn, bot.ChangeStaff, bot.ChangeAnnotate}
	one := bot.ConversationOf(bot.LINE, "Uone")
	for i := range 5 {
		c := bot.Change{Conversation: bot.ConversationOf(bot.LINE, fmt.Sprint("U", i)), Kind: bot.ChangeTurn}
		if i%2 == 0 {
			c = bot.Change{Conversation: one, Kind: kinds[i/2]}
		}
		if err := s.Publish(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Changes(ctx, first, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d changes, want 5", len(got))
	}
	var ofOne []bot.ChangeKind
	others := map[bot.ConversationID]bool{}
	for i, c := range got {
		if c.ID == "" {
			t.Errorf("change %d = %+v has no id", i, c)
		}
		if c.Conversation == one {
			ofOne = append(ofOne, c.Kind)
		} else {
			others[c.Conversation] = c.Kind == bot.ChangeTurn
		}
	}
	if !slices.Equal(ofOne, kinds) || len(others) != 2 || !others[bot.ConversationOf(bot.LINE, "U1")] || !others[bot.ConversationOf(bot.LINE, "U3")] {
		t.Errorf("got %+v; want U1 and U3 once, Uone's three changes in the order published", got)
	}
	rest, err := s.Changes(ctx, got[2].ID, 0)
	if err != nil || len(rest) != 2 || rest[0].ID != got[3].ID {
		t.Errorf("after the third: %+v, %v; want the last two", rest, err)
	}
	if last, _ := s.LastChange(ctx); last != got[4].ID {
		t.Errorf("LastChange = %q, want %q", last, got[4].ID)
	}
}

func testFeedWait(t *testing.T, s ConsoleStore) {
	ctx := t.Context()
	last, _ := s.LastChange(ctx)
	done := make(chan []bot.Change)
	go func() {
		cs, _ := s.Changes(ctx, last, 10*time.Second)
		done <- cs
	}()
	time.Sleep(50 * time.Millisecond)
	id := bot.ConversationOf(bot.Telegram, "42")
	if err := s.Publish(ctx, bot.Change{Conversation: id, Kind: bot.ChangeStaff}); err != nil {
		t.Fatal(err)
	}
	if cs := <-done; len(cs) != 1 || cs[0].Conversation != id {
		t.Errorf("the waiting reader got %+v", cs)
	}
}

func testFeedTimeout(t *testing.T, s ConsoleStore) {
	last, _ := s.LastChange(t.Context())
	cs, err := s.Changes(t.Context(), last, 100*time.Millisecond)
	if err != nil || len(cs) != 0 {
		t.Errorf("got %+v, %v; want nothing", cs, err)
	}
}

func testAnnotations(t *testing.T, s ConsoleStore) {
	ctx := t.Context()
	id, other := bot.ConversationOf(bot.LINE, "Unotes"), bot.ConversationOf(bot.LINE, "Unone")
	set := func(b string) func([]byte) ([]byte, error) {
		return func([]byte) ([]byte, error) { return []byte(b), nil }
	}
	if err := s.Annotate(ctx, id, set("x")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("annotating an unknown conversation: %v, want ErrNotFound", err)
	}
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1")))
	if err := s.Annotate(ctx, id, set("note 1")); err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := s.Annotate(ctx, id, func(old []byte) ([]byte, error) { seen = string(old); return []byte("note 2"), nil }); err != nil {
		t.Fatal(err)
	}
	if seen != "note 1" {
		t.Errorf("update saw %q, want the stored value", seen)
	}
	boom := errors.New("refused")
	if err := s.Annotate(ctx, id, func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("a failing update returned %v", err)
	}
	got, err := s.Annotations(ctx, id, other)
	if err != nil || len(got) != 2 || string(got[0]) != "note 2" || got[1] != nil {
		t.Fatalf("Annotations = %q, %v; want [note 2, nil]", got, err)
	}
	if err := s.Forget(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Annotations(ctx, id); got[0] != nil {
		t.Errorf("after Forget the annotations are %q", got[0])
	}
	if err := s.Annotate(ctx, id, set("late")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("annotating a forgotten conversation: %v, want ErrNotFound", err)
	}
}

func testAnnotateConcurrently(t *testing.T, s ConsoleStore) {
	ctx := t.Context()
	id := bot.ConversationOf(bot.Telegram, "busy")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1")))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Annotate(ctx, id, func(old []byte) ([]byte, error) { return append(old, 'x'), nil })
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.Annotations(ctx, id); len(got[0]) != 20 {
		t.Errorf("%d of 20 updates kept", len(got[0]))
	}
}

func testLastEntries(t *testing.T, s ConsoleStore) {
	id, none := bot.ConversationOf(bot.LINE, "Ulast"), bot.ConversationOf(bot.LINE, "Unone")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1"), entry("2", "ev1")))
	got, err := s.LastEntries(t.Context(), none, id)
	if err != nil || len(got) != 2 || got[0].Text != "" || got[1].Text != "2" {
		t.Errorf("LastEntries = %+v, %v; want nothing and entry 2", got, err)
	}
}
