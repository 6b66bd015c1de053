package storetest

import (
	"errors"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// RunCases runs the shared-case part of the suite (bot.CaseStore).
func RunCases(t *testing.T, newStore func(t *testing.T) bot.CaseStore) {
	t.Run("a case and its invite code are created once", func(t *testing.T) { testCaseCreate(t, newStore(t)) })
	t.Run("an invite code is redeemed once, again only by the same change", func(t *testing.T) { testRedeem(t, newStore(t)) })
	t.Run("an expired invite code is gone", func(t *testing.T) { testInviteExpiry(t, newStore(t)) })
	t.Run("a case update on a stale version conflicts and enqueues nothing", func(t *testing.T) { testCaseUpdate(t, newStore(t)) })
	t.Run("an outbox entry is claimed once per lease until done", func(t *testing.T) { testOutbox(t, newStore(t)) })
}

func newCase(id string, now time.Time) bot.Case {
	return bot.Case{ID: id, Country: "kg", Route: "direct", Created: now, Expires: now.Add(time.Hour),
		Parties: []bot.Party{{Conv: "line:U1", Name: "ACME", Role: "employer", Side: bot.SideOrg, Lang: "ja", Active: true}}}
}

func testCaseCreate(t *testing.T, s bot.CaseStore) {
	ctx, now := t.Context(), time.Now()
	c := newCase("c1", now)
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	again := c
	again.Route = "agency"
	if err := s.CreateCase(ctx, again, "ZZZZZZZZZZ", time.Hour); err != nil {
		t.Fatal(err)
	}
	got, v, err := s.LoadCase(ctx, "c1")
	if err != nil || v != 1 || got.Route != "direct" || len(got.Parties) != 1 || got.Parties[0].Name != "ACME" {
		t.Fatalf("LoadCase = %+v, %d, %v; want the first case at version 1", got, v, err)
	}
	if id, err := s.LookupInvite(ctx, "ABCDEFGHJK"); err != nil || id != "c1" {
		t.Fatalf("LookupInvite = %q, %v", id, err)
	}
	if _, err := s.LookupInvite(ctx, "ZZZZZZZZZZ"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("the second create's code: %v, want ErrNotFound", err)
	}
	if _, _, err := s.LoadCase(ctx, "nope"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("LoadCase(unknown) = %v", err)
	}
	if err := s.CreateCase(ctx, newCase("c2", now.Add(time.Second)), "BBBBBBBBBB", time.Hour); err != nil {
		t.Fatal(err)
	}
	all, err := s.Cases(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "c2" || all[1].ID != "c1" {
		t.Fatalf("Cases = %+v, %v; want c2, c1", all, err)
	}
}

func testRedeem(t *testing.T, s bot.CaseStore) {
	ctx := t.Context()
	if err := s.CreateCase(ctx, newCase("c1", time.Now()), "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	if id, err := s.RedeemInvite(ctx, "ABCDEFGHJK", "ev1"); err != nil || id != "c1" {
		t.Fatalf("first redeem = %q, %v", id, err)
	}
	if id, err := s.RedeemInvite(ctx, "ABCDEFGHJK", "ev1"); err != nil || id != "c1" {
		t.Fatalf("the same change again = %q, %v; want c1 (a retried turn)", id, err)
	}
	if _, err := s.RedeemInvite(ctx, "ABCDEFGHJK", "ev2"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("another change = %v, want ErrNotFound (single use)", err)
	}
	if _, err := s.LookupInvite(ctx, "ABCDEFGHJK"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("lookup of a used code = %v, want ErrNotFound", err)
	}
	if _, err := s.RedeemInvite(ctx, "QQQQQQQQQQ", "ev3"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unknown code = %v", err)
	}
}

func testInviteExpiry(t *testing.T, s bot.CaseStore) {
	ctx := t.Context()
	if err := s.CreateCase(ctx, newCase("c1", time.Now()), "ABCDEFGHJK", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := s.LookupInvite(ctx, "ABCDEFGHJK"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("expired code lookup = %v, want ErrNotFound", err)
	}
	if _, err := s.RedeemInvite(ctx, "ABCDEFGHJK", "ev1"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("expired code redeem = %v, want ErrNotFound", err)
	}
}

func testCaseUpdate(t *testing.T, s bot.CaseStore) {
	ctx, now := t.Context(), time.Now()
	c := newCase("c1", now)
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	c.Steps = map[string]bot.StepState{"A.4": bot.StepDone}
	c.Applied = []string{"ev1"}
	e := bot.OutboxEntry{ID: "ev1>telegram:42", Case: "c1", To: "telegram:42", Replies: []bot.Reply{{Text: "A.4 done"}}, Created: now}
	if err := s.UpdateCase(ctx, c, 1, []bot.OutboxEntry{e}); err != nil {
		t.Fatal(err)
	}
	stale := c
	stale.Steps = map[string]bot.StepState{"A.5": bot.StepDone}
	e2 := e
	e2.ID = "ev2>telegram:42"
	if err := s.UpdateCase(ctx, stale, 1, []bot.OutboxEntry{e2}); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("stale update = %v, want ErrConflict", err)
	}
	got, v, err := s.LoadCase(ctx, "c1")
	if err != nil || v != 2 || got.Steps["A.4"] != bot.StepDone || got.Steps["A.5"] != "" || len(got.Applied) != 1 {
		t.Fatalf("after update: %+v v%d %v", got, v, err)
	}
	es, err := s.ClaimOutbox(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(es) != 1 || es[0].ID != e.ID || es[0].Replies[0].Text != "A.4 done" {
		t.Fatalf("outbox = %+v, %v; want only the committed entry", es, err)
	}
}

func testOutbox(t *testing.T, s bot.CaseStore) {
	ctx, now := t.Context(), time.Now()
	c := newCase("c1", now)
	if err := s.CreateCase(ctx, c, "ABCDEFGHJK", time.Hour); err != nil {
		t.Fatal(err)
	}
	var out []bot.OutboxEntry
	for i, id := range []string{"a", "b", "c"} {
		out = append(out, bot.OutboxEntry{ID: id, Case: "c1", To: "line:U1", Created: now.Add(time.Duration(i) * time.Millisecond)})
	}
	if err := s.UpdateCase(ctx, c, 1, out); err != nil {
		t.Fatal(err)
	}
	t1 := now.Add(time.Second)
	first, err := s.ClaimOutbox(ctx, t1, time.Minute, 2)
	if err != nil || len(first) != 2 || first[0].ID != "a" || first[1].ID != "b" {
		t.Fatalf("first claim = %+v, %v; want a, b", first, err)
	}
	second, _ := s.ClaimOutbox(ctx, t1, time.Minute, 10)
	if len(second) != 1 || second[0].ID != "c" {
		t.Fatalf("second claim = %+v; want c only (a, b are leased)", second)
	}
	if err := s.DoneOutbox(ctx, first[0]); err != nil {
		t.Fatal(err)
	}
	// A failed send gives its entry back: due again before the lease ends.
	if err := s.ReleaseOutbox(ctx, first[1], t1.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if early, _ := s.ClaimOutbox(ctx, t1, time.Minute, 10); len(early) != 0 {
		t.Fatalf("claim before the release's due time: %+v; want none", early)
	}
	again, _ := s.ClaimOutbox(ctx, t1.Add(time.Second), time.Minute, 10)
	if len(again) != 1 || again[0].ID != "b" {
		t.Fatalf("claim at the release's due time: %+v; want b", again)
	}
	// Releasing an entry already done does not bring it back.
	if err := s.DoneOutbox(ctx, again[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseOutbox(ctx, again[0], t1); err != nil {
		t.Fatal(err)
	}
	later, _ := s.ClaimOutbox(ctx, t1.Add(2*time.Minute), time.Minute, 10)
	if len(later) != 1 || later[0].ID != "c" {
		t.Fatalf("after the lease: %+v; want c again, not a or b (done)", later)
	}
}
