package metrics_test

import (
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sswbot/metrics"
)

// The label children kept after the first use count into the same series
// as WithLabelValues would, from many goroutines at once.
func TestCountsGoToTheirLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.Event("line", "webhook", "ok")
				m.Event("line", "webhook", "bad_signature")
				m.Outbound("line", "reply", "200")
				m.Handled("line", 2*time.Millisecond)
			}
		})
	}
	m.Event("telegram", "webhook", "ok")
	wg.Wait()
	got := map[string]float64{}
	series := 0
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case mt.GetCounter() != nil:
				got[key] = mt.GetCounter().GetValue()
			case mt.GetHistogram() != nil:
				got[key] = float64(mt.GetHistogram().GetSampleCount())
			}
			series++
		}
	}
	want := map[string]float64{
		"sswbot_events_total{webhook,bad_signature,line}": 800,
		"sswbot_events_total{webhook,ok,line}":            800,
		"sswbot_events_total{webhook,ok,telegram}":        1,
		"sswbot_outbound_api_calls_total{reply,line,200}": 800,
		"sswbot_event_handling_seconds{line}":             800,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v (%d series), want %v", got, series, want)
	}
}

func TestNilSetRecordsNothing(t *testing.T) {
	var m *metrics.Set
	m.Event("line", "webhook", "ok")
	m.Outbound("line", "reply", "200")
	m.Handled("line", time.Second)
}

func BenchmarkEvent(b *testing.B) {
	m := metrics.New(prometheus.NewRegistry())
	b.ReportAllocs()
	for b.Loop() {
		m.Event("line", "webhook", "ok")
	}
}
