package bot

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// funnelStages was rewritten without maps and with a fast path for turns
// that reach nothing new; it must count and record exactly what the
// first version (oldFunnelStages, below) did, on real labels and on
// whatever a damaged Reached may hold.
func TestFunnelStagesAsBefore(t *testing.T) {
	labels := []string{"", "lang", "role", "country", "location", "route", "change", "offer",
		"step:direct:1", "step:direct:2", "step:direct:4", "step:agency:3", "step:center:1", "step:x:0", "step:x:y", "step:direct",
		"done:direct", "done:agency", "done:", "done:japan"}
	reached := []string{"", "garbage", "2026-04-01", "2026-04-01;", "2026-04-01;1", "2026-04-01;0;", "2026-04-01;x;",
		"2026-04-01;3;direct:2", "2026-04-01;3;direct:2:d", "2026-04-01;3;agency:1,direct:4:d", "2026-04-01;3;direct:1,agency:2",
		"2026-04-01;3;direct:1,direct:3", "2026-04-01;3;a,b:,:2,c:x:d,d:1:x", "2026-04-01;2;direct:1;junk", "2026-04-01;02;",
		"2026-04-01;-1;", "2026-04-01;3;a;b:1", "2026-03-31;3;direct:2", "2026-04-01;3;direct:01"}
	rng := rand.New(rand.NewPCG(1, 2))
	days := []time.Time{time.Date(2026, 4, 1, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 2, 1, 0, 0, 0, time.FixedZone("JST", 9*3600))}
	for _, start := range reached {
		for range 300 {
			m, old := Meta{Reached: start}, Meta{Reached: start}
			for i := range 6 {
				label, moved := labels[rng.IntN(len(labels))], rng.IntN(3) > 0
				steps, now := rng.IntN(5), days[min(i/4, 1)]
				got, want := funnelStages(&m, label, moved, steps, now), oldFunnelStages(&old, label, moved, steps, now)
				if !slices.Equal(got, want) || m.Reached != old.Reached {
					t.Fatalf("from %q, turn %d into %q (moved %v, %d steps): stages %q, Reached %q; before: %q, %q",
						start, i, label, moved, steps, got, m.Reached, want, old.Reached)
				}
			}
		}
	}
}

func BenchmarkFunnelStages(b *testing.B) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for b.Loop() {
		m := Meta{Reached: "2026-04-01;3;agency:2,direct:4:d"}
		funnelStages(&m, "step:agency:3", true, 4, now)
		funnelStages(&m, "step:agency:3", false, 4, now)
	}
}

// oldReach and the functions below are the first version of funnel.go,
// kept as the reference the rewrite is checked against.
type oldReach struct {
	day   string
	rank  int
	steps map[string]int
	done  map[string]bool
}

const ()

func oldParseReach(s, day string) oldReach {
	r := oldReach{day: day, rank: -1, steps: map[string]int{}, done: map[string]bool{}}
	parts := strings.Split(s, ";")
	if len(parts) < 2 || parts[0] != day {
		return r // another day (or nothing): everything counts again
	}
	if n, err := strconv.Atoi(parts[1]); err == nil {
		r.rank = n
	}
	if len(parts) > 2 && parts[2] != "" {
		for _, p := range strings.Split(parts[2], ",") {
			f := strings.Split(p, ":")
			if len(f) < 2 {
				continue
			}
			r.steps[f[0]], _ = strconv.Atoi(f[1])
			r.done[f[0]] = len(f) > 2
		}
	}
	return r
}

func (r oldReach) String() string {
	routes := make([]string, 0, len(r.steps))
	for rt := range r.steps {
		routes = append(routes, rt)
	}
	slices.Sort(routes)
	var b strings.Builder
	b.WriteString(r.day + ";" + strconv.Itoa(r.rank) + ";")
	for i, rt := range routes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rt + ":" + strconv.Itoa(r.steps[rt]))
		if r.done[rt] {
			b.WriteString(":d")
		}
	}
	return b.String()
}

// funnelStages returns the stages a turn reaches for the first time on
// now's day, and records them in m.Reached. moved is whether the turn
// moved the conversation into label (only a move into a state counts, so
// a user sitting at step 3 who writes again does not reach step 3 again);
// steps is the step count of label's route, for "done". Any turn counts
// the conversation as active ("started") once a day.
func oldFunnelStages(m *Meta, label string, moved bool, steps int, now time.Time) []string {
	r := oldParseReach(m.Reached, now.UTC().Format(time.DateOnly))
	var out []string
	if r.rank < rankStarted {
		r.rank = rankStarted
		out = append(out, StageStarted)
	}
	if moved {
		out = r.see(label, steps, out)
	}
	m.Reached = r.String()
	return out
}

// see adds the stages implied by moving into label: a later stage implies
// the earlier ones, as a funnel needs.
func (r *oldReach) see(label string, total int, out []string) []string {
	kind, rest, _ := strings.Cut(label, ":")
	upTo := func(rank int) {
		for k := r.rank + 1; k <= rank; k++ {
			out = append(out, []string{StageStarted, StageRole, StageLocation, StageRoute}[k])
		}
		r.rank = max(r.rank, rank)
	}
	toStep := func(route string, n int) {
		if _, chosen := r.steps[route]; !chosen {
			r.steps[route] = 0
			out = append(out, "route:"+route)
		}
		for k := r.steps[route] + 1; k <= n; k++ {
			out = append(out, "step:"+route+":"+strconv.Itoa(k))
		}
		r.steps[route] = max(r.steps[route], n)
	}
	switch kind {
	case "location":
		upTo(rankRole)
	case "route":
		upTo(rankLocation)
	case "step":
		route, n, ok := strings.Cut(rest, ":")
		k, err := strconv.Atoi(n)
		if !ok || err != nil || k < 1 {
			return out
		}
		upTo(rankRoute)
		toStep(route, k)
	case "done":
		if rest == "" {
			return out
		}
		upTo(rankRoute)
		toStep(rest, total) // finishing means every step was shown
		if !r.done[rest] {
			r.done[rest] = true
			out = append(out, "done:"+rest)
		}
	}
	return out
}

func BenchmarkFunnelStagesBefore(b *testing.B) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for b.Loop() {
		m := Meta{Reached: "2026-04-01;3;agency:2,direct:4:d"}
		oldFunnelStages(&m, "step:agency:3", true, 4, now)
		oldFunnelStages(&m, "step:agency:3", false, 4, now)
	}
}

func TestAppendDayIsDateOnly(t *testing.T) {
	start := time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 9*3600))
	for _, tm := range []time.Time{
		{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 23, 30, 0, 0, time.FixedZone("y", -5*3600)),
	} {
		if got, want := string(appendDay(nil, tm)), tm.UTC().Format(time.DateOnly); got != want {
			t.Errorf("appendDay(%v) = %q, want %q", tm, got, want)
		}
	}
	for i := 0; i < 20000; i++ {
		tm := start.Add(time.Duration(i) * 7 * time.Hour)
		if got, want := string(appendDay(nil, tm)), tm.UTC().Format(time.DateOnly); got != want {
			t.Fatalf("appendDay(%v) = %q, want %q", tm, got, want)
		}
	}
}
