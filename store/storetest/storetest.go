// Package storetest is the conformance suite every bot.Store runs: one set of
// behavioural tests, so store/memstore and store/redisstore cannot drift
// apart. It knows the bot.Store and bot.Index contracts, never an
// implementation.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// Store is what the suite tests: both contracts plus the Telegram poller's
// offset.
type Store interface {
	bot.Store
	bot.Index
	LoadOffset(ctx context.Context, name string) (int64, error)
	SaveOffset(ctx context.Context, name string, offset int64) error
}

// Options configure a store under test; zero fields mean the store's defaults.
type Options struct {
	SessionTTL          time.Duration
	TranscriptRetention time.Duration
	DedupeTTL           time.Duration
	LeaseTTL            time.Duration
	MaxEntries          int
}

// Factory returns a new, empty store configured with o, and advance, which
// moves the store's clock forward by d: memstore moves a fake clock, Redis
// sleeps (its TTLs run on the server's clock).
type Factory func(t *testing.T, o Options) (s Store, advance func(d time.Duration))

// Short TTLs for the expiry tests; Redis really waits for them, so they are
// small, yet wide enough for a busy machine (every check has ≥ 300 ms margin).
var short = Options{
	SessionTTL:          time.Second,
	TranscriptRetention: 2 * time.Second,
	DedupeTTL:           1500 * time.Millisecond,
}

// Slowdown stretches the expiry tests' TTLs and waits alike. A store whose
// clock is real (Redis) sets it above 1 so that a busy machine's pauses of
// a few hundred milliseconds between the test's steps do not cross a TTL.
var Slowdown time.Duration = 1

// slowed is advance with every wait stretched by Slowdown.
func slowed(advance func(time.Duration)) func(time.Duration) {
	return func(d time.Duration) { advance(d * Slowdown) }
}

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	fresh := func(t *testing.T) Store {
		s, _ := newStore(t, Options{})
		return s
	}
	t.Run("a new conversation has nothing stored", func(t *testing.T) { testNew(t, fresh(t)) })
	t.Run("a commit is loaded back", func(t *testing.T) { testRoundTrip(t, fresh(t)) })
	t.Run("a commit on a stale version conflicts and writes nothing", func(t *testing.T) { testConflict(t, fresh(t)) })
	t.Run("a duplicate event is refused and keeps the first outcome", func(t *testing.T) { testDuplicate(t, fresh(t)) })
	t.Run("a large outcome comes back whole and a losing holder's does not replace it", func(t *testing.T) { testLargeOutcome(t, fresh(t)) })
	t.Run("commits without an event id are not deduplicated", func(t *testing.T) { testNoEventID(t, fresh(t)) })
	t.Run("a commit without a session leaves the stored one as it is", func(t *testing.T) { testNilSession(t, fresh(t)) })
	t.Run("MarkDelivered flags the recorded event only", func(t *testing.T) { testMarkDelivered(t, fresh(t)) })
	t.Run("forget erases session transcript meta and index entry", func(t *testing.T) { testForget(t, fresh(t)) })
	t.Run("the index lists filters searches and pages", func(t *testing.T) { testList(t, fresh(t)) })
	t.Run("offsets are saved and loaded", func(t *testing.T) { testOffsets(t, fresh(t)) })
	t.Run("the funnel counts each conversation once per stage", func(t *testing.T) { testFunnel(t, fresh(t)) })
	t.Run("200 concurrent events for one user lose nothing", func(t *testing.T) { testConcurrent(t, fresh(t)) })
	t.Run("a claimed event is refused to other holders until delivered", func(t *testing.T) { testLease(t, fresh(t)) })
	t.Run("a commit with nothing to send ends the lease", func(t *testing.T) { testLeaseDeliveredCommit(t, fresh(t)) })
	t.Run("a released lease lets the next holder in at once", func(t *testing.T) { testLeaseRelease(t, fresh(t)) })
	t.Run("of 20 concurrent claims of one event one wins", func(t *testing.T) { testLeaseRace(t, fresh(t)) })
	t.Run("a claim and commit in one step checks what Claim and Commit check", func(t *testing.T) { testClaimCommit(t, fresh(t)) })
	t.Run("a transcript keeps its newest MaxEntries entries", func(t *testing.T) {
		s, _ := newStore(t, Options{MaxEntries: 5})
		testMaxEntries(t, s)
	})
	t.Run("a lease whose holder died expires", func(t *testing.T) {
		s, advance := newStore(t, Options{LeaseTTL: 500 * time.Millisecond * Slowdown})
		testLeaseExpiry(t, s, slowed(advance))
	})
	t.Run("sessions slide and expire before meta transcript and dedupe records", func(t *testing.T) {
		o := short
		o.SessionTTL *= Slowdown
		o.TranscriptRetention *= Slowdown
		o.DedupeTTL *= Slowdown
		s, advance := newStore(t, o)
		testExpiry(t, s, slowed(advance))
	})
}

// t0 is the time test commits carry; stores take TTLs from their own clock.
var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func meta(id bot.ConversationID, last time.Time) bot.Meta {
	return bot.Meta{
		ID: id, Platform: id.Platform(), DisplayName: "Айбек", Lang: "ky", Role: "worker",
		Route: "W", State: "w.skill", Step: "B.2", StepN: 2, StepTotal: 9, Turns: 3,
		Started: t0, LastActive: last,
	}
}

func entry(text, eventID string) bot.Entry {
	return bot.Entry{Time: t0, Dir: bot.In, Text: text, StateBefore: "a", StateAfter: "b", KBVersion: "kb1", EventID: eventID}
}

// turn is a Commit for session on top of base.
func turn(id bot.ConversationID, eventID, session string, entries ...bot.Entry) bot.Commit {
	return bot.Commit{
		EventID: eventID, Session: []byte(session), Meta: meta(id, t0), Entries: entries,
		Outcome: []byte(`[{"text":"reply to ` + eventID + `"}]`), Now: t0,
	}
}

func mustLoad(tb testing.TB, s Store, id bot.ConversationID, eventID string) bot.Snapshot {
	tb.Helper()
	snap, err := s.Load(tb.Context(), id, eventID)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return snap
}

// mustCommit loads and commits c in one go, as the bot does for one event.
func mustCommit(tb testing.TB, s Store, id bot.ConversationID, c bot.Commit) {
	tb.Helper()
	if err := s.Commit(tb.Context(), id, mustLoad(tb, s, id, c.EventID), c); err != nil {
		tb.Fatalf("Commit %q: %v", c.EventID, err)
	}
}

func mustTranscript(tb testing.TB, s Store, id bot.ConversationID) []bot.Entry {
	tb.Helper()
	es, err := s.Transcript(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Transcript: %v", err)
	}
	return es
}

func texts(es []bot.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Text)
	}
	return out
}

func testNew(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.Telegram, "1")
	snap := mustLoad(t, s, id, "ev1")
	if !reflect.DeepEqual(snap, bot.Snapshot{}) {
		t.Errorf("Load = %+v, want the zero Snapshot", snap)
	}
	if _, err := s.Meta(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Meta error = %v, want ErrNotFound", err)
	}
	if _, err := s.Transcript(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Transcript error = %v, want ErrNotFound", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.LINE, "U1")
	out := bot.Entry{Time: t0.Add(time.Second), Dir: bot.Out, Text: "技能実習ですか？", Choices: []string{"はい", "いいえ"}, StateBefore: "a", StateAfter: "b", KBVersion: "kb1"}
	c := turn(id, "ev1", `{"state":"b"}`, entry("こんにちは", "ev1"), out)
	c.Meta.Handoff, c.Meta.Owner = true, "aiko"
	mustCommit(t, s, id, c)

	snap := mustLoad(t, s, id, "")
	if got, want := string(snap.Session), `{"state":"b"}`; got != want {
		t.Errorf("Session = %q, want %q", got, want)
	}
	if snap.Version == 0 {
		t.Error("Version = 0 after a commit")
	}
	if snap.Meta == nil || !reflect.DeepEqual(*snap.Meta, c.Meta) {
		t.Errorf("Meta = %+v, want %+v", snap.Meta, c.Meta)
	}
	if snap.Recorded != nil {
		t.Errorf("Recorded = %+v without an event id", snap.Recorded)
	}
	if got := mustLoad(t, s, id, "ev1").Recorded; got == nil || !bytes.Equal(got.Outcome, c.Outcome) || got.Delivered {
		t.Errorf("Recorded = %+v, want outcome %s, not delivered", got, c.Outcome)
	}
	if got, want := mustTranscript(t, s, id), c.Entries; !reflect.DeepEqual(got, want) {
		t.Errorf("Transcript = %+v, want %+v", got, want)
	}
	if got, err := s.Meta(t.Context(), id); err != nil || !reflect.DeepEqual(got, c.Meta) {
		t.Errorf("Meta = %+v, %v, want %+v", got, err, c.Meta)
	}

	// The next turn appends and moves the version on.
	mustCommit(t, s, id, turn(id, "ev2", `{"state":"c"}`, entry("next", "ev2")))
	next := mustLoad(t, s, id, "")
	if next.Version == snap.Version {
		t.Errorf("Version stayed %d after a second commit", next.Version)
	}
	if got, want := texts(mustTranscript(t, s, id)), []string{"こんにちは", "技能実習ですか？", "next"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Transcript texts = %q, want %q", got, want)
	}
}

func testConflict(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.Telegram, "2")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1")))
	stale := mustLoad(t, s, id, "ev3")
	mustCommit(t, s, id, turn(id, "ev2", "two", entry("2", "ev2")))

	err := s.Commit(t.Context(), id, stale, turn(id, "ev3", "three", entry("3", "ev3")))
	if !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("Commit on a stale version: %v, want ErrConflict", err)
	}
	snap := mustLoad(t, s, id, "ev3")
	if got, want := string(snap.Session), "two"; got != want {
		t.Errorf("Session = %q, want %q", got, want)
	}
	if snap.Recorded != nil {
		t.Error("the refused event was recorded")
	}
	if got, want := texts(mustTranscript(t, s, id)), []string{"1", "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Transcript texts = %q, want %q", got, want)
	}
}

func testDuplicate(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.LINE, "U3")
	first := turn(id, "ev1", "one", entry("1", "ev1"))
	base := mustLoad(t, s, id, "ev1")
	if err := s.Commit(t.Context(), id, base, first); err != nil {
		t.Fatal(err)
	}
	// A redelivery raced the first handling: same base, same event id.
	again := turn(id, "ev1", "other", entry("1 again", "ev1"))
	again.Outcome = []byte("other outcome")
	if err := s.Commit(t.Context(), id, base, again); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("Commit with the same base: %v, want ErrDuplicate", err)
	}
	// A redelivery loaded after the first commit: fresh base.
	snap := mustLoad(t, s, id, "ev1")
	if snap.Recorded == nil || !bytes.Equal(snap.Recorded.Outcome, first.Outcome) {
		t.Fatalf("Recorded = %+v, want the first outcome", snap.Recorded)
	}
	if err := s.Commit(t.Context(), id, snap, again); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("Commit with a fresh base: %v, want ErrDuplicate", err)
	}
	after := mustLoad(t, s, id, "ev1")
	if after.Version != snap.Version || string(after.Session) != "one" {
		t.Errorf("after duplicates: version %d session %q, want %d %q", after.Version, after.Session, snap.Version, "one")
	}
	if !bytes.Equal(after.Recorded.Outcome, first.Outcome) {
		t.Errorf("Outcome = %s, want %s", after.Recorded.Outcome, first.Outcome)
	}
	if got := len(mustTranscript(t, s, id)); got != 1 {
		t.Errorf("%d transcript entries, want 1", got)
	}
}

// testLargeOutcome: an answer with cards makes an outcome of a few KB (a
// store may keep it apart from the record); two holders of one event (the
// first one's lease ran out) both commit, and only the winner's counts.
func testLargeOutcome(t *testing.T, s Store) {
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "U3big")
	big := func(fill byte) []byte {
		b := bytes.Repeat([]byte{fill}, 4096)
		b[0] = 1 // a codec's version byte
		return b
	}
	base, err := s.Claim(ctx, id, "ev1", "h1")
	if err != nil {
		t.Fatal(err)
	}
	first := turn(id, "ev1", "one", entry("1", "ev1"))
	first.Holder, first.ReplyToken, first.Outcome = "h1", "tok1", big('a')
	if err := s.Commit(ctx, id, base, first); err != nil {
		t.Fatal(err)
	}
	// h2 had claimed from the same base before (h1's lease ran out): its
	// commit loses and must leave h1's outcome.
	again := turn(id, "ev1", "other", entry("1 again", "ev1"))
	again.Holder, again.Outcome = "h2", big('b')
	if err := s.Commit(ctx, id, base, again); !errors.Is(err, bot.ErrDuplicate) && !errors.Is(err, bot.ErrInFlight) {
		t.Errorf("the second holder's commit: %v, want ErrDuplicate or ErrInFlight", err)
	}
	for _, how := range []string{"Load", "Claim"} {
		var snap bot.Snapshot
		if how == "Load" {
			snap = mustLoad(t, s, id, "ev1")
		} else if snap, err = s.Claim(ctx, id, "ev1", "h3"); err != nil && !errors.Is(err, bot.ErrInFlight) {
			t.Fatal(err)
		} else if err != nil {
			// h1's lease is live: end it, as the adapter does after sending.
			if err := s.MarkDelivered(ctx, id, "ev1"); err != nil {
				t.Fatal(err)
			}
			if snap, err = s.Claim(ctx, id, "ev1", "h3"); err != nil {
				t.Fatal(err)
			}
		}
		if r := snap.Recorded; r == nil || !bytes.Equal(r.Outcome, first.Outcome) || r.ReplyToken != "tok1" {
			t.Errorf("%s: Recorded = %v, want the first holder's outcome and token", how, r != nil)
			if r != nil {
				t.Logf("outcome %.40q… (%d bytes), token %q", r.Outcome, len(r.Outcome), r.ReplyToken)
			}
		}
	}
	if got := len(mustTranscript(t, s, id)); got != 1 {
		t.Errorf("%d transcript entries, want 1", got)
	}
}

func testNoEventID(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.LINE, "U4")
	mustCommit(t, s, id, turn(id, "", "one", bot.Entry{Time: t0, Dir: bot.Staff, Text: "hello", Staff: "aiko"}))
	mustCommit(t, s, id, turn(id, "", "two", bot.Entry{Time: t0, Dir: bot.System, Text: "handed back", Staff: "aiko"}))
	if got := len(mustTranscript(t, s, id)); got != 2 {
		t.Errorf("%d transcript entries, want 2", got)
	}
	if got := mustLoad(t, s, id, "").Recorded; got != nil {
		t.Errorf("Recorded = %+v for no event id", got)
	}
}

func testNilSession(t *testing.T, s Store) {
	kept := bot.ConversationOf(bot.LINE, "U6")
	mustCommit(t, s, kept, turn(kept, "a1", "session one"))
	staff := turn(kept, "", "", bot.Entry{Time: t0, Dir: bot.Staff, Text: "hi", Staff: "aiko"})
	staff.Session = nil
	mustCommit(t, s, kept, staff)
	if got := string(mustLoad(t, s, kept, "").Session); got != "session one" {
		t.Errorf("session = %q, want it kept", got)
	}
	// A conversation without a session (say, expired) stays without one, so
	// the user is still told it expired.
	none := bot.ConversationOf(bot.LINE, "U7")
	c := turn(none, "", "")
	c.Session = nil
	mustCommit(t, s, none, c)
	if snap := mustLoad(t, s, none, ""); snap.Session != nil || snap.Meta == nil {
		t.Errorf("session = %q, meta = %v; want no session and a meta", snap.Session, snap.Meta)
	}
}

func testMarkDelivered(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.Telegram, "5")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1")))
	if err := s.MarkDelivered(t.Context(), id, "ev1"); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	got := mustLoad(t, s, id, "ev1").Recorded
	if got == nil || !got.Delivered || !bytes.Equal(got.Outcome, []byte(`[{"text":"reply to ev1"}]`)) {
		t.Errorf("Recorded = %+v, want delivered with its outcome", got)
	}
	if err := s.MarkDelivered(t.Context(), id, "unknown"); err != nil {
		t.Errorf("MarkDelivered of an unknown event: %v", err)
	}
	if got := mustLoad(t, s, id, "unknown").Recorded; got != nil {
		t.Errorf("MarkDelivered created a record: %+v", got)
	}
	// The unknown event can still be committed.
	mustCommit(t, s, id, turn(id, "unknown", "two", entry("2", "unknown")))
	if got := mustLoad(t, s, id, "unknown").Recorded; got == nil || got.Delivered {
		t.Errorf("Recorded = %+v, want recorded and not delivered", got)
	}
}

func testForget(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.LINE, "U6")
	other := bot.ConversationOf(bot.LINE, "U7")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("secret", "ev1")))
	mustCommit(t, s, other, turn(other, "ev1", "one", entry("kept", "ev1")))
	before := mustLoad(t, s, id, "")

	if err := s.Forget(t.Context(), id); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	snap := mustLoad(t, s, id, "")
	if snap.Session != nil || snap.Meta != nil {
		t.Errorf("after Forget: session %q meta %+v, want none", snap.Session, snap.Meta)
	}
	if _, err := s.Transcript(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Transcript error = %v, want ErrNotFound", err)
	}
	if _, err := s.Meta(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Meta error = %v, want ErrNotFound", err)
	}
	ms, n, err := s.List(t.Context(), bot.Filter{})
	if err != nil || n != 1 || len(ms) != 1 || ms[0].ID != other {
		t.Errorf("List = %v, %d, %v; want only %s", ms, n, err, other)
	}
	// A stale Load from before Forget must not pass for the new start.
	if err := s.Commit(t.Context(), id, before, turn(id, "ev9", "x")); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("Commit on a pre-Forget version: %v, want ErrConflict", err)
	}
	// The user starts afresh.
	mustCommit(t, s, id, turn(id, "ev2", "fresh", entry("again", "ev2")))
	if got, want := texts(mustTranscript(t, s, id)), []string{"again"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Transcript texts = %q, want %q", got, want)
	}
	if err := s.Forget(t.Context(), bot.ConversationOf(bot.LINE, "nobody")); err != nil {
		t.Errorf("Forget of an unknown conversation: %v", err)
	}
	if got := len(mustTranscript(t, s, other)); got != 1 {
		t.Errorf("the other conversation has %d entries, want 1", got)
	}
}

func testList(t *testing.T, s Store) {
	type conv struct {
		id   bot.ConversationID
		ago  time.Duration
		edit func(*bot.Meta)
		text string
	}
	var (
		a = bot.ConversationOf(bot.LINE, "Ua")
		b = bot.ConversationOf(bot.Telegram, "b")
		c = bot.ConversationOf(bot.Telegram, "c")
		d = bot.ConversationOf(bot.LINE, "Ud")
		e = bot.ConversationOf(bot.Telegram, "e")
	)
	convs := []conv{
		{a, 1 * time.Hour, func(m *bot.Meta) { m.Lang = "ja"; m.Role = "employer" }, "介護の人材を探しています"},
		{b, 2 * time.Hour, func(m *bot.Meta) { m.Lang = "ru"; m.Handoff = true }, "Привет, нужна ПОМОЩЬ"},
		{c, 3 * time.Hour, func(m *bot.Meta) { m.Lang = "ky"; m.Owner = "aiko" }, "Саламатсызбы"},
		{d, 4 * time.Hour, func(m *bot.Meta) { m.Lang = "ja"; m.Inactive = true }, "hello"},
		{e, 5 * time.Hour, func(m *bot.Meta) { m.Lang = "ru"; m.Handoff = true }, "где помощь?"},
	}
	now := t0.Add(24 * time.Hour)
	for _, cv := range convs {
		c := turn(cv.id, "ev-"+string(cv.id), "s", entry(cv.text, "ev"), bot.Entry{Time: t0, Dir: bot.Out, Text: "How can I help?"})
		c.Meta.LastActive = now.Add(-cv.ago)
		cv.edit(&c.Meta)
		mustCommit(t, s, cv.id, c)
	}
	tests := []struct {
		name  string
		f     bot.Filter
		want  []bot.ConversationID
		total int
	}{
		{"no filter lists everything, most recent first", bot.Filter{}, []bot.ConversationID{a, b, c, d, e}, 5},
		{"a platform filter keeps that platform", bot.Filter{Platform: bot.Telegram}, []bot.ConversationID{b, c, e}, 3},
		{"a language filter keeps that language", bot.Filter{Lang: "ja"}, []bot.ConversationID{a, d}, 2},
		{"the handoff filter keeps those who asked for a person", bot.Filter{Handoff: true}, []bot.ConversationID{b, e}, 2},
		{"the owned filter keeps those staff took over", bot.Filter{Owned: true}, []bot.ConversationID{c}, 1},
		{"the inactive filter keeps inactive ones", bot.Filter{Inactive: true}, []bot.ConversationID{d}, 1},
		{"since and until bound last activity", bot.Filter{Since: now.Add(-4 * time.Hour), Until: now.Add(-2 * time.Hour)}, []bot.ConversationID{c, d}, 2},
		{"filters combine", bot.Filter{Platform: bot.Telegram, Lang: "ru", Handoff: true}, []bot.ConversationID{b, e}, 2},
		{"search ignores case in Cyrillic", bot.Filter{Query: "помощь"}, []bot.ConversationID{b, e}, 2},
		{"search finds Japanese text", bot.Filter{Query: "人材"}, []bot.ConversationID{a}, 1},
		{"search covers the bot's messages too", bot.Filter{Query: "how can i"}, []bot.ConversationID{a, b, c, d, e}, 5},
		{"search with no hit finds nothing", bot.Filter{Query: "nothing like this"}, nil, 0},
		{"offset and limit page, total counts all", bot.Filter{Offset: 1, Limit: 2}, []bot.ConversationID{b, c}, 5},
		{"an offset past the end gives an empty page", bot.Filter{Offset: 10}, nil, 5},
		{"paging applies after filtering", bot.Filter{Platform: bot.Telegram, Offset: 2, Limit: 5}, []bot.ConversationID{e}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, total, err := s.List(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var got []bot.ConversationID
			for _, m := range ms {
				got = append(got, m.ID)
			}
			if !reflect.DeepEqual(got, tt.want) || total != tt.total {
				t.Errorf("List = %v, total %d; want %v, total %d", got, total, tt.want, tt.total)
			}
		})
	}
}

func testOffsets(t *testing.T, s Store) {
	ctx := t.Context()
	if got, err := s.LoadOffset(ctx, "telegram"); err != nil || got != 0 {
		t.Errorf("LoadOffset of a new name = %d, %v; want 0, nil", got, err)
	}
	for _, want := range []int64{42, 43} {
		if err := s.SaveOffset(ctx, "telegram", want); err != nil {
			t.Fatalf("SaveOffset: %v", err)
		}
		if got, err := s.LoadOffset(ctx, "telegram"); err != nil || got != want {
			t.Errorf("LoadOffset = %d, %v; want %d", got, err, want)
		}
	}
	if got, _ := s.LoadOffset(ctx, "other"); got != 0 {
		t.Errorf("LoadOffset of another name = %d, want 0", got)
	}
}

// testConcurrent runs 200 events for one user at once, each doing what the
// bot does: load, count one up, commit, and on ErrConflict start over.
func testConcurrent(t *testing.T, s Store) {
	const n = 200
	id := bot.ConversationOf(bot.Telegram, "busy")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := Handle(t.Context(), s, id, fmt.Sprintf("ev%d", i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	snap := mustLoad(t, s, id, "")
	if got := string(snap.Session); got != strconv.Itoa(n) {
		t.Errorf("session counter = %s, want %d", got, n)
	}
	es := mustTranscript(t, s, id)
	if len(es) != n {
		t.Fatalf("%d transcript entries, want %d", len(es), n)
	}
	seen := map[string]bool{}
	for i, e := range es {
		if want := strconv.Itoa(i + 1); e.Text != want {
			t.Fatalf("entry %d says %q, want %q", i, e.Text, want)
		}
		if seen[e.EventID] {
			t.Fatalf("event %s has two entries", e.EventID)
		}
		seen[e.EventID] = true
	}
}

// Handle processes one event against s as the bot does: it claims the
// event (the holder is the event id), the session is a counter; each event
// adds one and appends an entry with the new count. A conflict retries; a
// duplicate is done. Tests of a store under stress (a Redis restart,
// benchmarks) use it as a stand-in for the bot.
func Handle(ctx context.Context, s bot.Store, id bot.ConversationID, eventID string) error {
	for {
		snap, err := s.Claim(ctx, id, eventID, eventID)
		if err != nil {
			return err
		}
		if snap.Recorded != nil {
			return nil
		}
		count, _ := strconv.Atoi(string(snap.Session))
		count++
		c := turn(id, eventID, strconv.Itoa(count), entry(strconv.Itoa(count), eventID))
		c.Meta.Turns = count
		c.Holder = eventID
		switch err := s.Commit(ctx, id, snap, c); {
		case err == nil, errors.Is(err, bot.ErrDuplicate):
			return nil
		case !errors.Is(err, bot.ErrConflict):
			return err
		}
	}
}

func testExpiry(t *testing.T, s Store, advance func(time.Duration)) {
	id := bot.ConversationOf(bot.LINE, "Uexp")
	mustCommit(t, s, id, turn(id, "ev1", "one", entry("1", "ev1"))) // at 0
	advance(700 * time.Millisecond)
	if got := mustLoad(t, s, id, ""); string(got.Session) != "one" {
		t.Fatalf("session at 0.7s = %q, want %q", got.Session, "one")
	}
	mustCommit(t, s, id, turn(id, "ev2", "two", entry("2", "ev2"))) // at 0.7: slides to 1.7
	advance(700 * time.Millisecond)
	if got := mustLoad(t, s, id, ""); string(got.Session) != "two" {
		t.Fatalf("session at 1.4s = %q, want %q (the TTL slides)", got.Session, "two")
	}
	advance(500 * time.Millisecond)

	// 1.9: the session has expired; meta, transcript and ev2 are kept.
	snap := mustLoad(t, s, id, "ev2")
	if snap.Session != nil {
		t.Errorf("session at 1.9s = %q, want expired", snap.Session)
	}
	if snap.Meta == nil || snap.Version == 0 {
		t.Errorf("at 1.9s meta %+v version %d; want both kept", snap.Meta, snap.Version)
	}
	if cc, ok := s.(bot.ClaimCommitter); ok {
		// A turn computed from the session before it expired must not
		// bring it back.
		kept := snap
		kept.Session = []byte("two")
		c := turn(id, "ev3", "three")
		c.Holder = "A"
		if err := cc.ClaimCommit(t.Context(), id, kept, c); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("ClaimCommit on the session that expired: %v, want ErrConflict", err)
		}
	}
	if snap.Recorded == nil {
		t.Error("ev2 forgotten before its dedupe TTL")
	}
	if got := mustLoad(t, s, id, "ev1").Recorded; got != nil {
		t.Errorf("ev1 still recorded after its dedupe TTL: %+v", got)
	}
	if got := len(mustTranscript(t, s, id)); got != 2 {
		t.Errorf("%d transcript entries after the session expired, want 2", got)
	}
	// The user starts afresh on the same conversation.
	if err := s.Commit(t.Context(), id, snap, turn(id, "ev3", "fresh", entry("3", "ev3"))); err != nil {
		t.Fatalf("Commit after expiry: %v", err)
	}
	if got := mustLoad(t, s, id, ""); got.Version <= snap.Version {
		t.Errorf("version %d after expiry, want more than %d", got.Version, snap.Version)
	}

	// 1.9 + 2.3: meta and transcript are past their retention.
	advance(2300 * time.Millisecond)
	if got := mustLoad(t, s, id, "ev3"); !reflect.DeepEqual(got, bot.Snapshot{}) {
		t.Errorf("Load after retention = %+v, want nothing", got)
	}
	if _, err := s.Transcript(t.Context(), id); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Transcript after retention: %v, want ErrNotFound", err)
	}
	if ms, n, err := s.List(t.Context(), bot.Filter{}); err != nil || n != 0 || len(ms) != 0 {
		t.Errorf("List after retention = %v, %d, %v; want nothing", ms, n, err)
	}
}

func mustClaim(tb testing.TB, s Store, id bot.ConversationID, eventID, holder string) bot.Snapshot {
	tb.Helper()
	snap, err := s.Claim(tb.Context(), id, eventID, holder)
	if err != nil {
		tb.Fatalf("Claim %s by %s: %v", eventID, holder, err)
	}
	return snap
}

func wantInFlight(tb testing.TB, err error, what string) {
	tb.Helper()
	if !errors.Is(err, bot.ErrInFlight) {
		tb.Errorf("%s: %v, want ErrInFlight", what, err)
	}
}

func testLease(t *testing.T, s Store) {
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Ulease")
	base := mustClaim(t, s, id, "ev1", "A")
	_, err := s.Claim(ctx, id, "ev1", "B")
	wantInFlight(t, err, "Claim by B while A holds the lease")
	base = mustClaim(t, s, id, "ev1", "A") // A's retry after a conflict renews its own lease
	mustClaim(t, s, id, "ev2", "B")        // leases are per event

	stolen := turn(id, "ev1", "by B", entry("B", "ev1"))
	stolen.Holder = "B"
	wantInFlight(t, s.Commit(ctx, id, base, stolen), "Commit by B while A holds the lease")

	c := turn(id, "ev1", "by A", entry("A", "ev1"))
	c.Holder, c.ReplyToken = "A", "tok-ev1"
	if err := s.Commit(ctx, id, base, c); err != nil {
		t.Fatalf("Commit by the holder: %v", err)
	}
	if es := mustTranscript(t, s, id); len(es) != 1 || es[0].Text != "A" {
		t.Errorf("transcript = %+v, want only A's entry", es)
	}
	// The replies are being sent: the lease outlives the commit.
	_, err = s.Claim(ctx, id, "ev1", "B")
	wantInFlight(t, err, "Claim by B while A sends")
	if got := mustLoad(t, s, id, "ev1").Recorded; got == nil || got.Delivered || got.ReplyToken != "tok-ev1" || !bytes.Equal(got.Outcome, c.Outcome) {
		t.Errorf("Recorded = %+v, want the send intent: sending, token tok-ev1, the outcome", got)
	}
	if err := s.MarkDelivered(ctx, id, "ev1"); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	snap := mustClaim(t, s, id, "ev1", "B")
	if got := snap.Recorded; got == nil || !got.Delivered || got.ReplyToken != "tok-ev1" {
		t.Errorf("Recorded after delivery = %+v, want delivered with the token", got)
	}
	// A delivered event takes no lease: anyone may look again.
	mustClaim(t, s, id, "ev1", "C")
}

func testLeaseDeliveredCommit(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.Telegram, "42")
	base := mustClaim(t, s, id, "ev1", "A")
	c := turn(id, "ev1", "one", entry("1", "ev1"))
	c.Holder, c.Delivered = "A", true
	if err := s.Commit(t.Context(), id, base, c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := mustClaim(t, s, id, "ev1", "B").Recorded; got == nil || !got.Delivered || got.ReplyToken != "" {
		t.Errorf("Recorded = %+v, want delivered", got)
	}
}

func testLeaseRelease(t *testing.T, s Store) {
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Urelease")
	mustClaim(t, s, id, "ev1", "A")
	// Only the holder's release counts.
	if err := s.Release(ctx, id, "ev1", "B"); err != nil {
		t.Fatalf("Release by B: %v", err)
	}
	_, err := s.Claim(ctx, id, "ev1", "B")
	wantInFlight(t, err, "Claim by B after B released A's lease")
	// A's commit failed: A releases, and the redelivery is handled now.
	if err := s.Release(ctx, id, "ev1", "A"); err != nil {
		t.Fatalf("Release by A: %v", err)
	}
	base := mustClaim(t, s, id, "ev1", "B")
	if base.Recorded != nil {
		t.Errorf("Recorded = %+v after a failed commit, want none", base.Recorded)
	}
	// B commits and its send fails before anything went out: it releases,
	// and C finds the intent still "sending", to resolve it.
	c := turn(id, "ev1", "by B", entry("B", "ev1"))
	c.Holder, c.ReplyToken = "B", "tok"
	if err := s.Commit(ctx, id, base, c); err != nil {
		t.Fatalf("Commit by B: %v", err)
	}
	if err := s.Release(ctx, id, "ev1", "B"); err != nil {
		t.Fatalf("Release by B: %v", err)
	}
	got := mustClaim(t, s, id, "ev1", "C").Recorded
	if got == nil || got.Delivered || got.ReplyToken != "tok" {
		t.Errorf("C found %+v, want the undelivered intent with its token", got)
	}
	_, err = s.Claim(ctx, id, "ev1", "D")
	wantInFlight(t, err, "Claim by D while C resolves the send")
	// Releasing an event nobody holds is harmless.
	if err := s.Release(ctx, id, "ev9", "A"); err != nil {
		t.Errorf("Release of an unheld event: %v", err)
	}

	// The one-step claim and commit's lease: only its holder's release
	// ends it, and then the next holder finds the intent "sending".
	c, ok := claimCommitSending(t, s, id, "ev2", "E", "tok2")
	if !ok {
		return
	}
	if err := s.Release(ctx, id, "ev2", "F"); err != nil {
		t.Fatalf("Release by F: %v", err)
	}
	_, err = s.Claim(ctx, id, "ev2", "F")
	wantInFlight(t, err, "Claim by F after F released E's lease")
	if err := s.Release(ctx, id, "ev2", "E"); err != nil {
		t.Fatalf("Release by E: %v", err)
	}
	got = mustClaim(t, s, id, "ev2", "F").Recorded
	if got == nil || got.Delivered || got.ReplyToken != "tok2" || !bytes.Equal(got.Outcome, c.Outcome) {
		t.Errorf("F found %+v, want the undelivered intent with its token and outcome", got)
	}
	_, err = s.Claim(ctx, id, "ev2", "G")
	wantInFlight(t, err, "Claim by G while F resolves the send")
}

// claimCommitSending commits ev on id's stored state in one step
// (bot.ClaimCommitter) for holder, with replies to send under token, so
// holder's lease outlives it; ok is false for a store without that step.
func claimCommitSending(t *testing.T, s Store, id bot.ConversationID, ev, holder, token string) (c bot.Commit, ok bool) {
	t.Helper()
	cc, ok := s.(bot.ClaimCommitter)
	if !ok {
		return bot.Commit{}, false
	}
	c = turn(id, ev, "by "+holder, entry(holder, ev))
	c.Holder, c.ReplyToken = holder, token
	if err := cc.ClaimCommit(t.Context(), id, mustLoad(t, s, id, ""), c); err != nil {
		t.Fatalf("ClaimCommit by %s: %v", holder, err)
	}
	return c, true
}

func testLeaseRace(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.LINE, "Urace")
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i := range n {
		wg.Go(func() {
			_, err := s.Claim(t.Context(), id, "ev1", "h"+strconv.Itoa(i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, bot.ErrInFlight):
				lost++
			default:
				t.Errorf("Claim: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 || lost != n-1 {
		t.Errorf("%d claims won and %d refused, want 1 and %d", won, lost, n-1)
	}
}

func testLeaseExpiry(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := t.Context()
	id := bot.ConversationOf(bot.LINE, "Udied")
	base := mustClaim(t, s, id, "ev1", "A")
	advance(800 * time.Millisecond) // A died before committing
	mustClaim(t, s, id, "ev1", "B")
	wantInFlight(t, s.Commit(ctx, id, base, func() bot.Commit {
		c := turn(id, "ev1", "late A", entry("late A", "ev1"))
		c.Holder = "A"
		return c
	}()), "Commit by A after B took the lease over")

	// B commits, then dies while sending.
	base = mustClaim(t, s, id, "ev1", "B")
	c := turn(id, "ev1", "B", entry("B", "ev1"))
	c.Holder, c.ReplyToken = "B", "tok"
	if err := s.Commit(ctx, id, base, c); err != nil {
		t.Fatalf("Commit by B: %v", err)
	}
	advance(800 * time.Millisecond)
	got := mustClaim(t, s, id, "ev1", "C").Recorded
	if got == nil || got.Delivered || got.ReplyToken != "tok" {
		t.Fatalf("C took over %+v, want the undelivered intent with its token", got)
	}
	_, err := s.Claim(ctx, id, "ev1", "D")
	wantInFlight(t, err, "Claim by D while C resolves the send")

	// The same with the one-step claim and commit, whose lease may live
	// elsewhere (inside the record, in Redis).
	if _, ok := claimCommitSending(t, s, id, "ev2", "E", "tok2"); !ok {
		return
	}
	_, err = s.Claim(ctx, id, "ev2", "F")
	wantInFlight(t, err, "Claim by F while E sends")
	advance(800 * time.Millisecond) // E died while sending
	got = mustClaim(t, s, id, "ev2", "F").Recorded
	if got == nil || got.Delivered || got.ReplyToken != "tok2" {
		t.Fatalf("F took over %+v, want the undelivered intent with its token", got)
	}
	_, err = s.Claim(ctx, id, "ev2", "G")
	wantInFlight(t, err, "Claim by G while F resolves the send")
	if err := s.MarkDelivered(ctx, id, "ev2"); err != nil {
		t.Fatal(err)
	}
	if got := mustClaim(t, s, id, "ev2", "G").Recorded; got == nil || !got.Delivered || got.ReplyToken != "tok2" {
		t.Errorf("after F's MarkDelivered G found %+v, want delivered", got)
	}
}

func testMaxEntries(t *testing.T, s Store) {
	id := bot.ConversationOf(bot.Telegram, "77")
	for i := 1; i <= 4; i++ {
		ev := "ev" + strconv.Itoa(i)
		// Two entries a turn: the message and the answer.
		mustCommit(t, s, id, turn(id, ev, strconv.Itoa(i), entry("in "+strconv.Itoa(i), ev), entry("out "+strconv.Itoa(i), ev)))
	}
	var got []string
	for _, e := range mustTranscript(t, s, id) {
		got = append(got, e.Text)
	}
	want := []string{"out 2", "in 3", "out 3", "in 4", "out 4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("transcript = %q, want the newest five %q", got, want)
	}
}
