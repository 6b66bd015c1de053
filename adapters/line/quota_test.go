package line_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
)

// meter records the pushes the adapter counts.
type meter struct {
	mu        sync.Mutex
	keys      []string
	exhausted bool
}

func (m *meter) Count(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = append(m.keys, key)
	return nil
}

func (m *meter) Allow(context.Context) error {
	if m.exhausted {
		return fmt.Errorf("1000 of 1000: %w", bot.ErrQuotaExhausted)
	}
	return nil
}

func (m *meter) counted() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.keys...)
}

// TestPushesAreCounted: every push LINE accepts is counted with its retry
// key (a retry after a 5xx and a repeat LINE answers 409 carry the same
// key, which the store counts once).
func TestPushesAreCounted(t *testing.T) {
	api := newFakeAPI(t)
	m := &meter{}
	a := newAdapter(t, api, newFakeBot(), func(c *line.Config) { c.Pushes = m })
	ctx := context.Background()
	note := []bot.Reply{{Text: "Your worker reports: A.5 done"}}
	api.pushFailures = 1
	if err := a.Notify(ctx, "U1", "ev1>line:U1", note); err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, "U1", "ev1>line:U1", note); err != nil { // sent again: 409
		t.Fatal(err)
	}
	keys := m.counted()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("counted %q; want one key twice (accepted, then 409)", keys)
	}
	if err := a.Push(ctx, "U1", "Hello, this is Aiko."); err != nil {
		t.Fatal(err)
	}
	if keys := m.counted(); len(keys) != 3 || keys[2] == keys[0] {
		t.Errorf("counted %q; want the staff message's own key", keys)
	}
}

// TestQuotaRefusals: a staff message when the quota is used up sends
// nothing; LINE's own 429 "monthly limit" is not retried; both wrap
// bot.ErrQuotaExhausted.
func TestQuotaRefusals(t *testing.T) {
	api := newFakeAPI(t)
	m := &meter{exhausted: true}
	a := newAdapter(t, api, newFakeBot(), func(c *line.Config) { c.Pushes = m })
	ctx := context.Background()
	if err := a.Push(ctx, "U1", "Hello"); !errors.Is(err, bot.ErrQuotaExhausted) {
		t.Fatalf("Push over the quota: %v; want ErrQuotaExhausted", err)
	}
	if n := len(api.Calls()); n != 0 {
		t.Fatalf("%d API calls over the quota; want none", n)
	}
	api.pushLimit, api.pushed = 2, 2
	if err := a.Notify(ctx, "U1", "ev2>line:U1", []bot.Reply{{Text: "note"}}); !errors.Is(err, bot.ErrQuotaExhausted) {
		t.Fatalf("Notify refused by LINE: %v; want ErrQuotaExhausted", err)
	}
	if n := len(api.Calls()); n != 1 {
		t.Errorf("%d push attempts; want 1 (no retry this month)", n)
	}
	if len(m.counted()) != 0 {
		t.Errorf("a refused push was counted")
	}
}

// TestQuotaReadsLINEsNumbers: GET /v2/bot/message/quota and
// /quota/consumption.
func TestQuotaReadsLINEsNumbers(t *testing.T) {
	api := newFakeAPI(t)
	a := newAdapter(t, api, newFakeBot())
	api.pushLimit, api.pushed = 500, 7
	used, limit, err := a.Quota(context.Background())
	if err != nil || used != 7 || limit != 500 {
		t.Fatalf("Quota = %d, %d, %v; want 7 of 500", used, limit, err)
	}
	api.pushLimit = 0
	if _, limit, err := a.Quota(context.Background()); err != nil || limit != 0 {
		t.Fatalf("Quota without a plan limit = %d, %v; want 0", limit, err)
	}
	if !line.FitsOneReply([]bot.Reply{{Text: "note"}, {Text: "answer", Choices: []bot.Choice{{Label: "Next", Payload: "n:A.4"}}}}) {
		t.Error("two texts do not fit one reply")
	}
}
