package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// The load tool's own cost. A side-by-side run is only fair while sswload
// (the load generator and the fake platform APIs) keeps up: when the cores
// it may run on are busy all the time, the rate measured is sswload's, not
// the bot's. So every run reports sswload's own CPU and how busy those
// cores were in the window, and `sswload table` flags a saturated run.

// saturatedBusy is the busy share of the load cores above which a run's
// rate may be capped by the load tool rather than by the peer.
const saturatedBusy = 0.90

// loadCores are the CPUs this process may run on (taskset), from
// /proc/self/status; nil when unknown.
func loadCores() []int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(v))
		}
	}
	return nil
}

// parseCPUList reads the kernel's list format: "0-3,5,7-8".
func parseCPUList(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out
}

// coreTicks sums busy and total clock ticks of the given CPUs from
// /proc/stat (busy = everything but idle and iowait, whoever ran).
func coreTicks(cores []int) (busy, total float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil || len(cores) == 0 {
		return 0, 0, false
	}
	want := map[string]bool{}
	for _, c := range cores {
		want["cpu"+strconv.Itoa(c)] = true
	}
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !want[f[0]] {
			continue
		}
		found++
		var t [8]float64 // user nice system idle iowait irq softirq steal
		for i := range t {
			t[i], _ = strconv.ParseFloat(f[i+1], 64)
		}
		all := t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7]
		total += all
		busy += all - t[3] - t[4]
	}
	return busy, total, found == len(cores)
}

// coreSample is what is read at both ends of the measured window.
type coreSample struct {
	busy, total float64
	ok          bool
	self        float64 // sswload's own CPU ms
}

func sampleCores(cores []int) coreSample {
	var s coreSample
	s.busy, s.total, s.ok = coreTicks(cores)
	s.self = cpuMillis([]int{os.Getpid()})[os.Getpid()]
	return s
}
