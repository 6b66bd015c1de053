package understand_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"example.com/sswbot/understand"
)

// TestDebugRead prints readings of the lines in $UNDERSTAND_DEBUG ("lang|expect|text").
func TestDebugRead(t *testing.T) {
	path := os.Getenv("UNDERSTAND_DEBUG")
	if path == "" {
		t.Skip("set UNDERSTAND_DEBUG to a file of lang|expect|text lines")
	}
	m := mustModel(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), "|", 3)
		if len(parts) != 3 {
			continue
		}
		var expect []string
		if parts[1] != "" {
			expect = strings.Split(parts[1], ",")
		}
		r := m.Read(understand.Query{Text: parts[2], Lang: parts[0], Expect: expect})
		fmt.Printf("%-50s conf=%v %v alt=%v  fold=%q\n", parts[2], r.Confident, r.Matches, r.Alternatives, m.Fold(parts[2], parts[0]))
	}
}
