package telegram_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/metrics"
)

// The bot counts the events it handles; the adapter counts API calls and
// what the bot never sees.
func TestMetricsCountCallsAndWebhookOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, func(c *telegram.Config) { c.Metrics = metrics.New(reg) })
	post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	post(t, a, mustRead(t, "f1_text_ru.json"), testSecret)
	post(t, a, mustRead(t, "f1_text_ru.json"), "wrong")
	post(t, a, []byte("not json"), testSecret)
	post(t, a, []byte(`{"update_id":734120101,"message_reaction":{"chat":{"id":1,"type":"private"}}}`), testSecret)

	for _, tt := range []struct {
		name   string
		labels string
		want   int
	}{
		{"sswbot_events_total", `kind="text",outcome="ok",platform="telegram"`, 0},
		{"sswbot_events_total", `kind="text",outcome="duplicate",platform="telegram"`, 0},
		{"sswbot_events_total", `kind="webhook",outcome="bad_secret",platform="telegram"`, 1},
		{"sswbot_events_total", `kind="webhook",outcome="bad_body",platform="telegram"`, 1},
		{"sswbot_events_total", `kind="webhook",outcome="ignored",platform="telegram"`, 1},
		{"sswbot_outbound_api_calls_total", `method="sendMessage",platform="telegram",status="200"`, 1},
		{"sswbot_dedupe_hits_total", `platform="telegram"`, 0},
	} {
		got := countOf(t, reg, tt.name, tt.labels)
		if got != tt.want {
			t.Errorf("%s{%s} = %d, want %d", tt.name, tt.labels, got, tt.want)
		}
	}
}

// countOf reads one counter from reg by its rendered label set.
func countOf(t *testing.T, reg *prometheus.Registry, name, labels string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls string
			for i, l := range m.GetLabel() {
				if i > 0 {
					ls += ","
				}
				ls += l.GetName() + `="` + l.GetValue() + `"`
			}
			if ls == labels {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	return 0
}
