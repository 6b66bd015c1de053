package line

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// validateRequest checks a reply or push request body the way LINE's
// documented limits read (see docs/messages.md): at most 5 messages, each
// a text or a Flex message the SDK's types accept; texts within 5,000
// UTF-16 units; altText within our 400; a bubble's JSON within our 10 KB;
// only the components we use, with the properties LINE requires; action
// labels within 20 characters, postback data within 300, URIs with a
// scheme LINE documents; at most 13 quick replies.
// The fake LINE APIs of the tests answer 400 with its error, as LINE would.
func validateRequest(body []byte) error {
	var req struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if n := len(req.Messages); n < 1 || n > maxMessages {
		return fmt.Errorf("%d messages, want 1 to %d", n, maxMessages)
	}
	for i, raw := range req.Messages {
		if err := validateMessage(raw); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return nil
}

func validateMessage(raw json.RawMessage) error {
	if _, err := messaging_api.UnmarshalMessage(raw); err != nil {
		return fmt.Errorf("the SDK does not accept it: %w", err)
	}
	var m struct {
		Type       string          `json:"type"`
		Text       string          `json:"text"`
		AltText    string          `json:"altText"`
		Contents   json.RawMessage `json:"contents"`
		QuickReply *struct {
			Items []struct {
				Type   string          `json:"type"`
				Action json.RawMessage `json:"action"`
			} `json:"items"`
		} `json:"quickReply"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	switch m.Type {
	case "text":
		if m.Text == "" || utf16Len(m.Text) > maxTextUnits {
			return fmt.Errorf("a text of %d units", utf16Len(m.Text))
		}
	case "flex":
		if m.AltText == "" || utf16Len(m.AltText) > maxAltText {
			return fmt.Errorf("altText of %d units", utf16Len(m.AltText))
		}
		if len(m.Contents) > maxBubbleJSON {
			return fmt.Errorf("a bubble of %d bytes of JSON", len(m.Contents))
		}
		if _, err := messaging_api.UnmarshalFlexContainer(m.Contents); err != nil {
			return fmt.Errorf("the SDK does not accept the bubble: %w", err)
		}
		var bubble map[string]json.RawMessage
		if err := json.Unmarshal(m.Contents, &bubble); err != nil {
			return err
		}
		if string(bubble["type"]) != `"bubble"` {
			return fmt.Errorf("contents of type %s, want a bubble", bubble["type"])
		}
		for _, part := range []string{"header", "hero", "body", "footer"} {
			if raw, ok := bubble[part]; ok {
				if err := validateComponent(raw, part); err != nil {
					return err
				}
			}
		}
	default:
		return fmt.Errorf("a message of type %q", m.Type)
	}
	if m.QuickReply != nil {
		if n := len(m.QuickReply.Items); n < 1 || n > maxQuickReplies {
			return fmt.Errorf("%d quick replies", n)
		}
		for _, it := range m.QuickReply.Items {
			if it.Type != "action" {
				return fmt.Errorf("a quick reply of type %q", it.Type)
			}
			if err := validateAction(it.Action, "quick reply"); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateComponent checks one Flex component and its children.
func validateComponent(raw json.RawMessage, where string) error {
	var c struct {
		Type     string            `json:"type"`
		Layout   string            `json:"layout"`
		Text     string            `json:"text"`
		Contents []json.RawMessage `json:"contents"`
		Action   json.RawMessage   `json:"action"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	where += "/" + c.Type
	switch c.Type {
	case "box":
		if c.Layout != "vertical" && c.Layout != "horizontal" && c.Layout != "baseline" {
			return fmt.Errorf("%s: layout %q", where, c.Layout)
		}
		for _, k := range c.Contents {
			if err := validateComponent(k, where); err != nil {
				return err
			}
		}
	case "text":
		if strings.TrimSpace(c.Text) == "" && len(c.Contents) == 0 {
			return fmt.Errorf("%s: an empty text", where)
		}
		for _, k := range c.Contents {
			if err := validateComponent(k, where); err != nil {
				return err
			}
		}
	case "span":
		if c.Text == "" {
			return fmt.Errorf("%s: an empty span", where)
		}
	case "button":
		if len(c.Action) == 0 || string(c.Action) == "null" {
			return fmt.Errorf("%s: a button without an action", where)
		}
	case "separator":
	default:
		return fmt.Errorf("%s: a component we do not use", where)
	}
	if len(c.Action) > 0 && string(c.Action) != "null" {
		return validateAction(c.Action, where)
	}
	return nil
}

func validateAction(raw json.RawMessage, where string) error {
	var a struct {
		Type, Label, Data, DisplayText, URI string
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: action: %w", where, err)
	}
	a.Type, a.Label, a.Data, a.DisplayText, a.URI = m["type"], m["label"], m["data"], m["displayText"], m["uri"]
	if utf8.RuneCountInString(a.Label) > maxLabelRunes {
		return fmt.Errorf("%s: label %q over %d characters", where, a.Label, maxLabelRunes)
	}
	switch a.Type {
	case "postback":
		if a.Label == "" || a.Data == "" || len(a.Data) > maxPostback || utf8.RuneCountInString(a.DisplayText) > maxDisplayRunes {
			return fmt.Errorf("%s: postback %+v", where, a)
		}
	case "uri":
		if !validURI(a.URI) {
			return fmt.Errorf("%s: URI %q", where, a.URI)
		}
	default:
		return fmt.Errorf("%s: an action of type %q", where, a.Type)
	}
	return nil
}
