// Package metrics owns sswbot's Prometheus collectors. It knows no platform
// SDK and no store: callers report what happened with plain labels.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Set is the collectors one sswbot process exports. A nil *Set is valid and
// records nothing, so tests and `sswbot chat` need no registry.
type Set struct {
	events     children[[3]string, prometheus.Counter]
	latency    children[string, prometheus.Observer]
	outbound   children[[3]string, prometheus.Counter]
	dedupeHits *prometheus.CounterVec
	storeErrs  *prometheus.CounterVec
	doubles    *prometheus.CounterVec
	pushes     *prometheus.GaugeVec
	held       *prometheus.CounterVec
}

// New registers the collectors on reg.
func New(reg prometheus.Registerer) *Set {
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sswbot_events_total", Help: "Platform events by platform, kind and outcome.",
	}, []string{"platform", "kind", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sswbot_event_handling_seconds", Help: "Time from receiving an event to committing it.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"platform"})
	outbound := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sswbot_outbound_api_calls_total", Help: "Calls to platform APIs by platform, method and HTTP status.",
	}, []string{"platform", "method", "status"})
	s := &Set{
		events:   newChildren(func(k [3]string) prometheus.Counter { return events.WithLabelValues(k[:]...) }),
		latency:  newChildren(func(k string) prometheus.Observer { return latency.WithLabelValues(k) }),
		outbound: newChildren(func(k [3]string) prometheus.Counter { return outbound.WithLabelValues(k[:]...) }),
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
	reg.MustRegister(events, latency, outbound, s.dedupeHits, s.storeErrs, s.doubles, s.pushes, s.held)
	return s
}

// Event counts one platform event. outcome is e.g. "ok", "duplicate",
// "ignored", "error", "bad_signature".
func (s *Set) Event(platform, kind, outcome string) {
	if s != nil {
		s.events.get([3]string{platform, kind, outcome}).Inc()
	}
}

// Handled observes how long handling an event took.
func (s *Set) Handled(platform string, d time.Duration) {
	if s != nil {
		s.latency.get(platform).Observe(d.Seconds())
	}
}

// Outbound counts one call to a platform API; status is the HTTP status code
// as text, or "error" when no response came.
func (s *Set) Outbound(platform, method, status string) {
	if s != nil {
		s.outbound.get([3]string{platform, method, status}).Inc()
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

// children keeps the collectors of a vector's label values once resolved:
// the counters and the latency histogram are touched several times by
// every webhook request, and WithLabelValues hashes the values, locks the
// vector and allocates its argument list on each call. The label values
// are few (platforms, kinds, outcomes, methods, statuses), so the map
// stays small; a child is never deleted from its vector.
type children[K comparable, C any] struct {
	resolve func(K) C
	mu      sync.RWMutex
	m       map[K]C
}

func newChildren[K comparable, C any](resolve func(K) C) children[K, C] {
	return children[K, C]{resolve: resolve, m: map[K]C{}}
}

func (c *children[K, C]) get(k K) C {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.resolve(k)
	c.mu.Lock()
	c.m[k] = v
	c.mu.Unlock()
	return v
}
