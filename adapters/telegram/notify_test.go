package telegram_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
)

// TestNotifyAndPushHonourRetryAfter: a shared case's notification (the
// outbox) and a staff message (the console) that meet Telegram's 429 wait
// the parameters.retry_after it names and are then sent.
func TestNotifyAndPushHonourRetryAfter(t *testing.T) {
	const tooMany = `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`
	for name, send := range map[string]func(a *telegram.Adapter) error{
		"notification": func(a *telegram.Adapter) error {
			return a.Notify(context.Background(), "42", "ev1>telegram:42", []bot.Reply{{Text: "Your employer reports: A.4 done"}})
		},
		"staff message": func(a *telegram.Adapter) error {
			return a.Push(context.Background(), "42", "Hello, this is Aiko.")
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeTG(t)
			a := newAdapter(t, f, newFakeBot(), nil, nil)
			slept := recordSleeps(a)
			f.failNext("sendMessage", 429, tooMany)
			if err := send(a); err != nil {
				t.Fatalf("sent with an error: %v", err)
			}
			if got, want := f.methods(), []string{"sendMessage", "sendMessage"}; !reflect.DeepEqual(got, want) {
				t.Errorf("calls = %v, want %v", got, want)
			}
			if got := slept.waits(); len(got) == 0 || got[0] != 3*time.Second {
				t.Errorf("waits = %v, want retry_after (3s) first", got)
			}
		})
	}
}

// TestNotificationsKeepTheChatRate: notifications and staff messages to one
// chat go through the same limiter as replies: after a burst of three, one
// a second; another chat is not held up by it.
func TestNotificationsKeepTheChatRate(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, func(c *telegram.Config) {
		c.PerChatInterval, c.GlobalRate = time.Second, 30
	})
	var waits []time.Duration
	telegram.SetSleep(a, func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	})
	ctx := context.Background()
	for i := range 5 {
		if err := a.Notify(ctx, "42", "n"+string(rune('a'+i)), []bot.Reply{{Text: "note"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Push(ctx, "42", "staff"); err != nil {
		t.Fatal(err)
	}
	chatWaits := waits
	waits = nil
	if err := a.Notify(ctx, "77", "other", []bot.Reply{{Text: "note"}}); err != nil {
		t.Fatal(err)
	}
	if len(chatWaits) != 6 {
		t.Fatalf("waits %v; want one per message", chatWaits)
	}
	for i, d := range chatWaits {
		want := time.Duration(max(0, i-2)) * time.Second // burst of 3, then 1/s queued
		if d > want || d < want-200*time.Millisecond {
			t.Errorf("message %d waited %v; want about %v", i+1, d, want)
		}
	}
	if len(waits) != 1 || waits[0] > 0 {
		t.Errorf("another chat waited %v; want nothing", waits)
	}
}
