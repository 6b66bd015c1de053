package bot_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
)

// BenchmarkMemoryPerConversation walks 2,000 Telegram users through a
// conversation of 10 events each (start, role, location, route, steps,
// help), every answer delivered, and reports the Go heap the in-memory
// store holds per conversation (measured, after GC) and the store's own
// estimate (what SSWBOT_MEMORY_MAX_BYTES is compared with). The dedupe
// records (the replies of the last 48 h) are most of it.
func BenchmarkMemoryPerConversation(b *testing.B) {
	const users = 2000
	kb := mustKB(b)
	presses := []string{"r:worker", "w:kg", "rt:direct", "n", "n", "n", bot.PayloadHelp, "n"}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := memstore.New(memstore.Options{})
		svc, err := bot.New(st, kb, bot.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for u := range users {
			user := fmt.Sprint(u)
			evs := []bot.Event{{Platform: bot.Telegram, UserID: user, EventID: user + "-s", Kind: bot.KindStart, Lang: "ru"}}
			for i, p := range presses {
				evs = append(evs, bot.Event{Platform: bot.Telegram, UserID: user, EventID: fmt.Sprintf("%s-%d", user, i), Kind: bot.KindChoice, Text: p})
			}
			evs = append(evs, bot.Event{Platform: bot.Telegram, UserID: user, EventID: user + "-t", Kind: bot.KindText, Text: "когда можно подать на визу?"})
			for _, ev := range evs {
				if _, err := svc.Handle(ctx, ev); err != nil {
					b.Fatal(err)
				}
				if err := svc.MarkDelivered(ctx, ev.Conversation(), ev.EventID); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/users, "heap-B/conv")
		b.ReportMetric(float64(st.Stats().Bytes)/users, "estimate-B/conv")
		runtime.KeepAlive(st)
	}
}
