package bot

import (
	"regexp"
	"strings"
	"testing"

	"example.com/sswbot/knowledge"
)

// fill must do what strings.NewReplacer does (it replaced it for speed):
// on every content text with its own placeholders, and on the edge cases.
func TestFillIsStringsReplacer(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	check := func(s string, kv ...string) {
		t.Helper()
		if got, want := fill(s, kv...), strings.NewReplacer(kv...).Replace(s); got != want {
			t.Fatalf("fill(%q, %q) = %q, want %q", s, kv, got, want)
		}
	}
	n := 0
	for key := range kb.UI {
		for _, lang := range knowledge.Languages {
			s := kb.UIText(key, lang)
			var kv []string
			for i, p := range ph.FindAllString(s, -1) {
				kv = append(kv, p, strings.Repeat("{x}", i%2)+"v"+p[1:len(p)-1])
			}
			if kv == nil {
				kv = []string{"{none}", "x"}
			}
			check(s, kv...)
			check(s, append([]string{"{", "?"}, kv...)...) // a shorter key first wins where it matches
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d content texts checked", n)
	}
	for _, c := range [][]string{
		{""}, {"{a}", "{a}", "1"}, {"{a}{a}{b}", "{a}", "1", "{b}", ""}, {"x{a", "{a}", "1"},
		{"{{a}}", "{a}", "{a}"}, {"{a}", "{a}", ""}, {"{ab}{a}", "{a}", "1", "{ab}", "2"},
		{"{ab}{a}", "{ab}", "2", "{a}", "1"}, {"plain", "{a}", "1"}, {"a{b}c", "b", "x"},
		{"{é}{a}", "{é}", "e", "{a}", "z"}, {"}{a}{", "{a}", "1"},
	} {
		check(c[0], c[1:]...)
	}
}

func BenchmarkFill(b *testing.B) {
	s := "Step {n} of {total}: {title}"
	for b.Loop() {
		fill(s, "{n}", "2", "{total}", "4", "{title}", "Visa application")
	}
}
