package console

import "testing"

func TestSafeTelegramHTML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<b>Step 1 of 6</b>\n<i>A.1</i>", "<b>Step 1 of 6</b>\n<i>A.1</i>"},
		{"a &lt; b &amp; c", "a &lt; b &amp; c"},
		{`<a href="javascript:x">x</a>`, `&lt;a href="javascript:x">x&lt;/a>`},
		{"<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"},
		{"<b onclick=x>y</b>", "&lt;b onclick=x>y</b>"},
		{"1 < 2", "1 &lt; 2"},
		{"<", "&lt;"},
	} {
		if got := string(safeTelegramHTML(tc.in)); got != tc.want {
			t.Errorf("safeTelegramHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
