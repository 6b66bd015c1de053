package line_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
	"example.com/sswbot/internal/replysamples"
)

// TestEveryAnswerFitsLINE renders every answer of every walk (every step ×
// language × role, the comparison, the checklist, the summary, the
// contacts) as the adapter sends it and checks each request against LINE's
// limits (line.ValidateRequest): the SDK's types accept it, bubbles within
// 10 KB, labels within 20 characters, altText within 400, URIs with a
// documented scheme, at most 5 messages a request. Every card becomes a
// bubble, and at most five quick replies show.
func TestEveryAnswerFitsLINE(t *testing.T) {
	var bubbles, biggest, maxMsgs int
	for _, s := range replysamples.All(t) {
		msgs := line.Render(s.Replies)
		cards := 0
		for _, r := range s.Replies {
			if r.Card != nil {
				cards++
			}
		}
		flex := 0
		for _, m := range msgs {
			switch m := m.(type) {
			case *messaging_api.FlexMessage:
				flex++
			case *messaging_api.TextMessage:
				// A text bubble keeps the length budget; a card is a
				// Flex bubble instead of its text bubbles.
				if n := len([]rune(m.Text)); n > bot.MaxBubble {
					t.Errorf("%s: a text message of %d characters", s.Name, n)
				}
			}
		}
		if flex != cards {
			t.Errorf("%s: %d cards but %d Flex messages", s.Name, cards, flex)
		}
		bubbles += flex
		maxMsgs = max(maxMsgs, len(msgs))
		var sent strings.Builder
		for i, body := range line.Requests(msgs) {
			if err := line.ValidateRequest(body); err != nil {
				t.Errorf("%s, request %d: %v", s.Name, i, err)
			}
			biggest = max(biggest, len(body))
			sent.Write(body)
		}
		// What the user sees (altText is shown only where the bubble is
		// not) says at most once that ① and ② name the same agencies.
		shown := shownTexts(t, line.Requests(msgs))
		for _, p := range replysamples.SameAgenciesPhrases {
			if n := strings.Count(shown, p); n > 1 {
				t.Errorf("%s: %q %d times", s.Name, p, n)
			}
		}
		// A card's buttons (the comparison's "Details" and general notes)
		// are in its bubble: what they open stays reachable.
		for _, r := range s.Replies {
			if r.Card == nil {
				continue
			}
			acts := append([]bot.Choice(nil), r.Card.Actions...)
			for _, it := range r.Card.Items {
				if it.Action != nil {
					acts = append(acts, *it.Action)
				}
			}
			for _, a := range acts {
				if !strings.Contains(sent.String(), `"data":"`+a.Payload+`"`) {
					t.Errorf("%s: the card's button %q (%s) is not sent", s.Name, a.Label, a.Payload)
				}
			}
		}
		if qr := line.QuickReplies(msgs); len(qr) > 5 {
			t.Errorf("%s: %d quick replies", s.Name, len(qr))
		}
	}
	t.Logf("%d bubbles; at most %d messages an answer; largest request %d bytes", bubbles, maxMsgs, biggest)
}

// shownTexts returns every string of the requests' messages but the
// altTexts, one a line.
func shownTexts(t *testing.T, bodies [][]byte) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k != "altText" {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			b.WriteString(v + "\n")
		}
	}
	for _, body := range bodies {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
	}
	return b.String()
}

// TestFlexGolden keeps the Flex JSON of a few answers in testdata/flex
// (run with -update and review the diff): a step with contacts, a step
// with the agency lists, the comparison, the checklist, the summary and
// the contacts.
func TestFlexGolden(t *testing.T) {
	want := map[string]string{
		"en/employer/agency/n:A.3.2":    "en-step-contacts",
		"ja/employer/agency/rt:agency":  "ja-step-links",
		"ru/worker/direct/rt:compare":   "ru-compare",
		"ky/employer/center/all":        "ky-checklist",
		"ja/employer/japan/fin:B.2":     "ja-summary",
		"en/worker/direct/g:contacts":   "en-contacts",
		"ja/employer/direct/g:contacts": "ja-contacts",
	}
	found := map[string]bool{}
	for _, s := range replysamples.All(t) {
		name, ok := want[s.Name]
		if !ok || found[name] {
			continue
		}
		found[name] = true
		var b bytes.Buffer
		for _, body := range line.Requests(line.Render(s.Replies)) {
			if err := json.Indent(&b, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n")
		}
		path := filepath.Join("testdata", "flex", name+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, b.Bytes()) {
			t.Errorf("%s differs (run go test ./adapters/line -run TestFlexGolden -update and review the diff)", path)
		}
	}
	for s, name := range want {
		if !found[name] {
			t.Errorf("no sample %s", s)
		}
	}
}

// TestMoreIsAQuickReply: seven buttons show as four and "More", whose
// postback names the other three.
func TestMoreIsAQuickReply(t *testing.T) {
	var cs []bot.Choice
	for _, p := range []string{"n:A.4", "all", "g:contacts", "g:back", "chg", "g:staff", "g:restart"} {
		cs = append(cs, bot.Choice{Label: p, Payload: p})
	}
	qr := line.QuickReplies(line.Render([]bot.Reply{{Text: "x", Choices: cs, More: "More"}}))
	if len(qr) != 5 || qr[4] != "More=more:chg g:staff g:restart" {
		t.Errorf("quick replies %q", qr)
	}
	if !strings.HasPrefix(qr[0], "n:A.4=") {
		t.Errorf("first quick reply %q", qr[0])
	}
}

// TestContactActionsWork: in every answer with a card, each phone number
// is a tel: action dialling exactly its digits, each official page and
// contact link a URI action to exactly its URL, and each e-mail address is
// on the screen as text (LINE documents no mailto: scheme; the apps make
// an address tappable), never an action.
func TestContactActionsWork(t *testing.T) {
	phones, pages, mails := 0, 0, 0
	for _, s := range replysamples.All(t) {
		bodies := line.Requests(line.Render(s.Replies))
		var uris []string
		for _, b := range bodies {
			for _, m := range uriRe.FindAllSubmatch(b, -1) {
				uris = append(uris, string(m[1]))
			}
		}
		has := func(u string) bool {
			for _, x := range uris {
				if x == u {
					return true
				}
			}
			return false
		}
		shown := shownTexts(t, bodies)
		for _, r := range s.Replies {
			c := r.Card
			if c == nil {
				continue
			}
			for _, ct := range c.Contacts {
				for _, l := range ct.Lines {
					switch l.Kind {
					case bot.ContactPhone:
						phones++
						tel := "tel:" + strings.Map(func(r rune) rune {
							if r == '+' || (r >= '0' && r <= '9') {
								return r
							}
							return -1
						}, l.Value)
						if len(tel) < len("tel:")+7 || !has(tel) {
							t.Errorf("%s: phone %q has no action %s", s.Name, l.Value, tel)
						}
					case bot.ContactLink:
						pages++
						if !has(l.Value) {
							t.Errorf("%s: link %q has no URI action", s.Name, l.Value)
						}
					case bot.ContactEmail:
						mails++
						if !strings.Contains(shown, l.Value) {
							t.Errorf("%s: e-mail %q is not shown", s.Name, l.Value)
						}
					}
				}
			}
			for _, l := range c.Links {
				pages++
				if !has(l.URL) {
					t.Errorf("%s: page %q has no URI action", s.Name, l.URL)
				}
			}
		}
		for _, u := range uris {
			if strings.HasPrefix(u, "mailto:") {
				t.Errorf("%s: a mailto: action %q", s.Name, u)
			}
		}
	}
	if phones == 0 || pages == 0 || mails == 0 {
		t.Errorf("the walks showed %d phones, %d pages, %d e-mail addresses: no longer covered", phones, pages, mails)
	}
}

var uriRe = regexp.MustCompile(`"uri":"([^"]*)"`)
