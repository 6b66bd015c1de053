package line

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// view is what the adapter reads from an event, however it was decoded.
type view struct {
	Type, Mode, ID, ReplyToken string
	Timestamp                  int64
	Redelivery                 bool
	SourceType, To             string
	Text, Message              string // the text of a text message; the message type
	Postback                   string
}

func sdkSource(s webhook.SourceInterface) (typ, to string) {
	switch s := s.(type) {
	case webhook.UserSource:
		return "user", s.UserId
	case webhook.GroupSource:
		return "group", s.GroupId
	case webhook.RoomSource:
		return "room", s.RoomId
	}
	return "", ""
}

// sdkView reads an event the way the adapter did before it had its own
// decoder: through the SDK's types.
func sdkView(ev webhook.EventInterface) view {
	v := view{Type: ev.GetType()}
	meta := func(s webhook.SourceInterface, ts int64, mode webhook.EventMode, id string, dc *webhook.DeliveryContext, token string) {
		v.SourceType, v.To = sdkSource(s)
		v.Timestamp, v.Mode, v.ID, v.Redelivery, v.ReplyToken = ts, string(mode), id, dc != nil && dc.IsRedelivery, token
	}
	switch e := ev.(type) {
	case webhook.MessageEvent:
		meta(e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken)
		if t, ok := e.Message.(webhook.TextMessageContent); ok {
			v.Message, v.Text = "text", t.Text
		}
	case webhook.PostbackEvent:
		meta(e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken)
		if e.Postback != nil {
			v.Postback = e.Postback.Data
		}
	case webhook.FollowEvent:
		meta(e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken)
	case webhook.UnfollowEvent:
		meta(e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, "")
	case webhook.JoinEvent:
		meta(e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken)
	}
	return v
}

func leanView(e event) view {
	v := view{Type: e.Type}
	switch e.Type {
	case "message", "postback", "follow", "unfollow", "join":
	default:
		return v
	}
	if e.Source != nil {
		switch e.Source.Type {
		case "user":
			v.SourceType, v.To = "user", e.Source.UserID
		case "group":
			v.SourceType, v.To = "group", e.Source.GroupID
		case "room":
			v.SourceType, v.To = "room", e.Source.RoomID
		}
	}
	v.Timestamp, v.Mode, v.ID, v.ReplyToken = e.Timestamp, e.Mode, e.WebhookEventID, e.ReplyToken
	v.Redelivery = e.DeliveryContext != nil && e.DeliveryContext.IsRedelivery
	if e.Type == "unfollow" {
		v.ReplyToken = ""
	}
	if e.Type == "message" && e.Message != nil && e.Message.Type == "text" {
		v.Message, v.Text = "text", e.Message.Text
	}
	if e.Type == "postback" && e.Postback != nil {
		v.Postback = e.Postback.Data
	}
	return v
}

// FuzzDecodeAsSDK: every body the SDK reads, the adapter's own decoder
// reads too, to the same values; the SDK stays the reference for LINE's
// wire format. (The decoder may accept more: fields it does not use are
// not checked.)
func FuzzDecodeAsSDK(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"image","id":"1"}}]}`))
	f.Add([]byte(`{"events":[{"type":"postback","source":{"type":"room","roomId":"R"},"postback":null,"mode":"standby"}]}`))
	f.Add([]byte(`{"events":[{"type":"beacon"},{"type":"nonsense","source":{"type":"x"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var cb webhook.CallbackRequest
		sdkErr := json.Unmarshal(body, &cb)
		lean, err := decode(body)
		if sdkErr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the SDK reads %q, decode fails: %v", body, err)
		}
		if len(lean.Events) != len(cb.Events) {
			t.Fatalf("%q: %d events, the SDK reads %d", body, len(lean.Events), len(cb.Events))
		}
		for i, ev := range cb.Events {
			if got, want := leanView(lean.Events[i]), sdkView(ev); got != want {
				t.Fatalf("%q event %d:\n got %+v\nwant %+v", body, i, got, want)
			}
		}
	})
}
