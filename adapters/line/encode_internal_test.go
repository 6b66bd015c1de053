package line

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
	"example.com/sswbot/internal/replysamples"
)

// sdkCard lays a card out with the SDK's types alone and checks its size
// with encoding/json: what the adapter did before its own encoder.
func sdkCard(c *bot.Card) (*messaging_api.FlexMessage, bool) {
	if c == nil {
		return nil, false
	}
	fm, ok := flex(c)
	if !ok {
		return nil, false
	}
	if b, err := json.Marshal(fm.Contents); err != nil || len(b) > maxBubbleJSON {
		return nil, false
	}
	return fm, true
}

// uncachedCard is cardMessage without the cache (for the benchmarks).
func uncachedCard(c *bot.Card) (*messaging_api.FlexMessage, bool) {
	if c == nil {
		return nil, false
	}
	e := encodeCard(c)
	if e.json == nil {
		return nil, false
	}
	return &messaging_api.FlexMessage{AltText: e.alt, Contents: e}, true
}

// sdkRequests are the request bodies the SDK would send for replies: the
// reply request first, push requests for the rest, with the images.
func sdkRequests(t testing.TB, replies []bot.Reply, to string) [][]byte {
	var out [][]byte
	for i, msgs := range withImages(batches(renderWith(replies, sdkCard)), replies) {
		var req any = &messaging_api.ReplyMessageRequest{ReplyToken: "token-" + to, Messages: msgs}
		if i > 0 {
			req = &messaging_api.PushMessageRequest{To: to, Messages: msgs}
		}
		// as the SDK's ReplyMessageWithHttpInfo and PushMessageWithHttpInfo do
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(req); err != nil {
			t.Fatalf("the SDK cannot marshal it: %v", err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// ourRequests are the bodies the adapter sends for replies.
func ourRequests(replies []bot.Reply, to string) [][]byte {
	var out [][]byte
	for i, msgs := range withImages(batches(render(replies)), replies) {
		if i == 0 {
			out = append(out, replyBody("token-"+to, msgs))
		} else {
			out = append(out, pushBody(to, msgs))
		}
	}
	return out
}

// sameAsSDK checks that the adapter's bodies are the SDK's: the same JSON
// value (and the same length, so a bubble is judged against LINE's size
// limit as before), and the SDK reads them back into its request types
// equal to what it would send. It reports whether the bytes are identical.
func sameAsSDK(t testing.TB, name string, replies []bot.Reply) (identical bool) {
	t.Helper()
	want, got := sdkRequests(t, replies, "U1"), ourRequests(replies, "U1")
	if len(got) != len(want) {
		t.Fatalf("%s: %d requests, the SDK sends %d", name, len(got), len(want))
	}
	identical = true
	for i := range want {
		var g, w any
		if err := json.Unmarshal(got[i], &g); err != nil {
			t.Fatalf("%s, request %d: not JSON: %v\n%s", name, i, err, got[i])
		}
		if err := json.Unmarshal(want[i], &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s, request %d differs from the SDK's:\n got %s\nwant %s", name, i, got[i], want[i])
		}
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s, request %d: %d bytes, the SDK's %d", name, i, len(got[i]), len(want[i]))
		}
		identical = identical && bytes.Equal(got[i], want[i])
		var gs, ws any = &messaging_api.ReplyMessageRequest{}, &messaging_api.ReplyMessageRequest{}
		if i > 0 {
			gs, ws = &messaging_api.PushMessageRequest{}, &messaging_api.PushMessageRequest{}
		}
		if err := json.Unmarshal(got[i], gs); err != nil {
			t.Fatalf("%s, request %d: the SDK cannot read it: %v", name, i, err)
		}
		if err := json.Unmarshal(want[i], ws); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gs, ws) {
			t.Fatalf("%s, request %d: the SDK reads it differently", name, i)
		}
	}
	return identical
}

// extraSamples are answers the walks do not give: an invite with its QR
// image, more buttons than fit ("More"), texts longer than a message, more
// messages than a request, and a notification.
func extraSamples() []replysamples.Sample {
	var cs []bot.Choice
	for _, p := range []string{"n:A.4", "all", "g:contacts", "g:back", "chg", "g:staff", "g:restart"} {
		cs = append(cs, bot.Choice{Label: "Label " + p, Payload: p})
	}
	long := strings.Repeat("A paragraph with \"quotes\", <tags> & a backslash \\.\n\n", 150)
	step := &bot.Card{Kind: bot.CardStep, Header: "Step 1 of 4", Side: "Japanese side", SideID: "japanese", Title: "T", Body: "B",
		Contacts: []bot.CardContact{{Name: "N", Lines: []bot.ContactLine{{Kind: bot.ContactPhone, Label: "Phone:", Value: "+81 3-1234-5678"}}}}}
	return []replysamples.Sample{
		{Name: "invite with QR", Replies: []bot.Reply{{Text: "Code ABCD: /join ABCD https://t.me/bot?start=ABCD", Image: "https://bot.example/qr/ABCD.png"}}},
		{Name: "invite with QR after five messages", Replies: []bot.Reply{{Text: "1", Card: step}, {Text: "2", Card: step}, {Text: "3", Card: step}, {Text: "4", Card: step}, {Text: "5", Card: step, Image: "https://bot.example/qr/X.png"}}},
		{Name: "More", Replies: []bot.Reply{{Text: "x", Choices: cs, More: "More"}}},
		{Name: "long text", Replies: []bot.Reply{{Text: long, Links: []bot.Link{{Label: "Site", URL: "https://example.org/a?b=c&d=e"}}}}},
		{Name: "seven cards", Replies: []bot.Reply{{Card: step}, {Card: step}, {Card: step}, {Card: step}, {Card: step}, {Card: step}, {Card: step, Choices: cs}}},
		{Name: "buttons only", Replies: []bot.Reply{{Choices: cs[:2]}}},
	}
}

// TestEncoderWritesWhatTheSDKSends: for every answer of every walk (every
// step × language × role and route, the comparison, the checklist, the
// summary, the contacts) and the answers the walks do not give (an invite
// with its QR image, "More", long texts, many cards), the reply and push
// bodies the adapter writes are the ones the SDK would write, read back
// by the SDK into equal requests; no value needs encoding/json's help.
// The answers are encoded twice, so that the second time every bubble
// comes from the cache.
func TestEncoderWritesWhatTheSDKSends(t *testing.T) {
	samples := append(replysamples.All(t), extraSamples()...)
	before := fallbacks.Load()
	identical := 0
	for pass := range 2 {
		for _, s := range samples {
			if sameAsSDK(t, fmt.Sprintf("%s (pass %d)", s.Name, pass), s.Replies) {
				identical++
			}
		}
	}
	if n := fallbacks.Load() - before; n != 0 {
		t.Errorf("%d values were left to encoding/json", n)
	}
	t.Logf("%d answers twice; %d of %d byte for byte the SDK's", len(samples), identical, 2*len(samples))
}

// FuzzEncodeAsSDK: whatever the texts (quotes, backslashes, control
// characters, U+2028 and U+2029, invalid UTF-8, emoji, HTML), the bodies
// the adapter writes are the SDK's, in a text, a quick reply, a card of
// each kind, a link and an image.
func FuzzEncodeAsSDK(f *testing.F) {
	f.Add("Hello", "Label", "n:A.4", "https://example.org/x", byte(0))
	f.Add("quote \" backslash \\ tab \t nul \x00 \x1f del \x7f", "<b>&amp;</b>", "data\u2028\u2029", "tel:+81", byte(1))
	f.Add("bad \xff\xfe utf8 \xe2\x82", "🍎👨‍👩‍👧 emoji", "\U0010FFFF", "http://x/\"", byte(2))
	f.Add("Жумуш берүүчү 雇用契約", "\u00a0\ufeff", "", "", byte(3))
	f.Fuzz(func(t *testing.T, text, label, data, uri string, kind byte) {
		kinds := []bot.CardKind{bot.CardStep, bot.CardChecklist, bot.CardContacts, bot.CardSummary, bot.CardCompare}
		c := &bot.Card{Kind: kinds[int(kind)%len(kinds)], Lang: label, Header: text, Side: label, SideID: data,
			Title: text, Subtitle: label, Body: text,
			Fields: []bot.Field{{Label: label, Value: text}}, Notes: []bot.Field{{Label: data, Value: text}},
			Items: []bot.CardItem{{Mark: "▶", Text: text, Note: label, Section: data, Action: &bot.Choice{Label: label, Payload: data}}, {Mark: label, Text: data}},
			Contacts: []bot.CardContact{{Label: label, Name: text, Lines: []bot.ContactLine{
				{Kind: bot.ContactPhone, Label: label, Value: text, Note: data},
				{Kind: bot.ContactLink, Label: label, Value: uri},
				{Kind: bot.ContactEmail, Label: label, Value: data}}}},
			Links:   []bot.CardLink{{Title: text, URL: uri, Note: label}},
			Actions: []bot.Choice{{Label: label, Payload: data}},
			Source:  data}
		replies := []bot.Reply{
			{Text: text, Image: uri, Links: []bot.Link{{Label: label, URL: uri}}},
			{Text: label, Card: c, Choices: []bot.Choice{{Label: label, Payload: data}, {Label: text, Payload: uri}}},
		}
		sameAsSDK(t, "fuzz", replies)
	})
}

// TestCardKeyCoversEveryField: cards that differ in any one field have
// different cache keys, so a cached bubble is never another card's. A
// field added to bot.Card (or what it holds) that bot.AppendCard misses
// fails here.
func TestCardKeyCoversEveryField(t *testing.T) {
	var leaves int
	fill(reflect.ValueOf(&bot.Card{}).Elem(), func(reflect.Value) { leaves++ })
	if leaves < 20 {
		t.Fatalf("only %d fields found", leaves)
	}
	var base bot.Card
	n := 0
	fill(reflect.ValueOf(&base).Elem(), func(v reflect.Value) { n++; set(v, n) })
	key := string(bot.AppendCard(nil, &base))
	for i := 1; i <= leaves; i++ {
		var c bot.Card
		n := 0
		fill(reflect.ValueOf(&c).Elem(), func(v reflect.Value) {
			n++
			if n == i {
				set(v, 1000+n)
			} else {
				set(v, n)
			}
		})
		if string(bot.AppendCard(nil, &c)) == key {
			t.Errorf("field %d of bot.Card (in declaration order, depth first) is not in the key", i)
		}
	}
	// Lengths keep texts apart: "ab"+"c" is not "a"+"bc".
	if string(bot.AppendCard(nil, &bot.Card{Title: "ab", Body: "c"})) == string(bot.AppendCard(nil, &bot.Card{Title: "a", Body: "bc"})) {
		t.Error("the key does not keep neighbouring texts apart")
	}
}

// fill walks v depth first, making every slice one element long and every
// pointer non-nil, and calls leaf for each string, int and bool.
func fill(v reflect.Value, leaf func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), leaf)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), leaf)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), leaf)
	case reflect.String, reflect.Int, reflect.Int64, reflect.Int32, reflect.Bool:
		leaf(v)
	default:
		panic("unexpected kind " + v.Kind().String() + " in bot.Card")
	}
}

func set(v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("s", n))
	case reflect.Bool:
		v.SetBool(n > 1000)
	default:
		v.SetInt(int64(n))
	}
}

// The encoder and the SDK for one step answer with its contacts
// (en/employer/agency, A.3.2), a reply request each: the SDK's types and
// encoding/json (what the adapter did before), the encoder without the
// cache (every bubble laid out and encoded), and with it (the usual case).
//
//	go test -run '^$' -bench EncodeStepReply -benchmem ./adapters/line
func BenchmarkEncodeStepReply(b *testing.B) {
	var replies []bot.Reply
	for _, s := range replysamples.All(b) {
		if s.Name == "en/employer/agency/n:A.3.2" {
			replies = s.Replies
		}
	}
	if replies == nil {
		b.Fatal("no sample")
	}
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			for _, msgs := range batches(renderWith(replies, sdkCard)) {
				var buf bytes.Buffer
				if err := json.NewEncoder(&buf).Encode(&messaging_api.ReplyMessageRequest{ReplyToken: "t", Messages: msgs}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encoder", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			for _, msgs := range batches(renderWith(replies, uncachedCard)) {
				_ = replyBody("t", msgs)
			}
		}
	})
	b.Run("encoder+cache", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			for _, msgs := range batches(render(replies)) {
				_ = replyBody("t", msgs)
			}
		}
	})
}

// cpuTime is the process's CPU time (garbage collection included): on the
// shared machine wall time per operation mostly measures waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
