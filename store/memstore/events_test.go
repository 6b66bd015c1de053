package memstore_test

import (
	"fmt"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
)

// The feed keeps its last 1000 changes in a ring: a reader gets them in
// order with their ids, 100 at a time, whether the ring has wrapped or not.
func TestTheFeedKeepsTheLastChangesInOrder(t *testing.T) {
	s := memstore.New(memstore.Options{})
	ctx := t.Context()
	publish := func(from, to int) {
		var batch []bot.Change
		for i := from; i <= to; i++ {
			c := bot.Change{Conversation: bot.ConversationOf(bot.LINE, fmt.Sprint(i)), Kind: bot.ChangeTurn}
			if i%2 == 0 {
				if err := s.Publish(ctx, c); err != nil {
					t.Fatal(err)
				}
				continue
			}
			batch = append(batch, c)
			if err := s.PublishAll(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	read := func(after string, wantFirst, wantN int) {
		t.Helper()
		got, err := s.Changes(ctx, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != wantN {
			t.Fatalf("after %s: %d changes, want %d", after, len(got), wantN)
		}
		for i, c := range got {
			n := wantFirst + i
			if c.ID != fmt.Sprintf("%d-0", n) || c.Conversation != bot.ConversationOf(bot.LINE, fmt.Sprint(n)) {
				t.Fatalf("after %s: change %d is %+v, want number %d", after, i, c, n)
			}
		}
	}
	read("0-0", 0, 0)
	publish(1, 5)
	read("0-0", 1, 5)
	read("3-0", 4, 2)
	read("5-0", 0, 0)
	publish(6, 2345)
	read("0-0", 1346, 100) // older changes have left the ring
	read("2300-0", 2301, 45)
	read("2345-0", 0, 0)
	if id, _ := s.LastChange(ctx); id != "2345-0" {
		t.Errorf("LastChange %s", id)
	}
}
