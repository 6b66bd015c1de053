package line_test

import (
	"strings"
	"testing"

	"example.com/sswbot/adapters/line"
)

func TestSplitText(t *testing.T) {
	para := func(r string, n int) string { return strings.Repeat(r, n) }
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"a short text stays whole", "hello\n\nworld", 5000, []string{"hello\n\nworld"}},
		{"a text of exactly the limit stays whole", para("a", 5000), 5000, []string{para("a", 5000)}},
		{"emoji count two units each", para("🍎", 2500), 5000, []string{para("🍎", 2500)}},
		{"one emoji too many splits without breaking it", para("🍎", 2501), 5000, []string{para("🍎", 2500), "🍎"}},
		{"paragraphs are kept together while they fit", "aaa\n\nbbb\n\nccc", 8, []string{"aaa\n\nbbb", "ccc"}},
		{"a long paragraph is split at lines", "aaa\nbbb\nccc\n\nd", 8, []string{"aaa\nbbb", "ccc\n\nd"}},
		{"a long line is split at spaces", "aaa bbb ccc", 8, []string{"aaa bbb", "ccc"}},
		{"a long word is cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"Japanese counts one unit per character", para("あ", 5001), 5000, []string{para("あ", 5000), "あ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := line.SplitText(tt.text, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("SplitText = %q, want %q", short(got), short(tt.want))
			}
			for _, p := range got {
				if n := line.UTF16Len(p); n > tt.limit {
					t.Errorf("piece of %d units, limit %d", n, tt.limit)
				}
			}
		})
	}
}

func TestSplitTextKeepsEverything(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString(strings.Repeat("Слово 🍎 日本 ", 20+i*7))
		b.WriteString("\n")
		if i%3 == 0 {
			b.WriteString("\n")
		}
	}
	text := b.String()
	pieces := line.SplitText(text, 500)
	strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if got, want := strip(strings.Join(pieces, " ")), strip(text); got != want {
		t.Error("split text lost or changed content")
	}
	for _, p := range pieces {
		if n := line.UTF16Len(p); n > 500 {
			t.Errorf("piece of %d units, limit 500", n)
		}
	}
}

func TestRetryKeyIsStable(t *testing.T) {
	a, b := line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 0), line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 0)
	if a != b {
		t.Errorf("keys differ: %q, %q", a, b)
	}
	if c := line.RetryKey("01FZ74ASS536FW97EX38NKCZQK", 1); c == a {
		t.Error("the second request of an event has the first one's key")
	}
	if d := line.RetryKey("01FZ74ASS536FW97EX38NKCZQ2", 0); d == a {
		t.Error("two events have the same key")
	}
}

// short abbreviates long pieces in failure messages.
func short(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if r := []rune(p); len(r) > 12 {
			p = string(r[:6]) + "…" + string(r[len(r)-3:])
		}
		out[i] = p
	}
	return out
}
