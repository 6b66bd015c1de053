package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadGCTrace(t *testing.T) {
	const started = int64(1_000_000_000_000)
	in := `{"level":"info"}
gc 1 @0.022s 3%: 0.022+4.2+0.011 ms clock, 0.022+0.41/0.56/0+0.011 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P
gc 4 @2.834s 0%: 0.071+15+0.006 ms clock, 0.071+2.9/4.2/0+0.006 ms cpu, 156->156->6 MB, 160 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)
scvg: something else
`
	got, err := readGCTrace(strings.NewReader(in), started)
	if err != nil {
		t.Fatal(err)
	}
	want := []timed{
		{started + 22_000_000, time.Duration((0.022 + 4.2 + 0.011) * 1e6)},
		{started + 2_834_000_000, time.Duration((0.071 + 15 + 0.006) * 1e6)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d collections, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("collection %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// One slow request in a hundred, and it is the one that meets the
// collection: gctail must say all of the slowest per cent overlap it, and
// that the others' p99 is the fast latency.
func TestGCTailFindsTheCollectionsShare(t *testing.T) {
	dir := t.TempDir()
	const t0 = int64(2_000_000_000_000)
	var lats strings.Builder
	for i := range 200 {
		d := time.Millisecond
		if i == 100 || i == 101 {
			d = 30 * time.Millisecond
		}
		fmt.Fprintf(&lats, "%d %d\n", t0+int64(i)*int64(5*time.Millisecond), int64(d))
	}
	lf := filepath.Join(dir, "lat.txt")
	gf := filepath.Join(dir, "gc.txt")
	if err := os.WriteFile(lf, []byte(lats.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The collection starts 0.5 s after the process, i.e. with request 100.
	gc := "gc 3 @0.500s 1%: 0.05+12+0.01 ms clock, 0.05+1/2/0+0.01 ms cpu, 200->200->6 MB, 220 MB goal, 1 P\n"
	if err := os.WriteFile(gf, []byte(gc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	args := []string{"-latencies", lf, "-gctrace", gf, "-started", fmt.Sprint(t0), "-after", "10ms", "-before", "1ms"}
	if err := run(t.Context(), append([]string{"gctail"}, args...), os.Getenv, &out, &out); err != nil {
		t.Fatal(err, out.String())
	}
	for _, want := range []string{
		"requests   200,",
		"collections 1 in the window (ms of the clock each: 12.1)",
		"the slowest per cent: 2 requests; 2 of them (100 %) overlap a collection",
		"overlapping none: 198 requests (99.0 %), p99 1.00 ms",
		"+0: 30.0 (2)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(t.Context(), []string{"gctail", "-latencies", lf}, os.Getenv, &out, &out); err == nil {
		t.Error("gctail without -gctrace and -started: no error")
	}
}
