package console

import (
	"encoding/json"
	"html/template"
	"strings"
)

// A LINE message as the console's "Try it" shows it: a text bubble, or a
// Flex bubble laid out from the exact JSON the LINE adapter sends (boxes,
// texts with their spans, buttons, separators), with its quick replies.
// The console does not know LINE: cmd/sswbot gives it the adapter's
// Preview function (Deps.LINEPreview). Colours become classes (the CSP
// allows no inline styles); console.css knows the ones sswbot uses.
type lineMessage struct {
	Text    string
	AltText string
	Bubble  *flexNode
	Quick   []string
}

type flexNode struct {
	Type     string // box, text, span, button, separator
	Layout   string // vertical, horizontal, baseline
	Text     string
	Size     string
	Colour   string // a class: c-1565c0
	BG       string // a class: bg-1f4e8c
	Bold     bool
	Under    bool
	URI      template.URL // a URI action (http, https, tel): shown as a link
	Label    string       // a button's or postback action's label
	Style    string       // a button's style
	Children []*flexNode
	Header   *flexNode
	Body     *flexNode
	Footer   *flexNode
}

// lineMessages parses the adapter's message JSON; what it cannot read it
// leaves out.
func lineMessages(raw []json.RawMessage) []lineMessage {
	var out []lineMessage
	for _, r := range raw {
		var m struct {
			Type       string         `json:"type"`
			Text       string         `json:"text"`
			AltText    string         `json:"altText"`
			Contents   map[string]any `json:"contents"`
			QuickReply struct {
				Items []struct {
					Action struct {
						Label string `json:"label"`
					} `json:"action"`
				} `json:"items"`
			} `json:"quickReply"`
		}
		if json.Unmarshal(r, &m) != nil {
			continue
		}
		lm := lineMessage{Text: m.Text, AltText: m.AltText}
		if m.Type == "flex" && m.Contents != nil {
			lm.Bubble = &flexNode{Type: "bubble", Header: flexOf(m.Contents["header"]),
				Body: flexOf(m.Contents["body"]), Footer: flexOf(m.Contents["footer"])}
		}
		for _, it := range m.QuickReply.Items {
			lm.Quick = append(lm.Quick, it.Action.Label)
		}
		out = append(out, lm)
	}
	return out
}

func flexOf(v any) *flexNode {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	s := func(k string) string { x, _ := m[k].(string); return x }
	n := &flexNode{Type: s("type"), Layout: s("layout"), Text: s("text"), Size: s("size"), Style: s("style"),
		Bold: s("weight") == "bold", Under: s("decoration") == "underline"}
	if c := colourClass(s("color")); c != "" {
		n.Colour = "c-" + c
	}
	if c := colourClass(s("backgroundColor")); c != "" {
		n.BG = "bg-" + c
	}
	if a, ok := m["action"].(map[string]any); ok {
		// html/template lets only http(s) and mailto through; LINE's
		// actions are http(s) and tel: (checked here, so trusted).
		if u, _ := a["uri"].(string); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "tel:") {
			n.URI = template.URL(u)
		}
		n.Label, _ = a["label"].(string)
	}
	if cs, ok := m["contents"].([]any); ok {
		for _, c := range cs {
			if k := flexOf(c); k != nil {
				n.Children = append(n.Children, k)
			}
		}
	}
	return n
}

// colourClass turns "#1F4E8C" into "1f4e8c" ("" for anything else).
func colourClass(c string) string {
	c = strings.ToLower(strings.TrimPrefix(c, "#"))
	if len(c) != 6 || strings.Trim(c, "0123456789abcdef") != "" {
		return ""
	}
	return c
}
