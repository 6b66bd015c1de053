package textsplit

import (
	"reflect"
	"testing"
)

// The shortcut for a text that fits must give what the full splitter gives.
func FuzzFitsAsSplit(f *testing.F) {
	for _, s := range []string{"", " ", "\n\n", " a ", "hello world", "a\n\nb\n", "  あいう。 ", "🇯🇵 x", "<b>x</b>", "a &amp; b"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 1 || limit > 1000 {
			return
		}
		for _, html := range []bool{false, true} {
			want := split(tokenize(s, html, UTF16), limit)
			var got []string
			if html {
				got = SplitHTML(s, limit, UTF16)
			} else {
				got = Split(s, limit, UTF16)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("html=%v Split(%q, %d) = %q, the splitter gives %q", html, s, limit, got, want)
			}
		}
	})
}
