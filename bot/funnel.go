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
// stage is counted once a day without reading anything else. Every turn
// reads and writes it, so it is parsed into a slice (a conversation has a
// route or two), not maps.
type reach struct {
	day    string
	rank   int
	routes []routeReach // sorted by route
}

// routeReach is one route's furthest step and whether it was finished.
type routeReach struct {
	route string
	n     int
	done  bool
}

const (
	rankStarted = iota
	rankRole
	rankLocation
	rankRoute
)

func parseReach(s, day string) reach {
	r := reach{day: day, rank: -1}
	head, rest, ok := strings.Cut(s, ";")
	if !ok || head != day {
		return r // another day (or nothing): everything counts again
	}
	rank, list, _ := strings.Cut(rest, ";")
	list, _, _ = strings.Cut(list, ";")
	if n, err := strconv.Atoi(rank); err == nil {
		r.rank = n
	}
	for list != "" {
		var p string
		p, list, _ = strings.Cut(list, ",")
		route, tail, ok := strings.Cut(p, ":")
		if !ok {
			continue
		}
		num, _, marked := strings.Cut(tail, ":")
		n, _ := strconv.Atoi(num)
		r.set(route, n, marked)
	}
	return r
}

// find returns the index of route in r.routes, or where it would go.
func (r *reach) find(route string) (int, bool) {
	return slices.BinarySearchFunc(r.routes, route, func(e routeReach, t string) int { return strings.Compare(e.route, t) })
}

// set records route's step and mark (the last one given wins).
func (r *reach) set(route string, n int, done bool) {
	i, ok := r.find(route)
	if !ok {
		r.routes = slices.Insert(r.routes, i, routeReach{route: route})
	}
	r.routes[i].n, r.routes[i].done = n, done
}

func (r reach) String() string {
	b := make([]byte, 0, len(r.day)+8+16*len(r.routes))
	b = append(b, r.day...)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(r.rank), 10)
	b = append(b, ';')
	for i, rt := range r.routes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, rt.route...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(rt.n), 10)
		if rt.done {
			b = append(b, ":d"...)
		}
	}
	return string(b)
}

// funnelStages returns the stages a turn reaches for the first time on
// now's day, and records them in m.Reached. moved is whether the turn
// moved the conversation into label (only a move into a state counts, so
// a user sitting at step 3 who writes again does not reach step 3 again);
// steps is the step count of label's route, for "done". Any turn counts
// the conversation as active ("started") once a day.
func funnelStages(m *Meta, label string, moved bool, steps int, now time.Time) []string {
	var buf [len(time.DateOnly)]byte
	day := appendDay(buf[:0], now)
	if !moved && countedToday(m.Reached, day) {
		return nil // most turns: nothing new today, Reached stays as it is
	}
	r := parseReach(m.Reached, string(day))
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

// appendDay appends t's UTC date as time.DateOnly does, without the
// layout's parsing: AppendFormat was ~1 % of serve's CPU, once per turn.
func appendDay(b []byte, t time.Time) []byte {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// countedToday reports whether reached (a reach's String) is of day and
// counts the conversation as started, so a turn that moves nowhere adds
// nothing to it.
func countedToday(reached string, day []byte) bool {
	head, rest, ok := strings.Cut(reached, ";")
	if !ok || head != string(day) {
		return false
	}
	rank, list, ok := strings.Cut(rest, ";")
	n, err := strconv.Atoi(rank)
	// Only the form String writes: then writing it again changes nothing.
	return ok && err == nil && n >= rankStarted && strconv.Itoa(n) == rank && !strings.Contains(list, ";") && canonicalRoutes(list)
}

// canonicalRoutes reports whether list is as String writes it: routes in
// order, each "route:n" or "route:n:d".
func canonicalRoutes(list string) bool {
	prev := ""
	for i := 0; list != ""; i++ {
		var p string
		p, list, _ = strings.Cut(list, ",")
		route, tail, ok := strings.Cut(p, ":")
		if !ok || (i > 0 && route <= prev) {
			return false
		}
		num, mark, marked := strings.Cut(tail, ":")
		n, err := strconv.Atoi(num)
		if err != nil || strconv.Itoa(n) != num || (marked && mark != "d") {
			return false
		}
		prev = route
	}
	return true
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
	toStep := func(route string, n int) *routeReach {
		i, chosen := r.find(route)
		if !chosen {
			r.routes = slices.Insert(r.routes, i, routeReach{route: route})
			out = append(out, "route:"+route)
		}
		rt := &r.routes[i]
		for k := rt.n + 1; k <= n; k++ {
			out = append(out, "step:"+route+":"+strconv.Itoa(k))
		}
		rt.n = max(rt.n, n)
		return rt
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
		rt := toStep(rest, total) // finishing means every step was shown
		if !rt.done {
			rt.done = true
			out = append(out, "done:"+rest)
		}
	}
	return out
}
