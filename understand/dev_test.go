package understand_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"example.com/sswbot/understand"
)

// TestDevSet reports how a file of "lang|expect|text|slot=value" lines reads
// (set UNDERSTAND_DEV); a tuning aid, not a gate.
func TestDevSet(t *testing.T) {
	path := os.Getenv("UNDERSTAND_DEV")
	if path == "" {
		t.Skip("set UNDERSTAND_DEV")
	}
	m := mustModel(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	ok, n := 0, 0
	for s.Scan() {
		p := strings.Split(s.Text(), "|")
		if len(p) != 4 {
			continue
		}
		var expect []string
		if p[1] != "" {
			expect = []string{p[1]}
		}
		r := m.Read(understand.Query{Text: p[2], Lang: p[0], Expect: expect})
		n++
		got := "-"
		if len(r.Matches) > 0 && r.Confident {
			got = r.Matches[0].Slot + "=" + r.Matches[0].Value
		}
		if got == p[3] {
			ok++
			continue
		}
		fmt.Printf("MISS %s %-45q want %s got %s %v\n", p[0], p[2], p[3], got, r.Matches)
	}
	fmt.Printf("%d/%d\n", ok, n)
}
