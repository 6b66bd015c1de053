package memstore_test

import (
	"context"
	"fmt"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
)

// A turn: load, commit on top of what was loaded, load again.
func Example() {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	id := bot.ConversationOf(bot.Telegram, "42")

	snap, _ := s.Load(ctx, id, "update-1")
	err := s.Commit(ctx, id, snap, bot.Commit{
		EventID: "update-1",
		Session: []byte(`{"state":"start"}`),
		Meta:    bot.Meta{Platform: bot.Telegram, Lang: "ky"},
		Entries: []bot.Entry{{Dir: bot.In, Text: "/start"}},
		Outcome: []byte(`[{"text":"Саламатсызбы!"}]`),
	})
	fmt.Println(err)

	// The same update again: already recorded, with the replies to resend.
	again, _ := s.Load(ctx, id, "update-1")
	fmt.Printf("%s %s\n", again.Session, again.Recorded.Outcome)
	fmt.Println(s.Commit(ctx, id, again, bot.Commit{EventID: "update-1"}))
	// Output:
	// <nil>
	// {"state":"start"} [{"text":"Саламатсызбы!"}]
	// event already committed
}
