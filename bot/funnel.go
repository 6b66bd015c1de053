package bot

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// reach is what a conversation reached on one day: the funnel rank (0
// started, 1 answered role, 2 answered location, 3 chose a route) and per
// route the furthest step and whether it finished. It is kept in
// Meta.Reached as "day;rank;route:n[:d],..." — a few dozen bytes — so each
// stage is counted once a day without reading anything else.
type reach struct {
	day   string
	rank  int
	steps map[string]int
	done  map[string]bool
}

const (
	rankStarted = iota
	rankRole
	rankLocation
	rankRoute
)

func parseReach(s, day string) reach {
	r := reach{day: day, rank: -1, steps: map[string]int{}, done: map[string]bool{}}
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

func (r reach) String() string {
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
func funnelStages(m *Meta, label string, moved bool, steps int, now time.Time) []string {
	r := parseReach(m.Reached, now.UTC().Format(time.DateOnly))
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
func (r *reach) see(label string, total int, out []string) []string {
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
