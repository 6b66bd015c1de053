package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is one run's result. Rates and latencies cover the measured window;
// lost, doubled and diverged cover the whole run.
type report struct {
	Label    string  `json:"label"`
	Platform string  `json:"platform"`
	C        int     `json:"c"`
	Users    int     `json:"users"`
	Window   float64 `json:"window_s"`

	Requests int64   `json:"requests"` // answered 2xx in the window
	ReqPerS  float64 `json:"req_s"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Errors   int64   `json:"errors"` // requests in the window not answered 2xx

	Events      int64   `json:"events"`      // events sent in the whole run
	Redelivered int64   `json:"redelivered"` // extra sends after a failure
	GaveUp      int64   `json:"gave_up"`     // events never answered 2xx
	APICalls    int64   `json:"api_calls"`   // reply, push, sendMessage
	RepliesPer  float64 `json:"replies_per_request"`
	Messages    int64   `json:"messages"`
	NewConns    int64   `json:"new_conns"`
	ConnsPer    float64 `json:"conns_per_reply"`
	BadAuth     int64   `json:"bad_auth"`
	BadToken    int64   `json:"bad_reply_token"`
	OverFive    int64   `json:"bad_message_count"`
	Refused     int64   `json:"refused_retry_key"`
	UnknownTo   int64   `json:"unknown_recipient"`
	Lost        int64   `json:"lost"`     // events acknowledged (or given up) with no answer delivered
	Doubled     int64   `json:"doubled"`  // events whose answer was delivered twice
	Diverged    int64   `json:"diverged"` // users whose answers differ from the majority's at the same turn

	CPU map[string]float64 `json:"cpu_ms_per_req"` // pid → CPU ms per request in the window

	// sswload's own cost in the window: its CPU (load generator and fake
	// APIs together) per request and as a share of one core, the cores it
	// may run on, and how busy those were (by anyone: with other work on
	// them the tool may be starved without using them all itself).
	LoadCPU      float64 `json:"load_cpu_ms_per_req"`
	LoadShare    float64 `json:"load_cpu_share"` // 1 = one whole core
	LoadCores    string  `json:"load_cores,omitempty"`
	LoadCoreBusy float64 `json:"load_core_busy"` // 0–1, mean over LoadCores
}

// loadCost fills in sswload's own cost between two samples.
func (r *report) loadCost(cores []int, s0, s1 coreSample, window time.Duration) {
	self := s1.self - s0.self
	if r.Requests > 0 {
		r.LoadCPU = self / float64(r.Requests)
	}
	if window > 0 {
		r.LoadShare = self / float64(window.Milliseconds())
	}
	cs := make([]string, len(cores))
	for i, c := range cores {
		cs[i] = strconv.Itoa(c)
	}
	r.LoadCores = strings.Join(cs, ",")
	if s0.ok && s1.ok && s1.total > s0.total {
		r.LoadCoreBusy = (s1.busy - s0.busy) / (s1.total - s0.total)
	}
}

// saturated says whether the load cores were so busy that the rate may
// be the load tool's limit rather than the peer's.
func (r report) saturated() bool { return r.LoadCoreBusy > saturatedBusy }

func (g *generator) report(window time.Duration, cpu0, cpu1 map[int]float64) *report {
	g.mu.Lock()
	lat := slices.Clone(g.lat)
	ok, failed := g.ok, g.failed
	g.mu.Unlock()
	slices.Sort(lat)
	r := &report{
		Label: g.cfg.Label, Platform: g.cfg.Platform, C: g.cfg.C, Users: g.cfg.Users,
		Window: window.Seconds(), Requests: ok, Errors: failed,
		Events: 0, Redelivered: g.redeliv.Load(), GaveUp: g.gaveUp.Load(),
		APICalls: g.l.apiCalls.Load(), Messages: g.l.messages.Load(), NewConns: g.l.newConns.Load(),
		BadAuth: g.l.badAuth.Load(), BadToken: g.l.badToken.Load(), OverFive: g.l.overFive.Load(),
		Refused: g.l.refused.Load(), UnknownTo: g.l.unknownTo.Load(),
		CPU: map[string]float64{},
	}
	if window > 0 {
		r.ReqPerS = float64(ok) / window.Seconds()
	}
	r.P50, r.P90, r.P99 = pct(lat, 50), pct(lat, 90), pct(lat, 99)
	for pid, c1 := range cpu1 {
		if ok > 0 {
			r.CPU[strconv.Itoa(pid)] = (c1 - cpu0[pid]) / float64(ok)
		}
	}
	g.audit(r)
	if r.Events > 0 {
		r.RepliesPer = float64(r.APICalls) / float64(r.Events)
	}
	if r.APICalls > 0 {
		r.ConnsPer = float64(r.NewConns) / float64(r.APICalls)
	}
	return r
}

// audit counts, over every event sent, the answers lost and doubled, and
// the users whose answers differ from what most users got at the same turn
// (every simulated user walks the same script, so with per-user order kept
// they all read the same answers).
func (g *generator) audit(r *report) {
	majority := map[int]map[string]int{}
	for _, u := range g.l.users {
		u.mu.Lock()
		r.Events += int64(u.seq)
		for seq := 1; seq <= u.seq; seq++ {
			got := u.got[seq]
			acked := u.acked[seq]
			if len(got) == 0 {
				if acked || g.cfg.Redeliver > 0 {
					r.Lost++
				}
				continue
			}
			seen := map[string]bool{}
			for _, b := range got {
				if seen[b] {
					r.Doubled++
					break
				}
				seen[b] = true
			}
			if majority[seq] == nil {
				majority[seq] = map[string]int{}
			}
			majority[seq][strings.Join(got, "\x1e")]++
		}
		u.mu.Unlock()
	}
	best := map[int]string{}
	for seq, m := range majority {
		n := 0
		for k, c := range m {
			if c > n || c == n && k < best[seq] {
				best[seq], n = k, c
			}
		}
	}
	for _, u := range g.l.users {
		u.mu.Lock()
		for seq := 1; seq <= u.seq; seq++ {
			if got := u.got[seq]; len(got) > 0 && strings.Join(got, "\x1e") != best[seq] {
				r.Diverged++
				break
			}
		}
		u.mu.Unlock()
	}
}

func pct(sorted []time.Duration, p int) float64 {
	return float64(pctDur(sorted, p).Microseconds()) / 1000
}

// problems lists what a -check run must not see.
func (r *report) problems() string {
	var p []string
	for _, c := range []struct {
		name string
		n    int64
	}{{"lost", r.Lost}, {"doubled", r.Doubled}, {"diverged users", r.Diverged}, {"bad auth", r.BadAuth},
		{"bad reply tokens", r.BadToken}, {"bad message counts", r.OverFive}, {"unknown recipients", r.UnknownTo}, {"given up", r.GaveUp}} {
		if c.n > 0 {
			p = append(p, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	return strings.Join(p, ", ")
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "%s %s c=%d users=%d window=%.1fs\n", r.Label, r.Platform, r.C, r.Users, r.Window)
	fmt.Fprintf(w, "  requests   %d ok, %d errors, %.0f req/s\n", r.Requests, r.Errors, r.ReqPerS)
	fmt.Fprintf(w, "  latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n", r.P50, r.P90, r.P99)
	fmt.Fprintf(w, "  events     %d sent, %d redelivered, %d given up\n", r.Events, r.Redelivered, r.GaveUp)
	fmt.Fprintf(w, "  api        %d calls (%.2f per event), %d messages, %d new connections (%.3f per call)\n", r.APICalls, r.RepliesPer, r.Messages, r.NewConns, r.ConnsPer)
	fmt.Fprintf(w, "  checks     %d lost, %d doubled, %d users diverged, %d bad auth, %d bad reply tokens, %d bad message counts, %d retry keys refused (409), %d unknown recipients\n",
		r.Lost, r.Doubled, r.Diverged, r.BadAuth, r.BadToken, r.OverFive, r.Refused, r.UnknownTo)
	pids := make([]string, 0, len(r.CPU))
	for p := range r.CPU {
		pids = append(pids, p)
	}
	slices.Sort(pids)
	for _, p := range pids {
		fmt.Fprintf(w, "  cpu        pid %s: %.3f ms per request\n", p, r.CPU[p])
	}
	warn := ""
	if r.saturated() {
		warn = " (over 90 %: the load tool may have capped the rate)"
	}
	fmt.Fprintf(w, "  sswload    %.3f ms per request, %.0f %% of a core; cores %s %.0f %% busy%s\n",
		r.LoadCPU, 100*r.LoadShare, r.LoadCores, 100*r.LoadCoreBusy, warn)
}

// cpuMillis reads user+system CPU time of each process from /proc, in ms.
func cpuMillis(pids []int) map[int]float64 {
	out := map[int]float64{}
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The command name may hold spaces: fields start after the last ")".
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[pid] = (ut + st) * 1000 / clockTicks
	}
	return out
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// runTable reads "run -json" lines (files or stdin) and prints, per label
// and concurrency, the median and range of every measure and the req/s
// ratio to the run labelled "echo" at the same concurrency.
func runTable(args []string, stdout io.Writer) error {
	var rs []report
	read := func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var x report
			if err := json.Unmarshal([]byte(line), &x); err != nil {
				return err
			}
			rs = append(rs, x)
		}
		return sc.Err()
	}
	if len(args) == 0 {
		if err := read(os.Stdin); err != nil {
			return err
		}
	}
	for _, a := range args {
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		err = read(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprint(stdout, table(rs))
	return nil
}

// table is the markdown side-by-side table. CPU is the sum over the pids
// of a run (the bot and its Redis).
func table(rs []report) string {
	type key struct {
		c     int
		label string
	}
	groups := map[key][]report{}
	var keys []key
	for _, r := range rs {
		k := key{r.C, r.Label}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortStableFunc(keys, func(a, b key) int { return a.c - b.c })
	med := func(rs []report, f func(report) float64) (m, lo, hi float64) {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		n := len(v)
		m = v[n/2]
		if n%2 == 0 {
			m = (v[n/2-1] + v[n/2]) / 2
		}
		return m, v[0], v[n-1]
	}
	rng := func(f func(report) float64, rs []report, format string) string {
		m, lo, hi := med(rs, f)
		if len(rs) == 1 || lo == hi {
			return fmt.Sprintf(format, m)
		}
		return fmt.Sprintf(format+" ("+format+"–"+format+")", m, lo, hi)
	}
	cpu := func(r report) float64 {
		s := 0.0
		for _, v := range r.CPU {
			s += v
		}
		return s
	}
	var b strings.Builder
	b.WriteString("| peer | c | rounds | req/s median (min–max) | vs echo (per-round range) | p50 ms | p99 ms | CPU ms/req (bot + Redis) | new API conns per reply | load core busy % | sswload CPU ms/req | errors | lost | doubled |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	saturated := 0
	for _, k := range keys {
		g := groups[k]
		ratio := "—"
		if echo, ok := groups[key{k.c, "echo"}]; ok && k.label != "echo" {
			em, _, _ := med(echo, func(r report) float64 { return r.ReqPerS })
			m, _, _ := med(g, func(r report) float64 { return r.ReqPerS })
			lo, hi := 0.0, 0.0
			for i := range min(len(g), len(echo)) {
				x := g[i].ReqPerS / echo[i].ReqPerS
				if i == 0 || x < lo {
					lo = x
				}
				if i == 0 || x > hi {
					hi = x
				}
			}
			ratio = fmt.Sprintf("**%.2f×** (%.2f–%.2f)", m/em, lo, hi)
		} else if k.label == "echo" {
			ratio = "1.00×"
		}
		sum := func(f func(report) int64) int64 {
			var s int64
			for _, r := range g {
				s += f(r)
			}
			return s
		}
		busy := rng(func(r report) float64 { return 100 * r.LoadCoreBusy }, g, "%.0f")
		if n := countFunc(g, report.saturated); n > 0 {
			busy += fmt.Sprintf(" ⚠ %d/%d > 90", n, len(g))
			saturated += n
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d |\n",
			k.label, k.c, len(g),
			rng(func(r report) float64 { return r.ReqPerS }, g, "%.0f"), ratio,
			rng(func(r report) float64 { return r.P50 }, g, "%.1f"),
			rng(func(r report) float64 { return r.P99 }, g, "%.1f"),
			rng(cpu, g, "%.3f"),
			rng(func(r report) float64 { return r.ConnsPer }, g, "%.3f"),
			busy, rng(func(r report) float64 { return r.LoadCPU }, g, "%.3f"),
			sum(func(r report) int64 { return r.Errors }),
			sum(func(r report) int64 { return r.Lost }),
			sum(func(r report) int64 { return r.Doubled }))
	}
	if saturated > 0 {
		fmt.Fprintf(&b, "\n⚠ In %d run(s) the load tool's cores were over 90 %% busy: their rates may be sswload's limit, not the peer's.\n", saturated)
	}
	return b.String()
}

func countFunc[T any](s []T, f func(T) bool) int {
	n := 0
	for _, x := range s {
		if f(x) {
			n++
		}
	}
	return n
}
