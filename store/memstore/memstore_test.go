package memstore_test

import (
	"errors"
	"fmt"
	"strings"
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
			SessionTTL: o.SessionTTL, TranscriptRetention: o.TranscriptRetention, DedupeTTL: o.DedupeTTL, LeaseTTL: o.LeaseTTL, MaxEntries: o.MaxEntries, Now: c.Now,
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

func TestTheStoreStaysWithinMaxBytes(t *testing.T) {
	c := &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	const limit = 64 << 10
	s := memstore.New(memstore.Options{Now: c.Now, MaxBytes: limit, MaxEntries: 4})
	ctx := t.Context()
	const users = 300
	for i := range users {
		c.Advance(time.Second)
		id := bot.ConversationOf(bot.Telegram, fmt.Sprint(i))
		for j := range 3 {
			if err := storetest.Handle(ctx, s, id, fmt.Sprintf("u%d-e%d", i, j)); err != nil {
				t.Fatal(err)
			}
		}
		if st := s.Stats(); st.Bytes > limit {
			t.Fatalf("after user %d the store holds %d bytes, over %d", i, st.Bytes, limit)
		}
	}
	st := s.Stats()
	t.Logf("%+v", st)
	if st.Evicted == 0 || st.Conversations >= users {
		t.Errorf("stats %+v: want idle conversations evicted", st)
	}
	if _, err := s.Meta(ctx, bot.ConversationOf(bot.Telegram, "0")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the conversation idle the longest survived: %v", err)
	}
	if _, err := s.Meta(ctx, bot.ConversationOf(bot.Telegram, fmt.Sprint(users-1))); err != nil {
		t.Errorf("the newest conversation was evicted: %v", err)
	}
	// Everything evicted and stored since adds up: with all gone, nothing is left.
	c.Advance(200 * 24 * time.Hour)
	if err := storetest.Handle(ctx, s, bot.ConversationOf(bot.LINE, "late"), "late"); err != nil {
		t.Fatal(err)
	}
	s.Sweep()
	if st := s.Stats(); st.Conversations != 1 || st.Bytes <= 0 || st.Bytes > 4<<10 {
		t.Errorf("after everything expired: %+v, want one small conversation", st)
	}
}

// Under the bound, the older transcript entries of idle conversations go
// before any conversation does: every user keeps their place in the dialog
// and each transcript its newest entries.
func TestIdleTranscriptsAreTrimmedBeforeConversationsGo(t *testing.T) {
	c := &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	const limit, users, events = 256 << 10, 10, 60
	s := memstore.New(memstore.Options{Now: c.Now, MaxBytes: limit})
	ctx := t.Context()
	id := func(u int) bot.ConversationID { return bot.ConversationOf(bot.LINE, fmt.Sprint("U", u)) }
	for u := range users {
		for e := range events {
			c.Advance(time.Second)
			if err := storetest.Handle(ctx, s, id(u), fmt.Sprintf("u%d-e%d", u, e)); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := s.Stats()
	t.Logf("%+v", st)
	if st.Bytes > limit || st.Bytes != s.RecountedBytes() {
		t.Errorf("the store counts %d bytes (a recount gives %d), want at most %d", st.Bytes, s.RecountedBytes(), limit)
	}
	if st.TrimmedEntries == 0 || st.Evicted != 0 || st.Conversations != users {
		t.Fatalf("stats %+v: want entries trimmed and no conversation evicted", st)
	}
	for u := range users {
		snap, err := s.Load(ctx, id(u), "")
		if err != nil || string(snap.Session) != fmt.Sprint(events) {
			t.Errorf("user %d: session %q (%v), want %d turns kept", u, snap.Session, err, events)
		}
	}
	es, err := s.Transcript(ctx, id(0))
	if err != nil || len(es) != 20 || es[len(es)-1].Text != fmt.Sprint(events) {
		t.Errorf("the idlest transcript: %d entries, err %v; want its newest 20", len(es), err)
	}
	if es, _ := s.Transcript(ctx, id(users-1)); len(es) != events {
		t.Errorf("the newest transcript kept %d entries, want all %d", len(es), events)
	}
}

func TestDroppedEntriesAreCounted(t *testing.T) {
	s := memstore.New(memstore.Options{MaxEntries: 3})
	id := bot.ConversationOf(bot.LINE, "U1")
	for i := range 5 {
		if err := storetest.Handle(t.Context(), s, id, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats().DroppedEntries; got != 2 {
		t.Errorf("dropped %d entries, want 2", got)
	}
}

// The size is kept up to date as entries, dedupe ids and annotations come
// and go (not re-summed at every commit): it must stay what a full count
// gives, through the transcript's cap, the pruning of expired ids,
// annotations, erasure and expiry.
func TestTheSizeKeptMatchesARecount(t *testing.T) {
	c := &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.Options{Now: c.Now, MaxEntries: 7, DedupeTTL: time.Hour})
	ctx := t.Context()
	check := func(when string) {
		t.Helper()
		if got, want := s.Stats().Bytes, s.RecountedBytes(); got != want {
			t.Fatalf("%s: the store counts %d bytes, a recount gives %d", when, got, want)
		}
	}
	ids := []bot.ConversationID{bot.ConversationOf(bot.LINE, "U1"), bot.ConversationOf(bot.Telegram, "2")}
	for i := range 300 {
		c.Advance(time.Minute)
		id := ids[i%2]
		if err := storetest.Handle(ctx, s, id, fmt.Sprintf("e%d", i)); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("commit %d", i))
		if i%50 == 7 {
			if err := s.Annotate(ctx, id, func([]byte) ([]byte, error) { return []byte(strings.Repeat("n", i)), nil }); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("annotation %d", i))
		}
	}
	if err := s.Forget(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	check("forget")
	c.Advance(200 * 24 * time.Hour)
	s.Sweep()
	check("expiry")
}
