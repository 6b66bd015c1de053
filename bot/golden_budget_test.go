package bot_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

// TestEveryGoldenBubbleFits reads every golden transcript in
// testdata/golden (the walks of every role × route × language, the shared
// case, the understanding conversations, and any added later), whichever
// test wrote it, and checks each bubble against the length budget. A
// transcript is lines: "> " what the user sent, "=== " a conversation's
// start, "  [label] payload" a button, "  (link) …" a link, "---" the end
// of a bubble; everything else is the bubble's text.
func TestEveryGoldenBubbleFits(t *testing.T) {
	files, bubbles, longest := 0, 0, 0
	err := filepath.WalkDir(filepath.Join("testdata", "golden"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		var cur []string
		start := 0
		end := func() {
			text := strings.TrimRight(strings.Join(cur, "\n"), "\n")
			cur = nil
			if text == "" {
				return
			}
			bubbles++
			n := utf8.RuneCountInString(text)
			longest = max(longest, n)
			if n > bot.MaxBubble {
				t.Errorf("%s:%d: a bubble of %d characters, over the budget of %d:\n%s", path, start, n, bot.MaxBubble, text)
			}
		}
		for i, line := range strings.Split(string(b), "\n") {
			switch {
			case line == "---":
				end()
			case strings.HasPrefix(line, "> "), strings.HasPrefix(line, "=== "):
				end()
			case strings.HasPrefix(line, "  [") || strings.HasPrefix(line, "  (link) "):
			default:
				if len(cur) == 0 {
					start = i + 1
				}
				cur = append(cur, line)
			}
		}
		end()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 || bubbles < 800 {
		t.Fatalf("read %d golden files, %d bubbles: the transcripts moved?", files, bubbles)
	}
	t.Logf("%d golden transcripts, %d bubbles, the longest %d characters", files, bubbles, longest)
}
