// Package metrics owns sswbot's Prometheus collectors. It knows no platform
// SDK and no store: callers report what happened with plain labels.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Set is the collectors one sswbot process exports. A nil *Set is valid and
// records nothing, so tests and `sswbot chat` need no registry.
type Set struct {
	events     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	outbound   *prometheus.CounterVec
	dedupeHits *prometheus.CounterVec
	storeErrs  *prometheus.CounterVec
	doubles    *prometheus.CounterVec
	pushes     *prometheus.GaugeVec
	held       *prometheus.CounterVec
}

// New registers the collectors on reg.
func New(reg prometheus.Registerer) *Set {
	s := &Set{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_events_total", Help: "Platform events by platform, kind and outcome.",
		}, []string{"platform", "kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sswbot_event_handling_seconds", Help: "Time from receiving an event to committing it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"platform"}),
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_outbound_api_calls_total", Help: "Calls to platform APIs by platform, method and HTTP status.",
		}, []string{"platform", "method", "status"}),
		dedupeHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_dedupe_hits_total", Help: "Events recognised as already processed.",
		}, []string{"platform"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_store_errors_total", Help: "Store operations that failed.",
		}, []string{"op"}),
		doubles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_possible_double_sends_total",
			Help: "Replies sent again for an event whose first send is uncertain and that the platform cannot deduplicate: each may have reached the user twice.",
		}, []string{"platform"}),
		pushes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sswbot_pushes_this_month",
			Help: "Pushes counted against the platform's monthly quota in the current billing month (the larger of ours and the platform's report).",
		}, []string{"platform"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sswbot_held_notifications_total",
			Help: "Shared-case notifications held back near the push quota (event=held) and given with a reply later (event=delivered); held minus delivered is what waits.",
		}, []string{"platform", "event"}),
	}
	reg.MustRegister(s.events, s.latency, s.outbound, s.dedupeHits, s.storeErrs, s.doubles, s.pushes, s.held)
	return s
}

// Event counts one platform event. outcome is e.g. "ok", "duplicate",
// "ignored", "error", "bad_signature".
func (s *Set) Event(platform, kind, outcome string) {
	if s != nil {
		s.events.WithLabelValues(platform, kind, outcome).Inc()
	}
}

// Handled observes how long handling an event took.
func (s *Set) Handled(platform string, d time.Duration) {
	if s != nil {
		s.latency.WithLabelValues(platform).Observe(d.Seconds())
	}
}

// Outbound counts one call to a platform API; status is the HTTP status code
// as text, or "error" when no response came.
func (s *Set) Outbound(platform, method, status string) {
	if s != nil {
		s.outbound.WithLabelValues(platform, method, status).Inc()
	}
}

// DedupeHit counts an event that had been processed before.
func (s *Set) DedupeHit(platform string) {
	if s != nil {
		s.dedupeHits.WithLabelValues(platform).Inc()
	}
}

// StoreError counts a failed store operation.
func (s *Set) StoreError(op string) {
	if s != nil {
		s.storeErrs.WithLabelValues(op).Inc()
	}
}

// PossibleDouble counts replies sent again although the first send of the
// same event may have reached the user (at-least-once where the platform
// offers no way to tell).
func (s *Set) PossibleDouble(platform string) {
	if s != nil {
		s.doubles.WithLabelValues(platform).Inc()
	}
}

// Pushes sets this month's push count of a platform.
func (s *Set) Pushes(platform string, n int64) {
	if s != nil {
		s.pushes.WithLabelValues(platform).Set(float64(n))
	}
}

// Held counts held notifications: event is "held" or "delivered".
func (s *Set) Held(platform, event string, n int) {
	if s != nil && n > 0 {
		s.held.WithLabelValues(platform, event).Add(float64(n))
	}
}
