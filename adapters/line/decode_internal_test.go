package line

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
		if sdkErr != nil || caseVariantKey(body) {
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

// lineKeys are the keys the adapter reads, spelled as LINE sends them.
var lineKeys = []string{"destination", "events", "type", "mode", "timestamp", "webhookEventId",
	"deliveryContext", "isRedelivery", "replyToken", "source", "userId", "groupId", "roomId",
	"message", "id", "text", "postback", "data"}

// caseVariantKey reports whether body spells one of lineKeys in another
// case ("postBACk"). LINE never does, and there the SDK disagrees with
// itself: it reads an event's own keys through a case-sensitive map and
// the nested objects with encoding/json, which ignores case. decode reads
// all of them like encoding/json, so the two cannot be compared there.
func caseVariantKey(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				for _, want := range lineKeys {
					if k != want && strings.EqualFold(k, want) {
						return true
					}
				}
				if walk(x) {
					return true
				}
			}
		case []any:
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// Decoding a LINE text event (testdata/text.json) with encoding/json and
// with decode (the fast reader).
//
//	go test -run '^$' -bench Decode -benchmem ./adapters/line
func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/text.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			var cb callback
			if err := json.Unmarshal(body, &cb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := decode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzReadFast: whatever body the fast reader accepts, encoding/json reads
// without error to the same values (it decides every body the fast reader
// refuses).
func FuzzReadFast(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"events":[{"type":"message","message":{"type":"text","text":"a\nb \"q\" \\ \/ \t"},"source":{"type":"user","userId":"U"}}]}`,
		`{"events":[{"type":"message","Type":"postback"}]}`,
		`{"events":[{"type":"message","type":"postback"}]}`,
		`{"events":[{"type":"message","timestamp":1.5}]}`,
		`{"events":[{"type":"message","timestamp":-0,"x":[1,{"y":null},true,"\u00e9"]}],"destination":"D"}`,
		`{"events":[{"type":"m\u0065ssage"}]}`,
		`{"events":[]} x`,
		`{"events":null}`,
		`{"events":[{"deliveryContext":{"isRedelivery":true},"postback":{"data":"d","params":{}}}]}`,
		"{\"events\":[{\"type\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := readFast(body)
		if !ok {
			return
		}
		var slow callback
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("%q: read fast, encoding/json fails: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %+v\njson %+v", body, fast, slow)
		}
	})
}

// The fast reader takes the bodies LINE sends (the fixtures), not only
// what encoding/json would.
func TestReadFastTakesLINEsBodies(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := readFast(b); !ok {
			t.Errorf("%s: left to encoding/json", p)
		}
	}
}
