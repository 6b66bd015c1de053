package memstore_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/storetest"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, o storetest.Options) (storetest.Store, func(time.Duration)) {
		c := &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
		s := memstore.New(memstore.Options{
			SessionTTL: o.SessionTTL, TranscriptRetention: o.TranscriptRetention, DedupeTTL: o.DedupeTTL, LeaseTTL: o.LeaseTTL, Now: c.Now,
		})
		return s, c.Advance
	})
}

func TestDefaultsKeepASessionFor30Days(t *testing.T) {
	c := &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.Options{Now: c.Now})
	id := bot.ConversationOf(bot.LINE, "U1")
	if err := storetest.Handle(t.Context(), s, id, "ev1"); err != nil {
		t.Fatal(err)
	}
	c.Advance(30*24*time.Hour - time.Minute)
	snap, _ := s.Load(t.Context(), id, "ev1")
	if snap.Session == nil {
		t.Error("session gone before 30 days")
	}
	if snap.Recorded != nil {
		t.Error("dedupe record kept past 48 hours")
	}
	c.Advance(2 * time.Minute)
	if snap, _ := s.Load(t.Context(), id, ""); snap.Session != nil || snap.Meta == nil {
		t.Errorf("after 30 days: session %q meta %v; want expired session, kept meta", snap.Session, snap.Meta)
	}
	c.Advance(150 * 24 * time.Hour)
	if _, err := s.Meta(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Meta after 180 days: %v, want ErrNotFound", err)
	}
}

func BenchmarkCommit(b *testing.B) {
	for _, convs := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("conversations=%d", convs), func(b *testing.B) {
			s := memstore.New(memstore.Options{})
			ids := make([]bot.ConversationID, convs)
			for i := range ids {
				ids[i] = bot.ConversationOf(bot.Telegram, fmt.Sprint(i))
			}
			for i := 0; b.Loop(); i++ {
				if err := storetest.Handle(b.Context(), s, ids[i%convs], fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("conversations=10000/parallel", func(b *testing.B) {
		s := memstore.New(memstore.Options{})
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if err := storetest.Handle(b.Context(), s, bot.ConversationOf(bot.Telegram, fmt.Sprint(i%10_000)), fmt.Sprint(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
