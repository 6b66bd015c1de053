package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startEcho runs the reference peer against the fake API at api.
func startEcho(t *testing.T, api string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	env := map[string]string{"LINE_CHANNEL_SECRET": "testsecret", "LINE_CHANNEL_ACCESS_TOKEN": "test-token", "LINE_API_BASE_URL": "http://" + api}
	go func() {
		defer close(done)
		_ = runEcho(ctx, []string{"-addr", addr}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("echo did not start")
	return ""
}

func testConfig(api string, targets ...string) config {
	return config{Targets: targets, Platform: "line", Users: 20, C: 4, Events: 200, Mode: "text", API: api,
		Secret: "testsecret", Token: "test-token", TGToken: "1:t", TGSecret: "s", Drain: 50 * time.Millisecond, Label: "t"}
}

func TestEchoPeerAnswersEveryEventOnce(t *testing.T) {
	api := freeAddr(t)
	target := startEcho(t, api)
	rep, err := load(context.Background(), testConfig(api, target), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.problems(); p != "" {
		t.Fatalf("problems: %s", p)
	}
	if rep.Events != 200 || rep.APICalls != 200 || rep.Messages != 200 || rep.Requests != 200 {
		t.Fatalf("events %d, api calls %d, messages %d, requests %d; want 200 each", rep.Events, rep.APICalls, rep.Messages, rep.Requests)
	}
	if rep.P99 <= 0 || rep.ReqPerS <= 0 {
		t.Fatalf("no latency or rate: %+v", rep)
	}
	if rep.LoadCores == "" || rep.LoadCoreBusy <= 0 || rep.LoadCoreBusy > 1 || rep.LoadCPU < 0 {
		t.Fatalf("no load tool cost: cores %q, busy %v, cpu %v", rep.LoadCores, rep.LoadCoreBusy, rep.LoadCPU)
	}
}

// misbehaving is a bot that answers some events twice and others never.
func misbehaving(t *testing.T, api string) string {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb struct {
			Events []struct {
				ReplyToken string `json:"replyToken"`
				Source     struct {
					UserID string `json:"userId"`
				} `json:"source"`
				Message struct {
					ID string `json:"id"`
				} `json:"message"`
			} `json:"events"`
		}
		_ = json.NewDecoder(r.Body).Decode(&cb)
		ev := cb.Events[0]
		send := func(path, body string, key string) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+api+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer test-token")
			req.Header.Set("X-Line-Retry-Key", key)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
		switch ev.Message.ID {
		case "1": // answered twice: a reply and a push with a fresh key
			send("/v2/bot/message/reply", `{"replyToken":"`+ev.ReplyToken+`","messages":[{"type":"text","text":"a"}]}`, "")
			send("/v2/bot/message/push", `{"to":"`+ev.Source.UserID+`","messages":[{"type":"text","text":"a"}]}`, ev.ReplyToken)
		case "2": // never answered
		case "3": // the same reply token twice, and six messages
			send("/v2/bot/message/reply", `{"replyToken":"`+ev.ReplyToken+`","messages":[{"type":"text","text":"c"}]}`, "")
			send("/v2/bot/message/reply", `{"replyToken":"`+ev.ReplyToken+`","messages":[{"type":"text","text":"c"}]}`, "")
			send("/v2/bot/message/push", `{"to":"`+ev.Source.UserID+`","messages":[{"type":"text","text":"1"},{"type":"text","text":"2"},{"type":"text","text":"3"},{"type":"text","text":"4"},{"type":"text","text":"5"},{"type":"text","text":"6"}]}`, "k")
		default:
			send("/v2/bot/message/reply", `{"replyToken":"`+ev.ReplyToken+`","messages":[{"type":"text","text":"d"}]}`, "")
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestChecksCatchLostDoubledAndMalformedReplies(t *testing.T) {
	api := freeAddr(t)
	cfg := testConfig(api, misbehaving(t, api))
	cfg.Users, cfg.C, cfg.Events = 2, 1, 8 // each user: events 1..4
	rep, err := load(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{"lost": rep.Lost, "doubled": rep.Doubled, "bad tokens": rep.BadToken, "over five": rep.OverFive}
	want := map[string]int64{"lost": 2, "doubled": 2, "bad tokens": 2, "over five": 2}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %d, want %d (report %+v)", k, got[k], w, rep)
		}
	}
}

func TestTableReadsAsRatiosToEcho(t *testing.T) {
	rs := []report{
		{Label: "echo", C: 16, ReqPerS: 1000, P99: 10, CPU: map[string]float64{"1": 0.2}},
		{Label: "echo", C: 16, ReqPerS: 2000, P99: 12, CPU: map[string]float64{"1": 0.2}},
		{Label: "sswbot-redis", C: 16, ReqPerS: 1500, P99: 9, CPU: map[string]float64{"2": 0.3, "3": 0.1}},
		{Label: "sswbot-redis", C: 16, ReqPerS: 1500, P99: 9, CPU: map[string]float64{"2": 0.3, "3": 0.1}},
	}
	out := table(rs)
	for _, want := range []string{"| echo | 16 | 2 | 1500 (1000–2000) | 1.00× |", "| sswbot-redis | 16 | 2 | 1500 | **1.00×** (0.75–1.50) |", "| 0.400 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestTableFlagsASaturatedLoadCore(t *testing.T) {
	rs := []report{
		{Label: "echo", C: 16, ReqPerS: 1000, LoadCoreBusy: 0.5, LoadCPU: 0.2},
		{Label: "sswbot-memory", C: 16, ReqPerS: 1500, LoadCoreBusy: 0.97, LoadCPU: 0.25},
		{Label: "sswbot-memory", C: 16, ReqPerS: 1400, LoadCoreBusy: 0.80, LoadCPU: 0.25},
	}
	out := table(rs)
	for _, want := range []string{"| 50 | 0.200 |", "| 88 (80–97) ⚠ 1/2 > 90 | 0.250 |", "In 1 run(s) the load tool's cores were over 90 % busy"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if out := table(rs[:1]); strings.Contains(out, "⚠") {
		t.Errorf("a run at 50 %% is flagged:\n%s", out)
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string]string{"1": "[1]", "0-3": "[0 1 2 3]", "0,2-3,7": "[0 2 3 7]", "x": "[]", "3-1": "[]"} {
		if got := fmt.Sprint(parseCPUList(in)); got != want {
			t.Errorf("parseCPUList(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestBuiltLINEEventsAreSignedJSON reads the hand-built webhook bodies back
// as JSON, field by field, and checks their signature.
func TestBuiltLINEEventsAreSignedJSON(t *testing.T) {
	cfg := testConfig("127.0.0.1:0", "http://x")
	cfg.Mode = "walk"
	g := &generator{cfg: cfg, nonce: 0xabcdef01}
	g.macs.New = func() any { return hmac.New(sha256.New, []byte(cfg.Secret)) }
	g.l = newLedger(cfg.Users, cfg.Token, cfg.TGToken, g.nonce)
	for _, c := range []struct {
		seq        int
		next       string
		redelivery bool
		want       string // the event's type and its own object
	}{
		{1, "", false, `"follow":{"isUnblocked":false},"type":"follow"`},
		{2, "postback:lang:ja", true, `"postback":{"data":"lang:ja"},"type":"postback"`},
		{3, "text:\"Привет\" <&>\n", false, `"message":{"id":"3","quoteToken":"q","text":"\"Привет\" \u003c\u0026\u003e\n","type":"text"},"type":"message"`},
	} {
		body, token, sig := g.build(7, c.seq, c.next, c.redelivery)
		mac := hmac.New(sha256.New, []byte(cfg.Secret))
		mac.Write(body)
		if sig != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			t.Errorf("seq %d: bad signature", c.seq)
		}
		var cb struct {
			Destination string           `json:"destination"`
			Events      []map[string]any `json:"events"`
		}
		if err := json.Unmarshal(body, &cb); err != nil || len(cb.Events) != 1 || cb.Destination == "" {
			t.Fatalf("seq %d: %v: %s", c.seq, err, body)
		}
		got := cb.Events[0]
		var want map[string]any
		w := fmt.Sprintf(`{"deliveryContext":{"isRedelivery":%t},%s,"mode":"active","replyToken":%q,"source":{"type":"user","userId":%q},"timestamp":%v,"webhookEventId":%q}`,
			c.redelivery, c.want, token, lineUserID(g.nonce, 7), got["timestamp"], webhookEventID(g.nonce, 7, c.seq))
		if err := json.Unmarshal([]byte(w), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seq %d:\n got %v\nwant %v", c.seq, got, want)
		}
		if want := fmt.Sprintf("%08x%08x%08x%08x", g.nonce, 7, c.seq, g.nonce^uint32(c.seq*2654435761)); token != want {
			t.Errorf("seq %d: token %s, want %s", c.seq, token, want)
		}
	}
}

func TestHexLikeFmt(t *testing.T) {
	for _, c := range []struct{ nonce, i, seq int }{{0, 0, 0}, {0xabcdef01, 7, 3}, {0xffffffff, 0xfffffff, 0xffffffff}, {1, 0x1234567, 0x89abcdef}, {5, 0x10000000, 1 << 33}} {
		if got, want := webhookEventID(uint32(c.nonce), c.i, c.seq), fmt.Sprintf("01L%08X%07X%08X", uint32(c.nonce), c.i, c.seq); got != want {
			t.Errorf("webhookEventID%v = %s, want %s", c, got, want)
		}
		if got, want := string(appendHex8(nil, uint32(c.i))), fmt.Sprintf("%08x", uint32(c.i)); got != want {
			t.Errorf("appendHex8(%d) = %s, want %s", c.i, got, want)
		}
	}
}
