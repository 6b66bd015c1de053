package telegram_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
	"example.com/sswbot/internal/replysamples"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/format")

// samples are every answer of every walk, made once for the tests that
// need them (the walks run the real bot and take seconds).
var samples = sync.OnceValue(func() []replysamples.Sample { return replysamples.All(onceTB{}) })

// onceTB lets replysamples report a failure outside any one test.
type onceTB struct{ testing.TB }

func (onceTB) Helper()                   {}
func (onceTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (onceTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func TestCheckHTML(t *testing.T) {
	for _, tt := range []struct {
		html string
		ok   bool
	}{
		{"<b>Step 1 of 4</b> · <i>Japanese-side</i>\n&lt;b&gt; &amp; &quot; &#128279;", true},
		{`<a href="https://migrant.kg/">x</a><tg-spoiler>s</tg-spoiler><span class="tg-spoiler">s</span>`, true},
		{"<strong><em>x</em></strong><blockquote expandable>q</blockquote><pre><code class=\"language-go\">x</code></pre>", true},
		{"<b>x", false},
		{"<b><i>x</b></i>", false},
		{"<h1>x</h1>", false},
		{"<p>x</p>", false},
		{`<b class="x">x</b>`, false},
		{"a > b", false},
		{"a & b", false},
		{"&nbsp;", false},
		{"", false},
		{strings.Repeat("ж", 4096), true},
		{strings.Repeat("ж", 4097), false},
		{strings.Repeat("😀", 2049), false}, // 4,098 UTF-16 units
	} {
		if err := checkHTML(tt.html); (err == nil) != tt.ok {
			t.Errorf("checkHTML(%.40q) = %v, want ok %v", tt.html, err, tt.ok)
		}
	}
}

var (
	phoneRe = regexp.MustCompile(`\+?[0-9][0-9 -]{6,}[0-9]`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
)

// Every answer of every walk (every step × language × role, the
// comparison, the checklist, the summary, the contacts) becomes HTML that
// Telegram accepts, within its length, and keeps everything the user may
// need: every button, every page as a URL button, every phone number and
// e-mail address as plain text Telegram makes tappable.
func TestFormatEveryAnswer(t *testing.T) {
	kinds := map[bot.CardKind]int{}
	for _, s := range samples() {
		msgs := telegram.Format(s.Replies)
		if len(msgs) == 0 {
			t.Errorf("%s: no message", s.Name)
			continue
		}
		var plain, html strings.Builder
		buttons := map[string]bool{}
		for i, m := range msgs {
			if err := checkHTML(m.HTML); err != nil {
				t.Errorf("%s: message %d: Telegram would refuse it: %v\n%s", s.Name, i, err, m.HTML)
			}
			if m.Keyboard != nil && i != len(msgs)-1 && !hasCard(s.Replies) {
				t.Errorf("%s: a keyboard on message %d of %d", s.Name, i, len(msgs))
			}
			plain.WriteString(m.Plain + "\n")
			html.WriteString(m.HTML + "\n")
			for _, row := range m.Keyboard {
				for _, b := range row {
					buttons[b.CallbackData+b.URL] = true
					if n := len([]rune(b.Text)); b.URL != "" && n > 40 {
						t.Errorf("%s: link button of %d characters", s.Name, n)
					}
				}
			}
		}
		for _, p := range replysamples.SameAgenciesPhrases {
			if n := strings.Count(plain.String(), p); n > 1 {
				t.Errorf("%s: %q %d times", s.Name, p, n)
			}
		}
		for _, r := range s.Replies {
			for _, c := range r.Choices {
				if !buttons[c.Payload] {
					t.Errorf("%s: button %q (%s) lost", s.Name, c.Label, c.Payload)
				}
			}
			for _, l := range r.Links {
				if !buttons[l.URL] {
					t.Errorf("%s: link %s is no URL button", s.Name, l.URL)
				}
			}
			c := r.Card
			if c == nil {
				continue
			}
			kinds[c.Kind]++
			for _, a := range c.Actions {
				if !buttons[a.Payload] {
					t.Errorf("%s: the card's button %q (%s) lost", s.Name, a.Label, a.Payload)
				}
			}
			for _, l := range c.Links {
				if !buttons[l.URL] {
					t.Errorf("%s: page %s is no URL button", s.Name, l.URL)
				}
			}
			for _, ct := range c.Contacts {
				for _, l := range ct.Lines {
					switch l.Kind {
					case bot.ContactPhone, bot.ContactEmail:
						// Plain in the HTML too: inside a tag of ours it
						// would not be found, and in a link it would not be
						// the tappable number.
						if !strings.Contains(html.String(), l.Value) || !strings.Contains(plain.String(), l.Value) {
							t.Errorf("%s: %s %q is not in the text", s.Name, l.Kind, l.Value)
						}
					}
				}
			}
			if c.Kind == bot.CardStep {
				h := msgsHTML(msgs)
				if c.Header != "" && !strings.Contains(h, "<b>"+c.Header+"</b>") {
					t.Errorf("%s: the step header is not bold:\n%s", s.Name, h)
				}
				if c.Side != "" && !strings.Contains(h, "<i>"+c.Side+"</i>") {
					t.Errorf("%s: the side is not in italics:\n%s", s.Name, h)
				}
				if c.Source != "" && !strings.Contains(h, "<i>"+escape(c.Source)+"</i>") {
					t.Errorf("%s: the source is not in italics:\n%s", s.Name, h)
				}
				for _, f := range c.Fields {
					if !strings.Contains(h, "<b>"+escape(f.Label)+"</b>") {
						t.Errorf("%s: label %q is not bold", s.Name, f.Label)
					}
				}
			}
		}
		// Phone numbers never sit inside a tag (where Telegram would not
		// make them tappable): outside the tags they read the same.
		for _, p := range phoneRe.FindAllString(tagRe.ReplaceAllString(html.String(), ""), -1) {
			if !strings.Contains(plain.String(), p) {
				t.Errorf("%s: %q lost its form", s.Name, p)
			}
		}
	}
	for _, k := range []bot.CardKind{bot.CardStep, bot.CardChecklist, bot.CardContacts, bot.CardSummary, bot.CardCompare} {
		if kinds[k] == 0 {
			t.Errorf("no answer had a %s card: the walk no longer covers it", k)
		}
	}
}

func hasCard(rs []bot.Reply) bool {
	for _, r := range rs {
		if r.Card != nil {
			return true
		}
	}
	return false
}

func msgsHTML(ms []telegram.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.HTML + "\n")
	}
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// The design of docs/messages.md as Telegram receives it, one golden file
// per language: go test ./adapters/telegram -run Golden -update rewrites them.
func TestFormatGolden(t *testing.T) {
	want := []string{"/rt:compare", "/notes", "/rt:agency", "/n:A.3.2", "/all", "/fin:A.6", "/g:contacts"}
	got := map[string]*strings.Builder{}
	seen := map[string]bool{}
	for _, s := range samples() {
		if !strings.Contains(s.Name, "/employer/agency/") {
			continue
		}
		for _, w := range want {
			if strings.HasSuffix(s.Name, w) && !seen[s.Name] {
				seen[s.Name] = true
				if got[s.Lang] == nil {
					got[s.Lang] = &strings.Builder{}
				}
				b := got[s.Lang]
				fmt.Fprintf(b, "######## %s\n", s.Name)
				for i, m := range telegram.Format(s.Replies) {
					fmt.Fprintf(b, "--- message %d\n%s\n", i+1, m.HTML)
					for _, row := range m.Keyboard {
						var cells []string
						for _, btn := range row {
							if btn.URL != "" {
								cells = append(cells, fmt.Sprintf("[%s ↗ %s]", btn.Text, btn.URL))
							} else {
								cells = append(cells, fmt.Sprintf("[%s · %s]", btn.Text, btn.CallbackData))
							}
						}
						fmt.Fprintln(b, strings.Join(cells, " "))
					}
				}
			}
		}
	}
	for lang, b := range got {
		path := filepath.Join("testdata", "format", lang+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if string(old) != b.String() {
			t.Errorf("%s differs from what Format makes now; run go test ./adapters/telegram -run Golden -update and review the diff", path)
		}
	}
	if len(got) != 4 {
		t.Errorf("golden languages %d, want 4", len(got))
	}
}

// A text over Telegram's limit is cut into messages that each parse: a
// bold title open at a cut is closed and opened again, no entity is cut,
// and only the last message carries the keyboard.
func TestFormatSplitsLongCardsBetweenTags(t *testing.T) {
	long := strings.Repeat("Ж&<>ё ", 900) // 5,400 characters, entities every few
	card := &bot.Card{Kind: bot.CardStep, Header: "Шаг 1 из 2", Title: strings.Repeat("Очень длинный заголовок ", 200), Body: long,
		Fields: []bot.Field{{Label: "Кто:", Value: "работодатель"}}, Source: "Источник: раздел A.1"}
	msgs := telegram.Format([]bot.Reply{{Text: "plain", Card: card, Choices: []bot.Choice{{Label: "Далее", Payload: "n:A.1"}}}})
	if len(msgs) < 3 {
		t.Fatalf("%d messages, want the text cut in at least 3", len(msgs))
	}
	for i, m := range msgs {
		if err := checkHTML(m.HTML); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
		if (m.Keyboard != nil) != (i == len(msgs)-1) {
			t.Errorf("message %d of %d: keyboard %v", i, len(msgs), m.Keyboard)
		}
	}
	if !strings.HasPrefix(msgs[1].HTML, "<b>") {
		t.Errorf("the title cut between messages is not bold again: %.60q", msgs[1].HTML)
	}
}

// TestFormatKeepsTheLengthBudget: on Telegram a reply's text is a message
// of at most 600 characters (bot.MaxBubble), as everywhere; a card is one
// message in place of the Span replies that hold its plain text, and is no
// longer than they are together (at most Span × 600 visible characters: the
// layout adds no words). The exactly-once join of a turn's messages
// (send.go) comes after this and is not a new text, only one send.
func TestFormatKeepsTheLengthBudget(t *testing.T) {
	longestCard := 0
	for _, s := range samples() {
		msgs := telegram.Format(s.Replies)
		var budgets []int
		for i := 0; i < len(s.Replies); {
			r := s.Replies[i]
			n := 1
			if r.Card != nil {
				n = min(r.Card.Spans(), len(s.Replies)-i)
			}
			empty := r.Card == nil && strings.TrimSpace(r.Text) == "" && len(r.Choices) == 0 && len(r.Links) == 0
			if !empty {
				budgets = append(budgets, n*bot.MaxBubble)
			}
			i += n
		}
		if len(budgets) != len(msgs) {
			t.Errorf("%s: %d messages for %d replies or cards", s.Name, len(msgs), len(budgets))
			continue
		}
		for i, m := range msgs {
			n := len([]rune(m.Plain))
			if n > budgets[i] {
				t.Errorf("%s: message %d has %d characters, over its budget of %d:\n%s", s.Name, i, n, budgets[i], m.Plain)
			}
			if budgets[i] > bot.MaxBubble {
				longestCard = max(longestCard, n)
			}
		}
	}
	t.Logf("the longest card message: %d characters", longestCard)
}
