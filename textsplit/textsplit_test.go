package textsplit_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"example.com/sswbot/textsplit"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int
		m     textsplit.Measure
		want  []string
	}{
		{"short text stays whole", "hello world", 20, textsplit.Runes, []string{"hello world"}},
		{"paragraphs first", "aaaa bbbb\n\ncccc dddd", 12, textsplit.Runes, []string{"aaaa bbbb", "cccc dddd"}},
		{"then lines", "aaaaaa\nbbbb cccc", 12, textsplit.Runes, []string{"aaaaaa", "bbbb cccc"}},
		{"then sentences", "Aaa bbb. Ccc ddd eee", 14, textsplit.Runes, []string{"Aaa bbb.", "Ccc ddd eee"}},
		{"a Japanese sentence ends without a space", "あいうえお。かきくけこさしす", 10, textsplit.Runes, []string{"あいうえお。", "かきくけこさしす"}},
		{"then words", "aaaa bbbb cccc", 10, textsplit.Runes, []string{"aaaa bbbb", "cccc"}},
		{"then characters", "ааааааааааа", 4, textsplit.Runes, []string{"аааа", "аааа", "ааа"}},
		{"Japanese counts characters, not bytes", "あいうえお", 5, textsplit.Runes, []string{"あいうえお"}},
		{"an emoji is two UTF-16 units", "🇯🇵🇰🇬", 4, textsplit.UTF16, []string{"🇯🇵", "🇰🇬"}},
		{"a tiny head is not cut off", "a\n\nbbbbbbbb cccccc", 12, textsplit.Runes, []string{"a\n\nbbbbbbbb", "cccccc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := textsplit.Split(tt.in, tt.limit, tt.m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSplitHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"tags count nothing", "<b>Step 1</b>", 6, []string{"<b>Step 1</b>"}},
		{"an entity counts one", "a &amp; b", 5, []string{"a &amp; b"}},
		{"an element open at a cut is closed and reopened", "<i>aaaa bbbb</i>", 5, []string{"<i>aaaa</i>", "<i>bbbb</i>"}},
		{"a link keeps its attributes on both sides", `<a href="https://x.kg/a b">aa bb</a>`, 3, []string{`<a href="https://x.kg/a b">aa</a>`, `<a href="https://x.kg/a b">bb</a>`}},
		{"never inside an entity", "aaa &lt;&lt;", 4, []string{"aaa", "&lt;&lt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := textsplit.SplitHTML(tt.in, tt.limit, textsplit.UTF16); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitHTML(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

func visible(s string) string {
	s = tagRe.ReplaceAllString(s, "")
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

func nonSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// FuzzSplitHTML checks the promises on any text: every part fits, its tags
// balance, and no visible character is lost or added.
func FuzzSplitHTML(f *testing.F) {
	f.Add("<b>Шаг 1 из 4</b>\n<i>A.3.1</i>\n\nТелефон: +996 312 65 02 64 &amp; e-mail", 12)
	f.Add("日本語の説明です。\n\n<b>連絡先</b>", 5)
	f.Fuzz(func(t *testing.T, body string, limit int) {
		if limit < 1 || limit > 200 {
			return
		}
		// Build valid HTML from the fuzz input: escape it, then wrap words
		// in tags by position.
		words := strings.Fields(body)
		for i, w := range words {
			w = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(w)
			if i%3 == 1 {
				w = "<b>" + w + "</b>"
			}
			words[i] = w
		}
		in := "<i>" + strings.Join(words, " \n") + "</i>"
		parts := textsplit.SplitHTML(in, limit, textsplit.UTF16)
		var all strings.Builder
		for _, p := range parts {
			if n := textsplit.UTF16(visible(p)); n > limit && textsplit.UTF16(strings.TrimSpace(visible(p))) > 2 {
				t.Fatalf("part %q measures %d > %d", p, n, limit)
			}
			if strings.Count(p, "<b>") != strings.Count(p, "</b>") || strings.Count(p, "<i>") != strings.Count(p, "</i>") {
				t.Fatalf("unbalanced part %q", p)
			}
			all.WriteString(visible(p))
		}
		if nonSpace(all.String()) != nonSpace(visible(in)) {
			t.Fatalf("text changed:\n%q\n%q", all.String(), visible(in))
		}
	})
}
