package line_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
			if _, ok := m.(*messaging_api.FlexMessage); ok {
				flex++
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
