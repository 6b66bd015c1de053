package storetest

import (
	"errors"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// RunQuota runs the push-quota part of the suite (bot.QuotaStore).
func RunQuota(t *testing.T, newStore func(t *testing.T) bot.QuotaStore) {
	t.Run("pushes are counted per month, a retry key once", func(t *testing.T) { testCountPush(t, newStore(t)) })
	t.Run("held notifications keep their order and version", func(t *testing.T) { testHeld(t, newStore(t)) })
}

func testCountPush(t *testing.T, s bot.QuotaStore) {
	ctx := t.Context()
	if n, err := s.PushCount(ctx, "2026-12"); err != nil || n != 0 {
		t.Fatalf("PushCount of an empty month = %d, %v; want 0", n, err)
	}
	steps := []struct {
		month, key string
		want       int64
	}{
		{"2026-12", "k1", 1},
		{"2026-12", "k2", 2},
		{"2026-12", "k1", 2}, // a retry with the same key
		{"2027-01", "k3", 1}, // a new month
		{"2026-12", "k4", 3},
	}
	for _, st := range steps {
		n, err := s.CountPush(ctx, st.month, st.key, time.Hour)
		if err != nil || n != st.want {
			t.Fatalf("CountPush(%s, %s) = %d, %v; want %d", st.month, st.key, n, err, st.want)
		}
	}
	for month, want := range map[string]int64{"2026-12": 3, "2027-01": 1, "2027-02": 0} {
		if n, err := s.PushCount(ctx, month); err != nil || n != want {
			t.Errorf("PushCount(%s) = %d, %v; want %d", month, n, err, want)
		}
	}
}

func testHeld(t *testing.T, s bot.QuotaStore) {
	ctx := t.Context()
	to := bot.ConversationID("line:Uheld")
	h, ver, err := s.LoadHeld(ctx, to)
	if err != nil || ver != 0 || len(h.Entries) != 0 {
		t.Fatalf("LoadHeld of nothing = %+v, %d, %v", h, ver, err)
	}
	entry := func(id string) bot.HeldEntry {
		return bot.HeldEntry{OutboxEntry: bot.OutboxEntry{ID: id, Case: "c1", To: to,
			Replies: []bot.Reply{{Text: "note " + id}}, Created: time.Unix(1700000000, 0).UTC()}}
	}
	h.Entries = []bot.HeldEntry{entry("e1"), entry("e2")}
	if err := s.SaveHeld(ctx, to, h, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveHeld(ctx, to, h, 0, time.Hour); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("SaveHeld on a stale version = %v; want ErrConflict", err)
	}
	got, ver, err := s.LoadHeld(ctx, to)
	if err != nil || ver == 0 || len(got.Entries) != 2 || got.Entries[0].ID != "e1" || got.Entries[1].Replies[0].Text != "note e2" {
		t.Fatalf("LoadHeld = %+v, %d, %v", got, ver, err)
	}
	got.Entries[0].TakenBy, got.Entries[0].TakenAt = "ev1", time.Unix(1700000100, 0).UTC()
	got.Entries, got.Seen = got.Entries[:1], []string{"e2"}
	if err := s.SaveHeld(ctx, to, got, ver, time.Hour); err != nil {
		t.Fatal(err)
	}
	again, ver2, err := s.LoadHeld(ctx, to)
	if err != nil || ver2 == ver || len(again.Entries) != 1 || again.Entries[0].TakenBy != "ev1" ||
		!again.Entries[0].TakenAt.Equal(time.Unix(1700000100, 0)) || len(again.Seen) != 1 {
		t.Fatalf("LoadHeld after an update = %+v, %d, %v", again, ver2, err)
	}
	if other, v, _ := s.LoadHeld(ctx, "line:Uother"); v != 0 || len(other.Entries) != 0 {
		t.Errorf("another conversation sees %+v", other)
	}
	if err := s.SaveHeld(ctx, to, bot.Held{}, ver2, time.Hour); err != nil {
		t.Fatal(err)
	}
	if h, ver, err := s.LoadHeld(ctx, to); err != nil || ver != 0 || len(h.Entries)+len(h.Seen) != 0 {
		t.Fatalf("LoadHeld after removing = %+v, %d, %v", h, ver, err)
	}
}
