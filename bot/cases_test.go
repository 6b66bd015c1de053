package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
)

// notifier is a fake platform that records what the outbox sends.
type notifier struct {
	mu   sync.Mutex
	sent []notified
	err  error
}

type notified struct {
	userID, id string
	replies    []bot.Reply
}

func (n *notifier) Notify(_ context.Context, userID, id string, replies []bot.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.sent = append(n.sent, notified{userID, id, replies})
	return nil
}

func (n *notifier) take() []notified {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.sent
	n.sent = nil
	return out
}

// caseHarness is a bot with shared cases on the in-memory store, a LINE and
// a Telegram notifier.
type caseHarness struct {
	*harness
	line, tg *notifier
}

func newCaseHarness(tb testing.TB) *caseHarness {
	tb.Helper()
	c := newClock()
	st := memstore.New(memstore.Options{Now: c.Now})
	svc, err := bot.New(st, mustKB(tb), bot.Options{Now: c.Now, Cases: st,
		InviteLink: func(code string) string { return "https://t.me/ssw_test_bot?start=" + code }})
	if err != nil {
		tb.Fatal(err)
	}
	return &caseHarness{harness: &harness{svc: svc, store: st, clock: c}, line: &notifier{}, tg: &notifier{}}
}

func (h *caseHarness) drain(tb testing.TB) int {
	tb.Helper()
	n, err := h.svc.DrainOutbox(context.Background(), map[bot.Platform]bot.Notifier{bot.LINE: h.line, bot.Telegram: h.tg})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

var codePattern = regexp.MustCompile(`[2-9A-HJ-NP-Z]{10}`)

// TestSharedCaseGolden follows one shared case in each language: the
// employer (LINE) invites, the worker (Telegram) joins with the code, both
// mark steps, each is notified in their language, the worker leaves.
func TestSharedCaseGolden(t *testing.T) {
	for _, lang := range knowledge.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h := newCaseHarness(t)
			var b strings.Builder
			code := ""
			write := func(label string, replies []bot.Reply) {
				fmt.Fprintf(&b, "%s\n", label)
				for _, r := range replies {
					if n := utf8.RuneCountInString(r.Text); n > bot.MaxBubble {
						t.Errorf("%s: a bubble of %d characters", label, n)
					}
					text := r.Text
					if code != "" {
						text = strings.ReplaceAll(text, code, "<CODE>")
					}
					b.WriteString(text + "\n")
					for _, c := range r.Choices {
						fmt.Fprintf(&b, "  [%s] %s\n", c.Label, strings.ReplaceAll(c.Payload, code, "<CODE>"))
					}
					b.WriteString("---\n")
				}
			}
			org := func(ev bot.Event) bot.Outcome {
				ev.Platform, ev.UserID, ev.DisplayName, ev.Lang = bot.LINE, "Uorg", "ACME", lang
				out := h.send(t, ev)
				write("> employer: "+strings.ReplaceAll(ev.Text, code, "<CODE>"), out.Replies)
				return out
			}
			worker := func(ev bot.Event) bot.Outcome {
				ev.Platform, ev.UserID, ev.DisplayName, ev.Lang = bot.Telegram, "42", "Aibek", lang
				out := h.send(t, ev)
				write("> worker: "+strings.ReplaceAll(ev.Text, code, "<CODE>"), out.Replies)
				return out
			}
			notices := func() {
				h.drain(t)
				for _, n := range h.line.take() {
					write("< employer is notified", n.replies)
				}
				for _, n := range h.tg.take() {
					write("< worker is notified", n.replies)
				}
			}
			h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: lang, Kind: bot.KindStart})
			for _, p := range []string{"r:employer", "w:kg", "rt:direct"} {
				h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: lang, Kind: bot.KindChoice, Text: p})
			}
			out := org(press("ci"))
			code = codePattern.FindString(out.Replies[0].Text)
			if code == "" {
				t.Fatalf("no invite code in %q", out.Replies[0].Text)
			}
			b.Reset()
			write("> employer: ci", out.Replies) // again, with the code masked
			worker(bot.Event{Kind: bot.KindStart, Text: code})
			worker(press("jy:" + code))
			notices()
			org(press("n:A.1.1"))
			org(press("cd:A.4"))
			notices()
			worker(press("cp:A.1.1"))
			notices()
			worker(press("n:A.1.1"))
			worker(press("n:A.4"))
			mark := bot.Event{Kind: bot.KindChoice, Text: "cd:A.5", EventID: "mark-a5"}
			worker(mark)
			notices()
			// A redelivered mark: the recorded answer again, no second notice.
			if err := h.svc.MarkDelivered(context.Background(), bot.ConversationOf(bot.Telegram, "42"), "mark-a5"); err != nil {
				t.Fatal(err)
			}
			worker(mark)
			if n := h.drain(t); n != 0 {
				t.Errorf("a redelivered mark sent %d notifications", n)
			}
			org(press("cs"))
			worker(press("chg"))
			worker(press("cl"))
			notices()
			org(press("cs"))
			golden(t, filepath.Join("testdata", "golden", lang, "shared-case.txt"), b.String())
		})
	}
}

// TestForgetOneSideLeavesTheOtherIntact: forgetting the worker erases that
// side (no name, no conversation id in the case) and tells the employer;
// the employer's conversation and walk stay.
func TestForgetOneSideLeavesTheOtherIntact(t *testing.T) {
	t.Parallel()
	h := newCaseHarness(t)
	ctx := context.Background()
	org := func(p string) bot.Outcome {
		return h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "ja", Kind: bot.KindChoice, Text: p})
	}
	wk := func(ev bot.Event) bot.Outcome {
		ev.Platform, ev.UserID, ev.DisplayName, ev.Lang = bot.Telegram, "42", "Aibek", "ky"
		return h.send(t, ev)
	}
	h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "ja", Kind: bot.KindStart})
	for _, p := range []string{"r:employer", "w:kg", "rt:direct"} {
		org(p)
	}
	code := codePattern.FindString(org("ci").Replies[0].Text)
	wk(bot.Event{Kind: bot.KindStart, Text: code})
	wk(press("jy:" + code))
	h.drain(t)
	h.line.take()
	wk(press(bot.PayloadForget))
	wk(press("fy"))
	h.drain(t)
	sent := h.line.take()
	if len(sent) != 1 || !strings.Contains(sent[0].replies[0].Text, "Aibek") {
		t.Fatalf("the employer was told %+v; want one notice naming the worker", sent)
	}
	cs, _ := h.store.Cases(ctx)
	if len(cs) != 1 {
		t.Fatalf("cases = %+v", cs)
	}
	for _, p := range cs[0].Parties {
		if p.Side == "worker" && (p.Conv != "" || p.Name != "" || !p.Left) {
			t.Errorf("the forgotten worker is still in the case: %+v", p)
		}
	}
	if _, err := h.store.Meta(ctx, bot.ConversationOf(bot.Telegram, "42")); err == nil {
		t.Error("the worker's conversation is still stored")
	}
	m, err := h.store.Meta(ctx, bot.ConversationOf(bot.LINE, "Uorg"))
	if err != nil || m.Route != "direct" {
		t.Fatalf("the employer's conversation: %+v, %v; want it intact", m, err)
	}
	out := org("cs")
	if strings.Contains(out.Replies[0].Text, "Aibek") {
		t.Errorf("the employer still sees the forgotten worker's name: %q", out.Replies[0].Text)
	}
}

// TestWrongCodesAreSlowedDown: after a few wrong codes the next try waits,
// even with the right code.
func TestWrongCodesAreSlowedDown(t *testing.T) {
	t.Parallel()
	h := newCaseHarness(t)
	h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "en", Kind: bot.KindStart})
	for _, p := range []string{"r:employer", "w:kg", "rt:direct"} {
		h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindChoice, Text: p})
	}
	out := h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", Lang: "en", Kind: bot.KindChoice, Text: "ci"})
	code := codePattern.FindString(out.Replies[0].Text)
	wk := func(text string) string {
		out := h.send(t, bot.Event{Platform: bot.Telegram, UserID: "42", Lang: "en", Kind: bot.KindText, Text: text})
		return out.Replies[0].Text
	}
	wk("hello")
	for i := 0; i < 3; i++ {
		if got := wk("/join 22222-22222"); !strings.Contains(got, "not valid") {
			t.Fatalf("wrong code %d: %q", i, got)
		}
	}
	if got := wk("/join " + code); !strings.Contains(got, "try again in 1 min") {
		t.Fatalf("the right code right after three wrong ones: %q; want to wait", got)
	}
	h.clock.Advance(2 * 60 * 1e9)
	if got := wk("/join " + strings.ToLower(code)); !strings.Contains(got, "ACME") && !strings.Contains(got, "invites you") {
		t.Fatalf("after the wait: %q; want the consent question", got)
	}
}

// TestABlockedSideGetsNoNotices: a worker who blocked the bot (a stop) is
// inactive in the case and not notified; their next message makes them
// active again.
func TestABlockedSideGetsNoNotices(t *testing.T) {
	t.Parallel()
	h := newCaseHarness(t)
	org := func(p string) bot.Outcome {
		return h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "en", Kind: bot.KindChoice, Text: p})
	}
	wk := func(ev bot.Event) bot.Outcome {
		ev.Platform, ev.UserID, ev.DisplayName, ev.Lang = bot.Telegram, "42", "Aibek", "en"
		return h.send(t, ev)
	}
	h.send(t, bot.Event{Platform: bot.LINE, UserID: "Uorg", DisplayName: "ACME", Lang: "en", Kind: bot.KindStart})
	for _, p := range []string{"r:employer", "w:kg", "rt:direct", "n:A.1.1"} {
		org(p)
	}
	code := codePattern.FindString(org("ci").Replies[0].Text)
	wk(bot.Event{Kind: bot.KindStart, Text: code})
	wk(press("jy:" + code))
	wk(bot.Event{Kind: bot.KindStop})
	org("cp:A.4")
	h.drain(t)
	if got := h.tg.take(); len(got) != 0 {
		t.Fatalf("a worker who blocked the bot was notified: %+v", got)
	}
	wk(bot.Event{Kind: bot.KindText, Text: "hello"})
	org("cd:A.4")
	h.drain(t)
	if got := h.tg.take(); len(got) != 1 || !strings.Contains(got[0].replies[0].Text, "(A.4)") {
		t.Fatalf("after writing again the worker got %+v; want the A.4 notice", got)
	}
}
