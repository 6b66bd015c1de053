package telegram

import (
	"context"
	"time"
)

// Internal helpers exposed to the external tests.
var (
	SplitText = splitText
)

// LimiterDelays reserves one slot per entry of chats, all at the instant
// now, and returns the waits the limiter asks for.
func LimiterDelays(perChat time.Duration, globalRate int, chats ...string) []time.Duration {
	now := time.Unix(1718000000, 0)
	l := newLimiter(perChat, globalRate, func() time.Time { return now })
	var out []time.Duration
	for _, c := range chats {
		out = append(out, l.reserve(c))
	}
	return out
}

// SetSleep replaces the adapter's waits (rate limits, backoffs) with f.
func SetSleep(a *Adapter, f func(ctx context.Context, d time.Duration) error) { a.sleep = f }
