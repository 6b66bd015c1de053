package bot_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

func mustKB(tb testing.TB) *knowledge.Base {
	tb.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return kb
}

// clock is a fixed, movable clock shared by the store and the bot.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	svc   *bot.Service
	store *memstore.Store
	clock *clock
	n     int
}

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	c := newClock()
	st := memstore.New(memstore.Options{Now: c.Now})
	svc, err := bot.New(st, mustKB(tb), bot.Options{Now: c.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &harness{svc: svc, store: st, clock: c}
}

func (h *harness) send(tb testing.TB, ev bot.Event) bot.Outcome {
	tb.Helper()
	h.n++
	if ev.Platform == "" {
		ev.Platform = bot.Telegram
	}
	if ev.UserID == "" {
		ev.UserID = "u1"
	}
	if ev.EventID == "" {
		ev.EventID = fmt.Sprintf("ev-%d", h.n)
	}
	out, err := h.svc.Handle(context.Background(), ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func press(p string) bot.Event { return bot.Event{Kind: bot.KindChoice, Text: p} }

// choiceFor finds the payload whose prefix matches, among the last reply's
// buttons.
func choiceFor(tb testing.TB, out bot.Outcome, prefix string) string {
	tb.Helper()
	last := out.Replies[len(out.Replies)-1]
	for _, c := range last.Choices {
		if strings.HasPrefix(c.Payload, prefix) {
			return c.Payload
		}
	}
	tb.Fatalf("no choice %q among %+v", prefix, last.Choices)
	return ""
}

var routes = []struct{ id, location string }{{"direct", "kg"}, {"center", "kg"}, {"agency", "kg"}, {"japan", "jp"}}

// TestGoldenTranscripts walks every role × route × language to the end and
// compares the whole conversation with testdata/golden; run with -update
// after a content change and review the diff.
func TestGoldenTranscripts(t *testing.T) {
	for _, lang := range knowledge.Languages {
		for _, role := range []string{"employer", "worker", "other"} {
			for _, rt := range routes {
				name := fmt.Sprintf("%s/%s-%s", lang, role, rt.id)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t)
					var b strings.Builder
					record := func(label string, out bot.Outcome) {
						fmt.Fprintf(&b, "> %s\n", label)
						for _, r := range out.Replies {
							if n := utf8.RuneCountInString(r.Text); n > bot.MaxBubble {
								t.Errorf("%s: a bubble of %d characters, over the budget of %d", label, n, bot.MaxBubble)
							}
							b.WriteString(r.Text + "\n")
							for _, c := range r.Choices {
								fmt.Fprintf(&b, "  [%s] %s\n", c.Label, c.Payload)
							}
							for _, l := range r.Links {
								fmt.Fprintf(&b, "  (link) %s %s\n", l.Label, l.URL)
							}
							b.WriteString("---\n")
						}
					}
					out := h.send(t, bot.Event{Kind: bot.KindStart, Lang: lang})
					record("start", out)
					for _, p := range []string{"r:" + role, "w:" + rt.location} {
						out = h.send(t, press(p))
						record(p, out)
					}
					if rt.location == "kg" {
						out = h.send(t, press("rt:"+rt.id))
						record("rt:"+rt.id, out)
					}
					for i := 0; i < 20; i++ {
						p := ""
						for _, c := range out.Replies[len(out.Replies)-1].Choices {
							if strings.HasPrefix(c.Payload, "n:") || strings.HasPrefix(c.Payload, "fin:") {
								p = c.Payload
							}
						}
						if p == "" {
							break
						}
						out = h.send(t, press(p))
						record(p, out)
					}
					if !strings.Contains(b.String(), "> fin:") {
						t.Fatal("the walk never reached the last step")
					}
					// The summary and "All steps" right after it tell one truth.
					summary := markedLines(out)
					out = h.send(t, press("all"))
					record("all", out)
					if all := markedLines(out); strings.Join(all, "\n") != strings.Join(summary, "\n") || len(all) == 0 {
						t.Errorf("after finishing, the summary shows\n%s\nbut All steps shows\n%s",
							strings.Join(summary, "\n"), strings.Join(all, "\n"))
					}
					out = h.send(t, press(bot.PayloadContacts))
					record(bot.PayloadContacts, out)
					golden(t, filepath.Join("testdata", "golden", lang, role+"-"+rt.id+".txt"), b.String())
				})
			}
		}
	}
}

// markedLines returns the checklist lines ("✅ 1. …") of a reply.
func markedLines(out bot.Outcome) []string {
	var lines []string
	for _, r := range out.Replies {
		for _, l := range strings.Split(r.Text, "\n") {
			if markedLine.MatchString(l) {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

var markedLine = regexp.MustCompile(`^(✅|▶|⬜) [0-9]+\. `)

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from the golden file; run go test ./bot -update and review the diff.\ngot:\n%s", path, got)
	}
}

func TestDuplicateEventChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "en", EventID: "e1"})
	first := h.send(t, bot.Event{Kind: bot.KindChoice, Text: "r:worker", EventID: "e2", ReplyToken: "tok2"})
	// While the first handler may still be sending, a copy is refused.
	_, err := h.svc.Handle(context.Background(), bot.Event{Platform: bot.Telegram, UserID: "u1", Kind: bot.KindChoice, Text: "r:worker", EventID: "e2"})
	if !errors.Is(err, bot.ErrInFlight) {
		t.Fatalf("a copy while sending: err = %v, want ErrInFlight", err)
	}
	// The first handler died: its lease runs out and the copy takes over.
	h.clock.Advance(time.Minute)
	again := h.send(t, bot.Event{Kind: bot.KindChoice, Text: "r:worker", EventID: "e2"})
	if again.ReplyToken != "tok2" {
		t.Errorf("the redelivery got reply token %q, want the recorded tok2", again.ReplyToken)
	}
	if !again.Duplicate || again.Delivered {
		t.Fatalf("duplicate = %v, delivered = %v; want true, false", again.Duplicate, again.Delivered)
	}
	if got, want := again.Replies[0].Text, first.Replies[0].Text; got != want {
		t.Fatalf("duplicate replies differ:\n%s\nwant\n%s", got, want)
	}
	id := bot.ConversationOf(bot.Telegram, "u1")
	if err := h.svc.MarkDelivered(context.Background(), id, "e2"); err != nil {
		t.Fatal(err)
	}
	if third := h.send(t, bot.Event{Kind: bot.KindChoice, Text: "r:worker", EventID: "e2"}); !third.Delivered {
		t.Fatal("a delivered duplicate is not reported as delivered")
	}
	es, err := h.store.Transcript(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var ins int
	for _, e := range es {
		if e.Dir == bot.In {
			ins++
		}
	}
	if ins != 2 {
		t.Fatalf("%d incoming entries, want 2", ins)
	}
	m, _ := h.store.Meta(context.Background(), id)
	if m.Turns != 2 {
		t.Fatalf("turns = %d, want 2", m.Turns)
	}
}

func TestConcurrentEventsForOneUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "ru", EventID: "start"})
	sendConcurrently(t, h.svc, bot.Telegram, "u1", 200)
	checkInterleaving(t, h.store, bot.ConversationOf(bot.Telegram, "u1"), 201, 200)
}

// sendConcurrently handles n events for one user at once, each with its own
// event id and each changing the conversation (an unrecognised message
// counts in Meta.Misses), and fails on any error.
func sendConcurrently(t *testing.T, svc *bot.Service, p bot.Platform, user string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Handle(context.Background(), bot.Event{
				Platform: p, UserID: user, EventID: fmt.Sprintf("c%d", i),
				Kind: bot.KindText, Text: fmt.Sprintf("zzz %d", i),
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkInterleaving asserts one incoming entry per event, each followed
// directly by its own replies: turns never interleave.
func checkInterleaving(t *testing.T, idx bot.Index, id bot.ConversationID, want, misses int) {
	t.Helper()
	es, err := idx.Transcript(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cur := ""
	for _, e := range es {
		switch e.Dir {
		case bot.In:
			if seen[e.EventID] {
				t.Fatalf("event %s recorded twice", e.EventID)
			}
			seen[e.EventID], cur = true, e.EventID
		case bot.Out:
			if e.EventID != cur {
				t.Fatalf("a reply to %s follows the message of %s", e.EventID, cur)
			}
		}
	}
	if len(seen) != want {
		t.Fatalf("%d events recorded, want %d", len(seen), want)
	}
	m, err := idx.Meta(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Turns != want || m.Misses != misses {
		t.Fatalf("meta counts %d turns and %d misses, want %d and %d: an update was lost", m.Turns, m.Misses, want, misses)
	}
}

func TestExpiredSessionIsAnnounced(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "en"})
	h.send(t, press("r:employer"))
	h.clock.Advance(31 * 24 * time.Hour)
	out := h.send(t, bot.Event{Kind: bot.KindText, Text: "hello"})
	if !strings.Contains(out.Replies[0].Text, h.kbText(t, "expired", "en")) {
		t.Fatalf("no expiry notice in %q", out.Replies[0].Text)
	}
	if got := choiceFor(t, out, "r:"); got != "r:employer" {
		t.Fatalf("first choice %q, want the role question again", got)
	}
}

func (h *harness) kbText(t *testing.T, key, lang string) string {
	t.Helper()
	s := mustKB(t).UIText(key, lang)
	s, _, _ = strings.Cut(s, "{") // placeholders are filled in
	return s
}

func TestForgetErasesTheConversation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "ky"})
	h.send(t, press(bot.PayloadForget))
	out := h.send(t, press("fy"))
	if !strings.Contains(out.Replies[0].Text, h.kbText(t, "forgotten", "ky")) {
		t.Fatalf("reply %q", out.Replies[0].Text)
	}
	_, err := h.store.Meta(context.Background(), bot.ConversationOf(bot.Telegram, "u1"))
	if !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("meta after forget: err = %v, want ErrNotFound", err)
	}
}

func TestStaffOwnsTheConversation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	id := bot.ConversationOf(bot.Telegram, "u1")
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "ru"})
	h.send(t, press(bot.PayloadStaff))
	if m, _ := h.store.Meta(ctx, id); !m.Handoff {
		t.Fatal("asking for a person did not set the handoff flag")
	}
	notice, err := h.svc.TakeOver(ctx, id, "aiko")
	if err != nil || notice == "" {
		t.Fatalf("TakeOver = %q, %v", notice, err)
	}
	if out := h.send(t, bot.Event{Kind: bot.KindText, Text: "где посольство?"}); !out.Silent || len(out.Replies) != 0 {
		t.Fatalf("the bot spoke while a person owns the conversation: %+v", out)
	}
	if err := h.svc.StaffReply(ctx, id, "bakyt", "Салам!"); !errors.Is(err, bot.ErrNotOwner) {
		t.Fatalf("a reply by someone who does not own the conversation: err = %v, want ErrNotOwner", err)
	}
	if _, err := h.svc.HandBack(ctx, id, "bakyt"); !errors.Is(err, bot.ErrNotOwner) {
		t.Fatalf("a hand-back by someone who does not own the conversation: err = %v, want ErrNotOwner", err)
	}
	if err := h.svc.StaffReply(ctx, id, "aiko", "Здравствуйте!"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.HandBack(ctx, id, "aiko"); err != nil {
		t.Fatal(err)
	}
	if out := h.send(t, press(bot.PayloadHelp)); out.Silent || len(out.Replies) == 0 {
		t.Fatal("the bot stayed silent after hand-back")
	}
	m, _ := h.store.Meta(ctx, id)
	if m.Owner != "" || m.Handoff {
		t.Fatalf("after hand-back owner = %q, handoff = %v", m.Owner, m.Handoff)
	}
	es, _ := h.store.Transcript(ctx, id)
	var staff int
	for _, e := range es {
		if e.Staff == "aiko" {
			staff++
		}
	}
	if staff != 3 {
		t.Fatalf("%d staff entries, want 3 (take over, reply, hand back)", staff)
	}
}

func TestStopMarksInactive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "ja", Platform: bot.LINE})
	if out := h.send(t, bot.Event{Kind: bot.KindStop, Platform: bot.LINE}); len(out.Replies) != 0 {
		t.Fatalf("a stop event got replies: %+v", out.Replies)
	}
	m, _ := h.store.Meta(context.Background(), bot.ConversationOf(bot.LINE, "u1"))
	if !m.Inactive {
		t.Fatal("not marked inactive")
	}
}

func TestLINEDefaultsToJapanese(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	out := h.send(t, bot.Event{Kind: bot.KindStart, Platform: bot.LINE})
	if !strings.Contains(out.Replies[0].Text, h.kbText(t, "ask_role", "ja")) {
		t.Fatalf("LINE follow without a language did not answer in Japanese: %q", out.Replies[0].Text)
	}
}

func TestGroupChatsGetOneFixedAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	out := h.send(t, bot.Event{Kind: bot.KindGroup, Platform: bot.LINE, UserID: "C123", Lang: "ja"})
	if len(out.Replies) != 1 || out.Replies[0].Text != mustKB(t).UIText("group_only", "ja") {
		t.Fatalf("replies %+v", out.Replies)
	}
	if _, err := h.store.Meta(context.Background(), bot.ConversationOf(bot.LINE, "C123")); !errors.Is(err, bot.ErrNotFound) {
		t.Fatal("a group chat was stored")
	}
}

func BenchmarkHandle(b *testing.B) {
	for _, users := range []int{1, 10000} {
		b.Run(fmt.Sprintf("memstore/users=%d", users), func(b *testing.B) {
			st := memstore.New(memstore.Options{})
			benchHandle(b, st, users, measureCPU(b))
		})
	}
	b.Run("memstore/walk", func(b *testing.B) {
		benchWalk(b, memstore.New(memstore.Options{}), 997)
	})
}

// measureCPU reports the CPU this process spends per event (cpu-µs/event,
// garbage collection included): on a shared machine the steadier measure.
func measureCPU(b *testing.B) func() func() {
	return func() func() {
		start := selfCPU()
		return func() { b.ReportMetric(float64(selfCPU()-start)/float64(b.N)/1e3, "cpu-µs/event") }
	}
}

// benchWalk is what the load tool sends serve (cmd/sswload): users on LINE
// who type "1" at every answer, so they walk their routes through every
// question and step (each answer a card, the step texts split into
// bubbles) and start over at the end, round-robin.
func benchWalk(b *testing.B, st bot.Store, users int) {
	svc, err := bot.New(st, mustKB(b), bot.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := benchRuns.Add(1)
	ids := make([]string, users)
	for u := range ids {
		ids[u] = fmt.Sprintf("U%032d", u)
		if _, err := svc.Handle(ctx, bot.Event{Platform: bot.LINE, UserID: ids[u], EventID: fmt.Sprintf("w%d-%d", run, u), Kind: bot.KindStart}); err != nil {
			b.Fatal(err)
		}
	}
	evs := make([]string, 1<<16)
	for i := range evs {
		evs[i] = fmt.Sprintf("%d-%026d", run, i)
	}
	done := measureCPU(b)()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := bot.Event{Platform: bot.LINE, UserID: ids[i%users], EventID: evs[i%len(evs)] + strconv.Itoa(i/len(evs)), Kind: bot.KindText, Text: "1", ReplyToken: "rt"}
		out, err := svc.Handle(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.MarkDelivered(ctx, ev.Conversation(), ev.EventID); err != nil && !out.Duplicate {
			b.Fatal(err)
		}
		i++
	}
	done()
}

// benchHandle sends help requests round-robin over users (each turn is a
// full load → dialog → render → commit) and reports events per second.
// measure, when given, is called once the users are set up and returns
// the function that reports what was measured.
func benchHandle(b *testing.B, st bot.Store, users int, measure ...func() func()) {
	svc := benchService(b, st, users)
	done := func() {}
	if len(measure) > 0 {
		done = measure[0]()
	}
	ctx := context.Background()
	run := benchRuns.Add(1)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	start := time.Now()
	for b.Loop() {
		u := i % users
		_, err := svc.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: fmt.Sprint(u), EventID: fmt.Sprintf("b%d-%d", run, i), Kind: bot.KindChoice, Text: "r:worker"})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "events/s")
	done()
}

// benchRuns tells the runs of a benchmark function apart (the testing
// package calls it again with a larger b.N): each run's events are new.
var benchRuns atomic.Int64

// benchService is a Service over st whose users have started.
func benchService(b *testing.B, st bot.Store, users int) *bot.Service {
	svc, err := bot.New(st, mustKB(b), bot.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := benchRuns.Add(1)
	for u := range users {
		if _, err := svc.Handle(ctx, bot.Event{Platform: bot.Telegram, UserID: fmt.Sprint(u), EventID: fmt.Sprintf("s%d-%d", run, u), Kind: bot.KindStart, Lang: "ru"}); err != nil {
			b.Fatal(err)
		}
	}
	return svc
}

func TestTypedLabelsCountAsChoices(t *testing.T) {
	t.Parallel()
	kb := mustKB(t)
	for _, lang := range knowledge.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.send(t, bot.Event{Kind: bot.KindStart, Lang: lang})
			// Any language's label works, whatever the conversation's language.
			other := knowledge.Languages[(indexOf(knowledge.Languages, lang)+1)%4]
			out := h.send(t, bot.Event{Kind: bot.KindText, Text: "  " + strings.ToUpper(kb.UIText("role_worker", other)) + " "})
			if got := choiceFor(t, out, "w:"); got != "w:kg" {
				t.Fatalf("typing the worker label did not lead to the location question")
			}
			out = h.send(t, bot.Event{Kind: bot.KindText, Text: kb.UIText("loc_jp", lang)})
			out = h.send(t, bot.Event{Kind: bot.KindText, Text: kb.UIText("btn_next", lang)})
			if got := choiceFor(t, out, "fin:"); got != "fin:B.2" {
				t.Fatalf("typing %q did not go to the next step", kb.UIText("btn_next", lang))
			}
		})
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// failingForget is a store whose Forget fails until told otherwise.
type failingForget struct {
	*memstore.Store
	fail bool
}

func (f *failingForget) Forget(ctx context.Context, id bot.ConversationID) error {
	if f.fail {
		return fmt.Errorf("forget: %w", bot.ErrUnavailable)
	}
	return f.Store.Forget(ctx, id)
}

func TestARedeliveryFinishesAFailedErase(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := &failingForget{Store: memstore.New(memstore.Options{Now: c.Now})}
	svc, err := bot.New(st, mustKB(t), bot.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := func(id string, kind bot.Kind, text string) bot.Event {
		return bot.Event{Platform: bot.Telegram, UserID: "9", EventID: id, Kind: kind, Text: text, Lang: "en"}
	}
	for _, e := range []bot.Event{ev("1", bot.KindStart, ""), ev("2", bot.KindChoice, bot.PayloadForget)} {
		if _, err := svc.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st.fail = true
	if _, err := svc.Handle(ctx, ev("3", bot.KindChoice, "fy")); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable so the platform redelivers", err)
	}
	st.fail = false
	// No waiting: the failed handler gave its lease back.
	out, err := svc.Handle(ctx, ev("3", bot.KindChoice, "fy"))
	if err != nil || !out.Duplicate {
		t.Fatalf("redelivery: duplicate = %v, err = %v", out.Duplicate, err)
	}
	if _, err := st.Meta(ctx, bot.ConversationOf(bot.Telegram, "9")); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("the conversation survived: %v", err)
	}
}

// failingCommit is a store whose Commit fails while fail is set.
type failingCommit struct {
	*memstore.Store
	fail bool
}

func (f *failingCommit) Commit(ctx context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit) error {
	if f.fail {
		return fmt.Errorf("commit: %w", bot.ErrUnavailable)
	}
	return f.Store.Commit(ctx, id, base, c)
}

func TestAFailedCommitReleasesTheLease(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := &failingCommit{Store: memstore.New(memstore.Options{Now: c.Now}), fail: true}
	svc, err := bot.New(st, mustKB(t), bot.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := bot.Event{Platform: bot.Telegram, UserID: "9", EventID: "1", Kind: bot.KindStart, Lang: "en"}
	if _, err := svc.Handle(ctx, ev); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	st.fail = false
	// The clock stands still: only a released lease lets the copy in.
	out, err := svc.Handle(ctx, ev)
	if err != nil || out.Duplicate || len(out.Replies) == 0 {
		t.Fatalf("redelivery: %+v, err = %v; want it handled at once", out, err)
	}
	if out.Lease == "" {
		t.Error("Outcome.Lease is empty")
	}
	// An adapter that could send nothing releases too: the next copy
	// resolves the uncertain send at once.
	if err := svc.Release(ctx, ev.Conversation(), ev.EventID, out.Lease); err != nil {
		t.Fatal(err)
	}
	again, err := svc.Handle(ctx, ev)
	if err != nil || !again.Duplicate || again.Delivered {
		t.Fatalf("copy after Release: duplicate %v delivered %v err %v; want the undelivered intent", again.Duplicate, again.Delivered, err)
	}
	// Another handler's lease is not ours to release.
	if err := svc.Release(ctx, ev.Conversation(), ev.EventID, out.Lease); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(ctx, ev); !errors.Is(err, bot.ErrInFlight) {
		t.Fatalf("err = %v, want ErrInFlight: the stale lease name released nothing", err)
	}
}

func TestSlashCommandsWorkTypedOnLINE(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Platform: bot.LINE})
	for _, c := range []struct{ cmd, want, then string }{
		{"/staff", "r:employer", ""},
		{"/forget", "fy", "fn"},
		{"/lang", "l:ja", "l:ja"},
		{"/restart", "r:employer", ""},
		{"/help", "r:employer", ""},
	} {
		out := h.send(t, bot.Event{Kind: bot.KindText, Text: c.cmd, Platform: bot.LINE})
		if got := choiceFor(t, out, c.want); got != c.want {
			t.Errorf("%s: no %s button", c.cmd, c.want)
		}
		if c.then != "" {
			h.send(t, bot.Event{Kind: bot.KindChoice, Text: c.then, Platform: bot.LINE})
		}
	}
}

func TestHalfWidthKatakanaIsUnderstood(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Platform: bot.LINE})
	out := h.send(t, bot.Event{Kind: bot.KindText, Text: "ﾍﾙﾌﾟ", Platform: bot.LINE})
	if !strings.Contains(out.Replies[0].Text, mustKB(t).UIText("help", "ja")[:30]) {
		t.Fatalf("ﾍﾙﾌﾟ did not bring help: %q", out.Replies[0].Text)
	}
}

// TestASecondCountryIsOneMoreFile loads the shipped content plus a second
// country file: the dialog then asks for the country, without code changes.
func TestASecondCountryIsOneMoreFile(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	for _, name := range []string{"ssw.yaml", "kg.yaml"} {
		b, err := fs.ReadFile(knowledge.Content(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	uz := strings.Replace(string(fsys["kg.yaml"].Data), "country: kg", "country: uz", 1)
	uz = strings.Replace(uz, `  en: "Kyrgyzstan"`, `  en: "Uzbekistan"`, 1)
	fsys["uz.yaml"] = &fstest.MapFile{Data: []byte(uz)}
	kb, err := knowledge.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New(memstore.Options{})
	svc, err := bot.New(st, kb, bot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{svc: svc, store: st}
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "en"})
	out := h.send(t, press("r:employer"))
	last := out.Replies[len(out.Replies)-1]
	if !strings.Contains(last.Text, kb.UIText("ask_country", "en")) || len(last.Choices) < 2 || last.Choices[1].Label != "Uzbekistan" {
		t.Fatalf("no country question: %+v", last)
	}
	h.send(t, press("k:uz"))
	h.send(t, press("w:kg"))
	out = h.send(t, press("rt:direct"))
	if !strings.Contains(joinTexts(out), "A.1.1") {
		t.Fatalf("the walk did not start: %q", joinTexts(out))
	}
	m, _ := st.Meta(context.Background(), bot.ConversationOf(bot.Telegram, "u1"))
	if m.Country != "uz" || m.Route != "direct" {
		t.Fatalf("meta country %q route %q", m.Country, m.Route)
	}
}

func TestAStopKeepsAnExpiredSessionExpired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "ru"})
	h.clock.Advance(31 * 24 * time.Hour)
	h.send(t, bot.Event{Kind: bot.KindStop})
	out := h.send(t, bot.Event{Kind: bot.KindText, Text: "привет"})
	if !strings.Contains(out.Replies[0].Text, h.kbText(t, "expired", "ru")) {
		t.Fatalf("no expiry notice after a stop: %q", out.Replies[0].Text)
	}
}

func TestOverlappingDeliveriesOfOneEventAreHandledOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(t, bot.Event{Kind: bot.KindStart, Lang: "en", EventID: "e1"})
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var handled, refused int
	for range n {
		wg.Go(func() {
			out, err := h.svc.Handle(context.Background(), bot.Event{Platform: bot.Telegram, UserID: "u1", EventID: "e2", Kind: bot.KindChoice, Text: "r:worker"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && !out.Duplicate && len(out.Replies) > 0:
				handled++
			case errors.Is(err, bot.ErrInFlight):
				refused++
			default:
				t.Errorf("out = %+v, err = %v", out, err)
			}
		})
	}
	wg.Wait()
	if handled != 1 || refused != n-1 {
		t.Fatalf("%d copies handled and %d refused, want 1 and %d", handled, refused, n-1)
	}
	m, _ := h.store.Meta(context.Background(), bot.ConversationOf(bot.Telegram, "u1"))
	if m.Turns != 2 {
		t.Fatalf("turns = %d, want 2", m.Turns)
	}
}

func TestAnEventWithoutAnIDIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, p := range []bot.Platform{bot.LINE, bot.Telegram} {
		_, err := h.svc.Handle(context.Background(), bot.Event{Platform: p, UserID: "u1", Kind: bot.KindText, Text: "hello"})
		if !errors.Is(err, bot.ErrNoEventID) {
			t.Errorf("%s: err = %v, want ErrNoEventID", p, err)
		}
		if _, err := h.store.Meta(context.Background(), bot.ConversationOf(p, "u1")); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("%s: something was stored: %v", p, err)
		}
	}
}

func TestLongTextsAreStoredCutWithAMarker(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := memstore.New(memstore.Options{Now: c.Now})
	svc, err := bot.New(st, mustKB(t), bot.Options{Now: c.Now, MaxStoredText: 10})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("ж", 25)
	if _, err := svc.Handle(context.Background(), bot.Event{Platform: bot.Telegram, UserID: "5", EventID: "1", Kind: bot.KindText, Text: long, Lang: "ru"}); err != nil {
		t.Fatal(err)
	}
	es, err := st.Transcript(context.Background(), bot.ConversationOf(bot.Telegram, "5"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ж", 10) + " … [15 more characters not stored]"; es[0].Text != want {
		t.Errorf("stored %q, want %q", es[0].Text, want)
	}
	for _, e := range es[1:] {
		if n := utf8.RuneCountInString(e.Text); n > 10+len(" … [9999 more characters not stored]") {
			t.Errorf("a reply stored with %d characters", n)
		}
	}
}

// joinTexts is the whole plain text of an outcome.
func joinTexts(out bot.Outcome) string {
	var b strings.Builder
	for _, r := range out.Replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// The outcome says when a turn set the language, so LINE can switch the
// user's rich menu.
func TestOutcomeReportsLanguageChange(t *testing.T) {
	h := newHarness(t)
	steps := []struct {
		ev      bot.Event
		lang    string
		changed bool
	}{
		{bot.Event{Kind: bot.KindStart}, "", false},
		{bot.Event{Kind: bot.KindChoice, Text: "l:ru"}, "ru", true},
		{bot.Event{Kind: bot.KindChoice, Text: bot.PayloadContacts}, "ru", false},
		{bot.Event{Kind: bot.KindChoice, Text: bot.PayloadLang}, "ru", false},
		{bot.Event{Kind: bot.KindChoice, Text: "l:ky"}, "ky", true},
	}
	for i, s := range steps {
		out := h.send(t, s.ev)
		if out.Lang != s.lang || out.LangChanged != s.changed {
			t.Errorf("turn %d (%s %q): Lang %q changed %v, want %q %v", i, s.ev.Kind, s.ev.Text, out.Lang, out.LangChanged, s.lang, s.changed)
		}
	}
}
