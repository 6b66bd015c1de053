package storetest

import (
	"bytes"
	"errors"
	"testing"

	"example.com/sswbot/bot"
)

// testClaimCommit checks the one-step claim and commit (bot.ClaimCommitter)
// against what Claim followed by Commit would do.
func testClaimCommit(t *testing.T, s Store) {
	cc, ok := s.(bot.ClaimCommitter)
	if !ok {
		t.Skip("the store has no one-step claim and commit")
	}
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Uonestep")
	claimCommit := func(base bot.Snapshot, ev, holder, session string) (bot.Commit, error) {
		t.Helper()
		c := turn(id, ev, session, entry(session, ev))
		c.Holder, c.ReplyToken = holder, "tok-"+ev
		return c, cc.ClaimCommit(ctx, id, base, c)
	}
	wantNothingFrom := func(ev string, n int) {
		t.Helper()
		if es := mustTranscript(t, s, id); len(es) != n {
			t.Errorf("%d transcript entries, want %d: %s wrote something", len(es), n, ev)
		}
		if got := mustLoad(t, s, id, ev).Recorded; got != nil {
			t.Errorf("%s recorded: %+v", ev, got)
		}
	}

	// A new conversation from the empty snapshot: committed, version 1,
	// the lease held while the replies are sent.
	c1, err := claimCommit(bot.Snapshot{}, "ev1", "A", "one")
	if err != nil {
		t.Fatalf("ClaimCommit of a new conversation: %v", err)
	}
	snap := mustLoad(t, s, id, "ev1")
	if snap.Version != 1 || string(snap.Session) != "one" || snap.Meta == nil {
		t.Fatalf("after ClaimCommit: version %d session %q meta %v, want 1, one, a meta", snap.Version, snap.Session, snap.Meta)
	}
	if got := snap.Recorded; got == nil || got.Delivered || got.ReplyToken != "tok-ev1" || !bytes.Equal(got.Outcome, c1.Outcome) {
		t.Errorf("Recorded = %+v, want the send intent", got)
	}
	_, err = s.Claim(ctx, id, "ev1", "B")
	wantInFlight(t, err, "Claim by B while A sends")
	if err := s.MarkDelivered(ctx, id, "ev1"); err != nil {
		t.Fatal(err)
	}
	if got := mustClaim(t, s, id, "ev1", "B").Recorded; got == nil || !got.Delivered {
		t.Errorf("after MarkDelivered Recorded = %+v, want delivered", got)
	}

	// The same event again: a duplicate, whatever the snapshot.
	if _, err := claimCommit(snap, "ev1", "C", "again"); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("ClaimCommit of a recorded event: %v, want ErrDuplicate", err)
	}
	// A stale snapshot: a version behind, or a session that is not there.
	if _, err := claimCommit(bot.Snapshot{}, "ev2", "A", "two"); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("ClaimCommit on version 0: %v, want ErrConflict", err)
	}
	noSession := snap
	noSession.Session = nil
	if _, err := claimCommit(noSession, "ev2", "A", "two"); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("ClaimCommit on a snapshot without the stored session: %v, want ErrConflict", err)
	}
	wantNothingFrom("ev2", 1)
	mustClaim(t, s, id, "ev2", "B") // no lease was left on ev2 either

	// Another holder's live lease.
	if _, err := claimCommit(snap, "ev2", "A", "two"); !errors.Is(err, bot.ErrInFlight) {
		t.Errorf("ClaimCommit while B holds the lease: %v, want ErrInFlight", err)
	}
	wantNothingFrom("ev2", 1)
	if err := s.Release(ctx, id, "ev2", "B"); err != nil {
		t.Fatal(err)
	}

	// Nothing to send: the record says delivered and no lease is left.
	c2, err := claimCommit(snap, "ev2", "A", "two")
	if err != nil {
		t.Fatalf("ClaimCommit on the stored snapshot: %v", err)
	}
	_ = c2
	snap = mustLoad(t, s, id, "")
	if snap.Version != 2 || string(snap.Session) != "two" {
		t.Fatalf("version %d session %q, want 2, two", snap.Version, snap.Session)
	}
	c3 := turn(id, "ev3", "three", entry("three", "ev3"))
	c3.Holder, c3.Delivered = "A", true
	if err := cc.ClaimCommit(ctx, id, snap, c3); err != nil {
		t.Fatalf("ClaimCommit with nothing to send: %v", err)
	}
	if got := mustClaim(t, s, id, "ev3", "B").Recorded; got == nil || !got.Delivered {
		t.Errorf("Recorded = %+v, want delivered at once", got)
	}

	// A delivery mark without a record (MarkDelivered of an event never
	// committed) is no lease and no delivery.
	if err := s.MarkDelivered(ctx, id, "ev4"); err != nil {
		t.Fatal(err)
	}
	snap = mustLoad(t, s, id, "")
	if _, err := claimCommit(snap, "ev4", "A", "four"); err != nil {
		t.Fatalf("ClaimCommit after a stray mark: %v", err)
	}
	if got := mustLoad(t, s, id, "ev4").Recorded; got == nil || got.Delivered {
		t.Errorf("Recorded = %+v, want sending", got)
	}
	_, err = s.Claim(ctx, id, "ev4", "B")
	wantInFlight(t, err, "Claim by B after A's one-step commit over a stray mark")
	if got := texts(mustTranscript(t, s, id)); len(got) != 4 {
		t.Errorf("transcript %q, want the four committed turns", got)
	}
}
