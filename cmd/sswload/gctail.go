package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// gctail tells how much of a run's slowest per cent its target's garbage
// collections made: it reads the requests' starts and latencies ("run
// -latencies") and the target's GODEBUG=gctrace=1 lines, and reports which
// of the requests at or above p99 overlap a collection, the p99 of those
// that overlap none, and the mean latency by how long after a collection's
// start a request began. scripts/gctail.sh runs it against serve.
func runGCTail(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sswload gctail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lats := fs.String("latencies", "", `requests' starts and latencies ("sswload run -latencies")`)
	trace := fs.String("gctrace", "", "the target's standard error with GODEBUG=gctrace=1")
	started := fs.Int64("started", 0, "when the target process started (Unix ns): gctrace's times count from it")
	before := fs.Duration("before", 10*time.Millisecond, "a request overlaps a collection when it ends after the collection's start minus this")
	after := fs.Duration("after", 100*time.Millisecond, "… and starts before the collection's start plus this (the mark, and the requests queued behind it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lats == "" || *trace == "" || *started == 0 {
		return errors.New("gctail needs -latencies, -gctrace and -started")
	}
	reqs, err := readLatencies(*lats)
	if err != nil {
		return err
	}
	f, err := os.Open(*trace)
	if err != nil {
		return err
	}
	defer f.Close()
	gcs, err := readGCTrace(f, *started)
	if err != nil {
		return err
	}
	tailReport(stdout, reqs, gcs, *before, *after)
	return nil
}

// timed is a request (or a collection): when it started (Unix ns) and how
// long it took.
type timed struct {
	start int64
	d     time.Duration
}

func readLatencies(name string) ([]timed, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []timed
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		a, b, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		t, err1 := strconv.ParseInt(a, 10, 64)
		d, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: want \"start latency\" in ns", name, n)
		}
		out = append(out, timed{t, time.Duration(d)})
	}
	return out, sc.Err()
}

// gcLine reads a gctrace line: "gc 4 @2.834s 0%: 0.071+15+0.006 ms clock, …"
// (the sweep termination, the concurrent mark and the mark termination).
var gcLine = regexp.MustCompile(`^gc \d+ @([0-9.]+)s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock`)

// readGCTrace returns the collections in r, their starts made absolute
// with started; other lines are skipped.
func readGCTrace(r io.Reader, started int64) ([]timed, error) {
	var out []timed
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var v [4]float64
		for i := range v {
			x, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("gctrace: %q: %w", sc.Text(), err)
			}
			v[i] = x
		}
		at := started + int64(v[0]*1e9)
		out = append(out, timed{at, time.Duration((v[1] + v[2] + v[3]) * 1e6)})
	}
	return out, sc.Err()
}

// tailReport prints what the collections in gcs did to reqs.
func tailReport(w io.Writer, reqs, gcs []timed, before, after time.Duration) {
	if len(reqs) == 0 {
		fmt.Fprintln(w, "no requests")
		return
	}
	first, last := reqs[0].start, reqs[0].start
	for _, r := range reqs {
		first, last = min(first, r.start), max(last, r.start+int64(r.d))
	}
	var in []timed // the collections that touch the window
	for _, g := range gcs {
		if g.start+int64(after) >= first && g.start-int64(before) <= last {
			in = append(in, g)
		}
	}
	overlaps := func(r timed) bool {
		for _, g := range in {
			if r.start+int64(r.d) > g.start-int64(before) && r.start < g.start+int64(after) {
				return true
			}
		}
		return false
	}
	all := latenciesOf(reqs)
	p99 := pctDur(all, 99)
	// The slowest per cent: the requests from p99's rank on.
	bySpeed := slices.Clone(reqs)
	slices.SortStableFunc(bySpeed, func(a, b timed) int { return cmp.Compare(b.d, a.d) })
	slow := bySpeed[:max(len(reqs)/100, 1)]
	slowNear := 0
	for _, r := range slow {
		if overlaps(r) {
			slowNear++
		}
	}
	var outside []time.Duration
	for _, r := range reqs {
		if !overlaps(r) {
			outside = append(outside, r.d)
		}
	}
	slices.Sort(outside)
	fmt.Fprintf(w, "requests   %d, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n", len(reqs), ms(pctDur(all, 50)), ms(pctDur(all, 90)), ms(p99))
	marks := make([]string, 0, len(in))
	for _, g := range in {
		marks = append(marks, fmt.Sprintf("%.1f", ms(g.d)))
	}
	fmt.Fprintf(w, "collections %d in the window (ms of the clock each: %s)\n", len(in), strings.Join(marks, ", "))
	fmt.Fprintf(w, "the slowest per cent: %d requests; %d of them (%.0f %%) overlap a collection (from %v before its start to %v after)\n",
		len(slow), slowNear, 100*float64(slowNear)/float64(len(slow)), before, after)
	fmt.Fprintf(w, "overlapping none: %d requests (%.1f %%), p99 %.2f ms\n", len(outside), 100*float64(len(outside))/float64(len(reqs)), ms(pctDur(outside, 99)))
	if len(in) == 0 {
		return
	}
	// The mean latency by when a request began, in 10 ms steps from a
	// collection's start.
	const step = 10 * time.Millisecond
	sum := map[int]time.Duration{}
	n := map[int]int{}
	for _, r := range reqs {
		for _, g := range in {
			off := time.Duration(r.start - g.start)
			if off < -before || off >= after {
				continue
			}
			k := int(math.Floor(float64(off) / float64(step)))
			sum[k] += r.d
			n[k]++
		}
	}
	keys := slices.Sorted(maps.Keys(n))
	fmt.Fprintf(w, "mean latency by start after a collection began, ms (requests):")
	for _, k := range keys {
		fmt.Fprintf(w, " %+d: %.1f (%d)", k*int(step/time.Millisecond), ms(sum[k]/time.Duration(n[k])), n[k])
	}
	fmt.Fprintln(w)
}

// latenciesOf is reqs' latencies, sorted.
func latenciesOf(reqs []timed) []time.Duration {
	into := make([]time.Duration, 0, len(reqs))
	for _, r := range reqs {
		into = append(into, r.d)
	}
	slices.Sort(into)
	return into
}

// pctDur is the p-th percentile of sorted, as pct takes it (0 when empty).
func pctDur(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
