package telegram

import (
	"context"
	"sync"
	"time"
)

// limiter keeps sending within Telegram's flood limits: about one message
// per second per chat (a short burst is tolerated) and about 30 per second
// overall. Both are token buckets; a caller reserves a slot in each and
// sleeps until the later one.
type limiter struct {
	mu         sync.Mutex
	now        func() time.Time
	global     bucket
	globalRate float64
	perChat    time.Duration
	chats      map[string]*bucket
	pauseEnd   time.Time // set by a 429: nobody sends before it
}

const chatBurst = 3

type bucket struct {
	tokens float64
	last   time.Time
}

// reserve takes one token from b, refilled at rate per second up to burst,
// and returns how long the caller must wait for it. Tokens may go negative:
// that is the queue of earlier reservations.
func (b *bucket) reserve(now time.Time, rate, burst float64) time.Duration {
	if b.last.IsZero() {
		b.tokens = burst
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*rate)
	}
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

func newLimiter(perChat time.Duration, globalRate int, now func() time.Time) *limiter {
	return &limiter{now: now, perChat: perChat, chats: map[string]*bucket{}, globalRate: float64(globalRate)}
}

// reserve books the next slot for chat and returns how long until it.
func (l *limiter) reserve(chat string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	d := l.global.reserve(now, l.globalRate, l.globalRate)
	b := l.chats[chat]
	if b == nil {
		if len(l.chats) > 10000 {
			l.sweep(now)
		}
		b = &bucket{}
		l.chats[chat] = b
	}
	chatRate := float64(time.Second) / float64(l.perChat)
	return max(d, b.reserve(now, chatRate, chatBurst), l.pauseEnd.Sub(now))
}

// pause holds every sender for d, after Telegram answered 429.
func (l *limiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if end := l.now().Add(d); end.After(l.pauseEnd) {
		l.pauseEnd = end
	}
}

// sweep forgets chats whose bucket has refilled, so the map stays small.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(chatBurst) * l.perChat
	for k, b := range l.chats {
		if now.Sub(b.last) > full {
			delete(l.chats, k)
		}
	}
}

// sleepCtx waits d or until ctx ends; it is the default Adapter.sleep.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
