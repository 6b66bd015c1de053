package console

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"example.com/sswbot/bot"
)

// inPeriod keeps the entries timed in [since, until); a zero bound is open.
func inPeriod(es []bot.Entry, since, until time.Time) []bot.Entry {
	var out []bot.Entry
	for _, e := range es {
		if (since.IsZero() || !e.Time.Before(since)) && (until.IsZero() || e.Time.Before(until)) {
			out = append(out, e)
		}
	}
	return out
}

// activeSince is the filter that lists every conversation with an entry in
// a period starting at since: the index filters on last activity, which
// may fall after the period's end.
func activeSince(since time.Time) bot.Filter { return bot.Filter{Since: since} }

// funnel counts conversations per stage.
type funnel struct {
	started, role, location, route int
	routes                         map[string]*routeFunnel
}

type routeFunnel struct {
	chosen   int
	steps    []int // steps[k-1]: conversations that reached step k
	finished int
}

func newFunnel() *funnel { return &funnel{routes: map[string]*routeFunnel{}} }

// bar is one row of a horizontal bar chart.
type bar struct {
	Label string // shortened to fit the label column
	Full  string
	Count int
	Note  string // drop-off from the previous row, or a share
	Y     int
	W     int // bar width in px
	TextX int
}

// chart is a server-drawn SVG bar chart.
type chart struct {
	Title  string
	Bars   []bar
	Height int
}

const (
	chartLabelW = 200
	chartBarW   = 420
	chartRowH   = 26
)

func newChart(title string, labels []string, counts []int, dropOff bool) chart {
	ch := chart{Title: title}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	for i, l := range labels {
		// 26 characters fit left of the bars (chartLabelW); the title has all.
		b := bar{Label: short(l, 26), Full: l, Count: counts[i], Y: i * chartRowH}
		if top > 0 {
			b.W = counts[i] * chartBarW / top
		}
		if counts[i] > 0 && b.W < 2 {
			b.W = 2
		}
		b.TextX = chartLabelW + b.W + 6
		if dropOff && i > 0 && counts[i-1] > counts[i] {
			d := float64(counts[i-1]-counts[i]) / float64(counts[i-1])
			b.Note = fmt.Sprintf("−%.0f%%", d*100)
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Height = len(labels)*chartRowH + 4
	return ch
}

// charts draws the funnel; names maps route → step number → step id where
// the index has seen it, to label the rows.
func (f *funnel) charts(only string, names map[string]map[int]string) []chart {
	out := []chart{newChart("All conversations",
		[]string{"started", "answered role", "answered location", "chose a route"},
		[]int{f.started, f.role, f.location, f.route}, true)}
	ids := make([]string, 0, len(f.routes))
	for r := range f.routes {
		if only == "" || r == only {
			ids = append(ids, r)
		}
	}
	slices.Sort(ids)
	for _, r := range ids {
		rf := f.routes[r]
		labels := []string{"chose route " + r}
		counts := []int{rf.chosen}
		for k, n := range rf.steps {
			l := "step " + strconv.Itoa(k+1)
			if id := names[r][k+1]; id != "" {
				l += " · " + id
			}
			labels = append(labels, l)
			counts = append(counts, n)
		}
		labels = append(labels, "finished")
		counts = append(counts, rf.finished)
		out = append(out, newChart("Route "+r, labels, counts, true))
	}
	return out
}

// breakdown is one line of the per-platform/per-language table.
type breakdown struct {
	Key                      string
	Started, Route, Finished int
}

type insightsQuery struct {
	Since, Until, Platform, Lang, Route string
}

func (c *Console) insightsPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := r.URL.Query()
	q := insightsQuery{Since: v.Get("since"), Until: v.Get("until"), Platform: v.Get("platform"), Lang: v.Get("lang"), Route: v.Get("route")}
	var problems []error
	today := c.cfg.Now().UTC().Truncate(24 * time.Hour)
	if q.Since == "" && q.Until == "" {
		q.Since, q.Until = today.AddDate(0, 0, -29).Format("2006-01-02"), today.Format("2006-01-02")
	}
	since, until, err := period(q.Since, q.Until)
	if err != nil {
		problems = append(problems, err)
		q.Since, q.Until = today.AddDate(0, 0, -29).Format("2006-01-02"), today.Format("2006-01-02")
		since, until, _ = period(q.Since, q.Until)
	}
	f := activeSince(since)
	problems = platformAndLang(&q.Platform, &q.Lang, &f, problems)
	if len(q.Route) > 32 {
		problems = append(problems, errors.New("route: use a route id"))
		q.Route = ""
	}

	ms, _, err := c.deps.Index.List(r.Context(), f)
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "Insights are unavailable right now.", err)
		return
	}
	totals := map[string]int{}
	names := map[string]map[int]string{}
	for rt, steps := range c.cfg.Routes {
		totals[rt], names[rt] = len(steps), map[int]string{}
		for i, id := range steps {
			names[rt][i+1] = id
		}
	}
	for _, m := range ms {
		if _, known := c.cfg.Routes[m.Route]; known {
			continue
		}
		if m.Route != "" {
			totals[m.Route] = max(totals[m.Route], m.StepTotal)
		}
		if m.Route != "" && m.Step != "" && m.StepN > 0 {
			if names[m.Route] == nil {
				names[m.Route] = map[int]string{}
			}
			names[m.Route][m.StepN] = m.Step
		}
	}
	all := newFunnel()
	byPlatform, byLang := map[string]*breakdown{}, map[string]*breakdown{}
	misses := map[string]*missed{}
	routeSet := map[string]bool{}
	// The funnel comes from the counters kept at commit: O(days × stages),
	// whatever the number of conversations. Only conversations with
	// misunderstandings have their transcript read, for the unrecognised
	// messages.
	fr, ok := c.deps.Index.(bot.FunnelReader)
	if !ok {
		c.fail(w, r, s, http.StatusInternalServerError, "Insights are unavailable right now.", errors.New("console: the store keeps no funnel counters (bot.FunnelReader)"))
		return
	}
	if err := c.funnelFromCounters(r, fr, q, since, until, totals, all, byPlatform, byLang, routeSet); err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "Insights are unavailable right now.", err)
		return
	}
	for _, m := range ms {
		if m.Misses == 0 {
			continue
		}
		es, err := c.deps.Index.Transcript(r.Context(), m.ID)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			c.fail(w, r, s, http.StatusInternalServerError, "Insights are unavailable right now.", errors.New(redact(err, m.ID)))
			return
		}
		countMisses(misses, inPeriod(es, since, until), m.Lang)
	}
	routes := make([]string, 0, len(routeSet))
	for rt := range routeSet {
		routes = append(routes, rt)
	}
	slices.Sort(routes)
	rows, err := c.unrecognisedRows(r.Context(), misses, 15)
	if err != nil {
		problems = append(problems, errors.New("suggestions are unavailable right now"))
	}
	var pushes *pushUsage
	if c.deps.PushUsage != nil {
		u, err := c.deps.PushUsage(r.Context())
		if err != nil {
			problems = append(problems, errors.New("the LINE push count is unavailable right now"))
		} else {
			pushes = newPushUsage(u)
		}
	}
	c.render(w, r, http.StatusOK, "insights", s, map[string]any{
		"Pushes":       pushes,
		"Unrecognised": rows, "Meanings": c.cfg.Meanings, "Suggesting": c.deps.Suggestions != nil && len(c.cfg.Meanings) > 0,
		"Back": r.URL.RawQuery,
		"Q":    q, "Platforms": platforms, "Langs": langs, "Routes": routes, "Conversations": all.started,
		"Charts": all.charts(q.Route, names), "Misses": missChart(misses, 15),
		"ByPlatform": sorted(byPlatform), "ByLang": sorted(byLang),
		"Problem": errors.Join(problems...),
	})
}

// countMisses counts the unrecognised messages among es.
func countMisses(misses map[string]*missed, es []bot.Entry, lang string) {
	for _, e := range es {
		if e.Dir != bot.In || !e.Unrecognized {
			continue
		}
		k := strings.Join(strings.Fields(strings.ToLower(e.Text)), " ")
		if k == "" {
			continue
		}
		if misses[k] == nil {
			misses[k] = &missed{text: short(e.Text, 80), full: e.Text, lang: lang, question: bot.QuestionAt(e.StateBefore)}
		}
		misses[k].n++
	}
}

// funnelFromCounters fills the funnel and the breakdowns from the store's
// counters for the days of [since, until). With a route filter, the first
// chart still counts every conversation (the counters are not per route).
func (c *Console) funnelFromCounters(r *http.Request, fr bot.FunnelReader, q insightsQuery, since, until time.Time, totals map[string]int,
	all *funnel, byPlatform, byLang map[string]*breakdown, routeSet map[string]bool) error {
	var days []string
	for d := since; d.Before(until); d = d.AddDate(0, 0, 1) {
		days = append(days, d.UTC().Format(time.DateOnly))
	}
	stages := []string{bot.StageStarted, bot.StageRole, bot.StageLocation, bot.StageRoute}
	routes := make([]string, 0, len(totals))
	for rt, n := range totals {
		routes = append(routes, rt)
		stages = append(stages, "route:"+rt, "done:"+rt)
		for k := 1; k <= n; k++ {
			stages = append(stages, "step:"+rt+":"+strconv.Itoa(k))
		}
	}
	slices.Sort(routes)
	ps := platforms
	if q.Platform != "" {
		ps = []bot.Platform{bot.Platform(q.Platform)}
	}
	ls := append([]string{bot.AllLangs, ""}, langs...)
	if q.Lang != "" && !slices.Contains(ls, q.Lang) {
		ls = append(ls, q.Lang)
	}
	n, err := fr.Funnel(r.Context(), bot.FunnelQuery{Days: days, Platforms: ps, Langs: ls, Stages: stages})
	if err != nil {
		return err
	}
	lang := cmp.Or(q.Lang, bot.AllLangs)
	sum := func(lang, stage string, only ...bot.Platform) int {
		t := 0
		for _, p := range ps {
			if len(only) == 0 || only[0] == p {
				t += n[bot.FunnelKey{Platform: p, Lang: lang, Stage: stage}]
			}
		}
		return t
	}
	all.started, all.role = sum(lang, bot.StageStarted), sum(lang, bot.StageRole)
	all.location, all.route = sum(lang, bot.StageLocation), sum(lang, bot.StageRoute)
	for _, rt := range routes {
		chosen := sum(lang, "route:"+rt)
		if chosen == 0 {
			continue
		}
		routeSet[rt] = true
		rf := &routeFunnel{chosen: chosen, finished: sum(lang, "done:"+rt)}
		for k := 1; k <= totals[rt]; k++ {
			rf.steps = append(rf.steps, sum(lang, "step:"+rt+":"+strconv.Itoa(k)))
		}
		all.routes[rt] = rf
	}
	finished := func(lang string, only ...bot.Platform) int {
		t := 0
		for _, rt := range routes {
			t += sum(lang, "done:"+rt, only...)
		}
		return t
	}
	for _, p := range ps {
		if st := sum(lang, bot.StageStarted, p); st > 0 {
			byPlatform[string(p)] = &breakdown{Key: string(p), Started: st, Route: sum(lang, bot.StageRoute, p), Finished: finished(lang, p)}
		}
	}
	for _, l := range ls[1:] {
		if q.Lang != "" && l != q.Lang {
			continue
		}
		if st := sum(l, bot.StageStarted); st > 0 {
			byLang[cmp.Or(l, "(none)")] = &breakdown{Key: cmp.Or(l, "(none)"), Started: st, Route: sum(l, bot.StageRoute), Finished: finished(l)}
		}
	}
	return nil
}

type missed struct {
	text string
	n    int
	// The first time it was sent: the whole text, the user's language and
	// the question it answered, for a staff suggestion (suggest.go).
	full, lang, question string
}

func missChart(ms map[string]*missed, top int) chart {
	list := make([]*missed, 0, len(ms))
	for _, m := range ms {
		list = append(list, m)
	}
	slices.SortFunc(list, func(a, b *missed) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.text, b.text))
	})
	list = list[:min(top, len(list))]
	var labels []string
	var counts []int
	for _, m := range list {
		labels = append(labels, m.text)
		counts = append(counts, m.n)
	}
	return newChart("Most common unrecognised messages", labels, counts, false)
}

// short collapses spaces and cuts s to n columns, counting CJK and other
// wide characters as two (Japanese labels are common here).
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	total := 0
	for _, r := range s {
		total += runeWidth(r)
	}
	if total <= n {
		return s
	}
	cols := 0
	for i, r := range s {
		if cols+runeWidth(r) > n-1 { // room for the ellipsis
			return s[:i] + "…"
		}
		cols += runeWidth(r)
	}
	return s
}

// runeWidth is 2 for East Asian wide characters and emoji, else 1; close
// enough to keep chart labels inside their column.
func runeWidth(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1FAFF, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

func sorted(m map[string]*breakdown) []breakdown {
	out := make([]breakdown, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b breakdown) int {
		return cmp.Or(cmp.Compare(b.Started, a.Started), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// pushUsage is the month's LINE pushes as Insights shows them.
type pushUsage struct {
	bot.PushUsage
	Percent int // of the limit; 0 without one
}

func newPushUsage(u bot.PushUsage) *pushUsage {
	p := &pushUsage{PushUsage: u}
	if u.Limit > 0 {
		p.Percent = int(u.Used * 100 / u.Limit)
	}
	return p
}
