package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/memstore"
)

// countingNotifier is LINE for the quota: every push it accepts counts.
type countingNotifier struct {
	notifier
	q *bot.PushQuota
}

func (n *countingNotifier) Notify(ctx context.Context, userID, id string, replies []bot.Reply) error {
	if err := n.notifier.Notify(ctx, userID, id, replies); err != nil {
		return err
	}
	return n.q.Count(ctx, "notify:"+id)
}

// heldHarness: shared cases with a LINE push limit of 3.
func newHeldHarness(tb testing.TB, limit int64, fits func(bot.Platform, []bot.Reply) bool) (*caseHarness, *countingNotifier, *memstore.Store) {
	tb.Helper()
	c := newClock()
	st := memstore.New(memstore.Options{Now: c.Now})
	q := bot.NewPushQuota(bot.LINE, st, limit, 0, c.Now, nil)
	svc, err := bot.New(st, mustKB(tb), bot.Options{Now: c.Now, Cases: st, PushQuota: q, ReplyFits: fits})
	if err != nil {
		tb.Fatal(err)
	}
	h := &caseHarness{harness: &harness{svc: svc, store: st, clock: c}, line: &notifier{}, tg: &notifier{}}
	return h, &countingNotifier{q: q}, st
}

// joinedCase: the employer (LINE, en) invites, the worker (Telegram) joins
// and marks A.1.1 in progress and done: three pushes to the employer.
func joinedCase(t *testing.T, h *caseHarness, line *countingNotifier) func(string) {
	t.Helper()
	org := func(p string) bot.Outcome {
		return h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "en", Kind: bot.KindChoice, Text: p})
	}
	wk := func(p string) {
		h.send(t, bot.Event{Platform: bot.Telegram, UserID: "42", DisplayName: "Aibek", Lang: "en", Kind: bot.KindChoice, Text: p})
		if _, err := h.svc.DrainOutbox(context.Background(), map[bot.Platform]bot.Notifier{bot.LINE: line, bot.Telegram: h.tg}); err != nil {
			t.Fatal(err)
		}
	}
	h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "en", Kind: bot.KindStart})
	for _, p := range []string{"r:employer", "w:kg", "rt:direct"} {
		org(p)
	}
	code := codePattern.FindString(org("ci").Replies[0].Text)
	h.send(t, bot.Event{Platform: bot.Telegram, UserID: "42", DisplayName: "Aibek", Lang: "en", Kind: bot.KindStart, Text: code})
	wk("jy:" + code)
	wk("cp:A.1.1")
	wk("cd:A.1.1")
	if got := len(line.take()); got != 3 {
		t.Fatalf("the employer got %d pushes; want 3 (joined, A.1.1 in progress, done)", got)
	}
	return wk
}

// TestNearTheQuotaNotificationsWaitForTheReply: with a limit of 3 the
// fourth and fifth notifications are held, the employer's next message gets
// both, merged, before its answer, once; a redelivery gives the same reply
// and the message after it nothing more.
func TestNearTheQuotaNotificationsWaitForTheReply(t *testing.T) {
	t.Parallel()
	h, line, st := newHeldHarness(t, 3, nil)
	wk := joinedCase(t, h, line)
	wk("n:A.1.1")
	wk("n:A.4")
	wk("cd:A.5")
	wk("n:A.5")
	wk("cp:A.6")
	if got := line.take(); len(got) != 0 {
		t.Fatalf("near the quota %d notifications were pushed", len(got))
	}
	org := bot.ConversationOf(bot.LINE, "Uorg")
	held, _, _ := st.LoadHeld(context.Background(), org)
	if len(held.Entries) != 2 {
		t.Fatalf("held %d notifications; want 2", len(held.Entries))
	}
	if m, _ := st.Meta(context.Background(), org); !m.Held {
		t.Error("the employer's conversation is not flagged: its next turn would not read what is held")
	}
	ev := bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindText, Text: "hello", EventID: "org-hello"}
	out := h.send(t, ev)
	if len(out.Replies) < 2 {
		t.Fatalf("replies %+v; want the held note and the answer", out.Replies)
	}
	note := out.Replies[0].Text
	if !strings.Contains(note, "(A.5)") || !strings.Contains(note, "A.6") || len(out.Replies[0].Choices) != 0 {
		t.Fatalf("first reply %q; want both held notes (A.5 done, A.6 in progress) merged, no buttons", note)
	}
	for _, r := range out.Replies {
		if n := len([]rune(r.Text)); n > bot.MaxBubble {
			t.Errorf("a bubble of %d characters", n)
		}
	}
	if len(out.Replies[len(out.Replies)-1].Choices) == 0 {
		t.Error("the answer, last, lost its buttons")
	}
	if held, _, _ := st.LoadHeld(context.Background(), org); len(held.Entries) != 0 {
		t.Errorf("still held after the reply: %+v", held.Entries)
	}
	if m, _ := st.Meta(context.Background(), org); m.Held {
		t.Error("the flag stayed after everything held was given")
	}
	h.clock.Advance(time.Minute) // the handler died before "delivered": the lease ran out
	again := h.send(t, ev)
	if !again.Duplicate || again.Replies[0].Text != note {
		t.Fatalf("the redelivery answered %+v; want the recorded reply", again)
	}
	next := h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindText, Text: "hello"})
	for _, r := range next.Replies {
		if strings.Contains(r.Text, "(A.5)") {
			t.Fatalf("the next message got the held note again: %q", r.Text)
		}
	}
	tr, _ := st.Transcript(context.Background(), org)
	n := 0
	for _, e := range tr {
		if e.Dir == bot.Out && strings.Contains(e.Text, "(A.5)") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the transcript shows the held note %d times; want 1", n)
	}
	u, _ := line.q.Usage(context.Background())
	if u.Used != 3 || u.Limit != 3 || !u.Exhausted {
		t.Errorf("usage %+v; want 3 of 3", u)
	}
}

// TestHeldNotesWaitWhenTheReplyIsFull: notes that would make the reply a
// second request (a push) wait for the next message.
func TestHeldNotesWaitWhenTheReplyIsFull(t *testing.T) {
	t.Parallel()
	full := true
	h, line, st := newHeldHarness(t, 3, func(_ bot.Platform, rs []bot.Reply) bool { return !full })
	wk := joinedCase(t, h, line)
	wk("n:A.1.1")
	wk("n:A.4")
	wk("cd:A.5")
	msg := func() bot.Outcome {
		return h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindText, Text: "hello"})
	}
	if out := msg(); strings.Contains(out.Replies[0].Text, "(A.5)") {
		t.Fatal("a full reply got the held note")
	}
	if held, _, _ := st.LoadHeld(context.Background(), bot.ConversationOf(bot.LINE, "Uorg")); len(held.Entries) != 1 || held.Entries[0].TakenBy != "" {
		t.Fatalf("held after a full reply: %+v; want the note waiting", held.Entries)
	}
	full = false
	if out := msg(); !strings.Contains(out.Replies[0].Text, "(A.5)") {
		t.Fatalf("the next reply %q lacks the held note", out.Replies[0].Text)
	}
}

// TestPlatformNumbersCount: LINE's own report counts when larger, and its
// limit when smaller.
func TestPlatformNumbersCount(t *testing.T) {
	st := memstore.New(memstore.Options{})
	q := bot.NewPushQuota(bot.LINE, st, 100, 0.9, nil, nil)
	for _, c := range []struct {
		used, limit     int64
		wantUsed, wantL int64
		near, exhausted bool
	}{
		{0, 0, 0, 100, false, false},
		{95, 0, 95, 100, true, false},
		{5, 10, 5, 10, false, false},
		{9, 10, 9, 10, true, false},
		{10, 1000, 10, 100, false, false},
		{120, 1000, 120, 100, true, true},
	} {
		q.Report(c.used, c.limit)
		u, err := q.Usage(t.Context())
		if err != nil || u.Used != c.wantUsed || u.Limit != c.wantL || u.Near != c.near || u.Exhausted != c.exhausted {
			t.Errorf("report %d of %d: usage %+v, %v", c.used, c.limit, u, err)
		}
	}
	if err := q.Allow(t.Context()); err == nil {
		t.Error("Allow with the quota used up = nil")
	}
}

// TestARefusedPushIsHeld: a push the platform refuses for the quota (LINE's
// 429 "monthly limit") is held, not retried.
func TestARefusedPushIsHeld(t *testing.T) {
	t.Parallel()
	h, line, st := newHeldHarness(t, 0, nil) // no limit configured
	wk := joinedCase(t, h, line)
	line.err = bot.ErrQuotaExhausted
	wk("n:A.1.1")
	wk("n:A.4")
	wk("cd:A.5")
	if held, _, _ := st.LoadHeld(context.Background(), bot.ConversationOf(bot.LINE, "Uorg")); len(held.Entries) != 1 {
		t.Fatalf("held %+v; want the refused notification", held.Entries)
	}
}

// flakyHeld fails the n-th SaveHeld from now: a handler that stopped
// between its commit and settling what it gave.
type flakyHeld struct {
	*memstore.Store
	failAt int
}

func (f *flakyHeld) SaveHeld(ctx context.Context, to bot.ConversationID, h bot.Held, base int64, ttl time.Duration) error {
	if f.failAt--; f.failAt == 0 {
		return bot.ErrUnavailable
	}
	return f.Store.SaveHeld(ctx, to, h, base, ttl)
}

// TestHeldNotesAreSettledByTheRecord: the turn that gave the notes
// committed, but marking them given failed; the next message finds that
// turn's record and does not give them again.
func TestHeldNotesAreSettledByTheRecord(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := memstore.New(memstore.Options{Now: c.Now})
	fl := &flakyHeld{Store: st}
	q := bot.NewPushQuota(bot.LINE, fl, 3, 0, c.Now, nil)
	svc, err := bot.New(st, mustKB(t), bot.Options{Now: c.Now, Cases: st, PushQuota: q})
	if err != nil {
		t.Fatal(err)
	}
	h := &caseHarness{harness: &harness{svc: svc, store: st, clock: c}, line: &notifier{}, tg: &notifier{}}
	line := &countingNotifier{q: q}
	wk := joinedCase(t, h, line)
	wk("n:A.1.1")
	wk("n:A.4")
	wk("cd:A.5")
	fl.failAt = 2 // the take saves, the settling after the commit fails
	msg := func() bot.Outcome {
		return h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindText, Text: "hello"})
	}
	if out := msg(); !strings.Contains(out.Replies[0].Text, "(A.5)") {
		t.Fatalf("reply %q lacks the held note", out.Replies[0].Text)
	}
	if held, _, _ := st.LoadHeld(context.Background(), bot.ConversationOf(bot.LINE, "Uorg")); len(held.Entries) != 1 {
		t.Fatalf("held %+v; want the note still taken", held.Entries)
	}
	if out := msg(); strings.Contains(out.Replies[0].Text, "(A.5)") {
		t.Fatal("the note was given twice")
	}
	// The next held notification flags the conversation again: its turn
	// settles the old one by the record and gives only the new one.
	wk("n:A.5")
	wk("cp:A.6")
	out := msg()
	if strings.Contains(out.Replies[0].Text, "(A.5)") || !strings.Contains(out.Replies[0].Text, "A.6") {
		t.Fatalf("reply %q; want only the new note", out.Replies[0].Text)
	}
	if held, _, _ := st.LoadHeld(context.Background(), bot.ConversationOf(bot.LINE, "Uorg")); len(held.Entries) != 0 {
		t.Fatalf("held %+v; want it settled", held.Entries)
	}
}
