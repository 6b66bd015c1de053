package redisstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
	"example.com/sswbot/store/storetest"
)

func TestCasesConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunCases(t, func(t *testing.T) bot.CaseStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("c%d:", n.Add(1))})
	})
}

func TestQuotaConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.RunQuota(t, func(t *testing.T) bot.QuotaStore {
		return mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: fmt.Sprintf("q%d:", n.Add(1))})
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCasesOfTheEarlierLayoutAreFound writes a case, its invite and a
// notification the way the version before the spread did (all under
// {cases}), by hand, and uses them through the store.
func TestCasesOfTheEarlierLayoutAreFound(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: "p:"})
	ctx, rdb, now := t.Context(), s.Client(), time.Now()
	old := bot.Case{ID: "0123456789abcdef", Country: "kg", Route: "direct", Created: now.Add(-time.Hour), Expires: now.Add(time.Hour),
		Parties: []bot.Party{{Conv: "line:U1", Name: "ACME", Side: bot.SideOrg, Lang: "ja", Active: true}}}
	oldEntry := bot.OutboxEntry{ID: "ev0>line:U1", Case: old.ID, To: "line:U1", Replies: []bot.Reply{{Text: "old"}}, Created: now.Add(-time.Minute)}
	rdb.HSet(ctx, "p:{cases}:case:"+old.ID, "v", 3, "d", mustJSON(t, old))
	rdb.PExpireAt(ctx, "p:{cases}:case:"+old.ID, old.Expires)
	rdb.Set(ctx, "p:{cases}:inv:OLDCODE234", old.ID, time.Hour)
	rdb.ZAdd(ctx, "p:{cases}:all", redisZ(old.Created, old.ID))
	rdb.HSet(ctx, "p:{cases}:out", oldEntry.ID, mustJSON(t, oldEntry))
	rdb.ZAdd(ctx, "p:{cases}:outq", redisZ(oldEntry.Created, oldEntry.ID))

	fresh := bot.Case{ID: "fedcba9876543210", Country: "kg", Route: "direct", Created: now, Expires: now.Add(time.Hour)}
	if err := s.CreateCase(ctx, fresh, "NEWCODE234", time.Hour); err != nil {
		t.Fatal(err)
	}
	if id, err := s.LookupInvite(ctx, "OLDCODE234"); err != nil || id != old.ID {
		t.Fatalf("LookupInvite(old code) = %q, %v", id, err)
	}
	if id, err := s.RedeemInvite(ctx, "OLDCODE234", "ev1"); err != nil || id != old.ID {
		t.Fatalf("RedeemInvite(old code) = %q, %v", id, err)
	}
	if _, err := s.RedeemInvite(ctx, "OLDCODE234", "ev2"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("second redeem of the old code by another change = %v, want ErrNotFound", err)
	}
	if v, _ := rdb.Get(ctx, "p:{cases}:inv:OLDCODE234").Result(); v != old.ID+"|ev1" {
		t.Fatalf("old invite key = %q, want it redeemed in place", v)
	}

	all, err := s.Cases(ctx)
	if err != nil || len(all) != 2 || all[0].ID != fresh.ID || all[1].ID != old.ID {
		t.Fatalf("Cases = %+v, %v; want the new case, then the old one", all, err)
	}
	c, v, err := s.LoadCase(ctx, old.ID)
	if err != nil || c.Parties[0].Name != "ACME" {
		t.Fatalf("LoadCase(old) = %+v, %d, %v", c, v, err)
	}
	// Updated in place, so a process of the earlier version still running
	// sees the same case; its notification goes to the old outbox.
	c.Steps = map[string]bot.StepState{"A.4": bot.StepDone}
	e := bot.OutboxEntry{ID: "ev1>telegram:42", Case: old.ID, To: "telegram:42", Replies: []bot.Reply{{Text: "A.4"}}, Created: now}
	if err := s.UpdateCase(ctx, c, v, []bot.OutboxEntry{e}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateCase(ctx, c, v, nil); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("stale update of the old case = %v, want ErrConflict", err)
	}
	if got, _ := rdb.HGet(ctx, "p:{cases}:case:"+old.ID, "v").Result(); got != "4" {
		t.Fatalf("old case version = %q, want 4", got)
	}
	if n, _ := rdb.Exists(ctx, "p:{case:"+old.ID+"}:c").Result(); n != 0 {
		t.Fatal("the old case was copied to the new layout; a process of the earlier version would no longer see its changes")
	}
	es, err := s.ClaimOutbox(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(es) != 2 || es[0].ID != oldEntry.ID || es[1].ID != e.ID {
		t.Fatalf("ClaimOutbox = %+v, %v; want both notifications of the old outbox", es, err)
	}
	for _, e := range es {
		if err := s.DoneOutbox(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rdb.HLen(ctx, "p:{cases}:out").Result(); n != 0 {
		t.Fatalf("old outbox keeps %d entries after done", n)
	}
	if n, _ := rdb.ZCard(ctx, "p:{cases}:outq").Result(); n != 0 {
		t.Fatalf("old due queue keeps %d entries after done", n)
	}
}

// TestANotificationOutlivesACrashBeforeItsPointer: the case script ran, the
// process died before the due queue write; the sweep finds the entry.
// And a pointer whose entry is gone sends nothing and is dropped.
func TestANotificationOutlivesACrashBeforeItsPointer(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: "p:"})
	ctx, rdb, now := t.Context(), s.Client(), time.Now()
	c := bot.Case{ID: "00000000000000c1", Created: now, Expires: now.Add(time.Hour)}
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	e := bot.OutboxEntry{ID: "ev1>line:U1", Case: c.ID, To: "line:U1", Created: now}
	if err := s.UpdateCase(ctx, c, 1, []bot.OutboxEntry{e}); err != nil {
		t.Fatal(err)
	}
	q := s.OutqKey(c.ID)
	if err := rdb.Del(ctx, q).Err(); err != nil { // the crash
		t.Fatal(err)
	}
	if err := s.SweepOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := s.ClaimOutbox(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(es) != 1 || es[0].ID != e.ID {
		t.Fatalf("claim after the sweep = %+v, %v; want the entry", es, err)
	}
	// A sweep while it is claimed leaves its lease alone.
	if err := s.SweepOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimOutbox(ctx, now.Add(2*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice within the lease after a sweep: %+v", again)
	}
	// Done cut short after the entry: the pointer stays, and leads nowhere.
	if err := rdb.HDel(ctx, "p:{case:"+c.ID+"}:o", e.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.ClaimOutbox(ctx, now.Add(2*time.Minute), time.Minute, 10); len(left) != 0 {
		t.Fatalf("a pointer without its entry was sent: %+v", left)
	}
	if n, _ := rdb.ZCard(ctx, q).Result(); n != 0 {
		t.Fatalf("%d pointers left; want the one without an entry dropped", n)
	}
	// A case that ended leaves the list at the next sweep.
	if err := rdb.Del(ctx, "p:{case:"+c.ID+"}:c").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.SweepOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, s.CaseListKey(c.ID)).Result(); n != 0 {
		t.Fatal("the ended case is still listed after a sweep")
	}
}

// TestACreateCutShortStillHasItsCode: the case was written, its code not;
// the turn's retry (same case, same code) writes the code, another code
// changes nothing.
func TestACreateCutShortStillHasItsCode(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: "p:"})
	ctx, rdb, now := t.Context(), s.Client(), time.Now()
	c := bot.Case{ID: "00000000000000c2", Created: now, Expires: now.Add(time.Hour)}
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, "p:{inv:ABCDEFGHJK}") // the crash
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	if id, err := s.LookupInvite(ctx, "ABCDEFGHJK"); err != nil || id != c.ID {
		t.Fatalf("LookupInvite after the retry = %q, %v", id, err)
	}
}

func redisZ(at time.Time, member string) redis.Z {
	return redis.Z{Score: float64(at.UnixMilli()), Member: member}
}

// TestARollingUpdateKeepsEveryCaseVisible: in the update's first step
// (LegacyCases) new cases go where a process of the earlier version looks
// for them; after the second step (without it) they are still found and
// changed in place.
func TestARollingUpdateKeepsEveryCaseVisible(t *testing.T) {
	srv := redistest.Start(t)
	first := mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: "p:", LegacyCases: true})
	ctx, rdb, now := t.Context(), first.Client(), time.Now()
	c := bot.Case{ID: "00000000000000c3", Created: now, Expires: now.Add(time.Hour)}
	if err := first.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	// What the earlier version reads.
	if v, _ := rdb.HGet(ctx, "p:{cases}:case:"+c.ID, "v").Result(); v != "1" {
		t.Fatalf("the case is not where the earlier version looks (version %q)", v)
	}
	if v, _ := rdb.Get(ctx, "p:{cases}:inv:ABCDEFGHJK").Result(); v != c.ID {
		t.Fatalf("the invite is not where the earlier version looks (%q)", v)
	}
	if n, _ := rdb.ZScore(ctx, "p:{cases}:all", c.ID).Result(); n == 0 {
		t.Fatal("the case is not in the earlier version's list")
	}

	second := mustNew(t, redisstore.Options{URL: srv.URL(), Prefix: "p:"})
	if id, err := second.RedeemInvite(ctx, "ABCDEFGHJK", "ev1"); err != nil || id != c.ID {
		t.Fatalf("RedeemInvite after the second step = %q, %v", id, err)
	}
	got, v, err := second.LoadCase(ctx, c.ID)
	if err != nil || got.ID != c.ID {
		t.Fatalf("LoadCase after the second step = %+v, %v", got, err)
	}
	e := bot.OutboxEntry{ID: "ev1>line:U1", Case: c.ID, To: "line:U1", Created: now}
	if err := second.UpdateCase(ctx, got, v, []bot.OutboxEntry{e}); err != nil {
		t.Fatal(err)
	}
	if v, _ := rdb.HGet(ctx, "p:{cases}:case:"+c.ID, "v").Result(); v != "2" {
		t.Fatalf("the update did not go to the case where it is (version %q)", v)
	}
	es, err := second.ClaimOutbox(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(es) != 1 || es[0].ID != e.ID {
		t.Fatalf("ClaimOutbox = %+v, %v", es, err)
	}
}
