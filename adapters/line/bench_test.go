package line_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/metrics"
	"example.com/sswbot/store/memstore"
)

// BenchmarkWebhook is one LINE webhook request end to end the way serve
// handles it with the in-memory store: signature check, decode, the turn
// (load, dialog, render, commit), the reply over HTTP to a local Messaging
// API (loopback, keep-alive), the acknowledgement and the delivery record,
// with serve's metrics and a JSON logger at the error level. 997 users each
// send "1", so they walk their routes as under `sswload run`.
//
// cpu-ns/op is the process's CPU per request (GC included): wall time
// mostly measures the loopback round trips of one request after another.
// The numbers include the fake API's side of each reply (it runs in this
// process) but not the building of the requests (done with the timer
// stopped): compare them before and after a change, not with serve's CPU
// per request from sswload.
func BenchmarkWebhook(b *testing.B) {
	const users = 997
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	defer api.Close()
	kb, err := knowledge.Default()
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	m := metrics.New(prometheus.NewRegistry())
	svc, err := bot.New(memstore.New(memstore.Options{}), kb, bot.Options{Logger: log, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	a, err := line.New(line.Config{ChannelSecret: secret, AccessToken: token, APIBaseURL: api.URL,
		Logger: log.With("channel", "line"), Metrics: m}, svc)
	if err != nil {
		b.Fatal(err)
	}

	// The requests are built before the clock runs; their timestamps stay
	// young enough for the reply token as long as a run takes < 50 s.
	b.StopTimer()
	reqs := make([]*http.Request, b.N)
	recs := make([]*httptest.ResponseRecorder, b.N)
	now := time.Now().UnixMilli()
	for i := range reqs {
		u := i % users
		body := []byte(`{"destination":"Uab012345678901234567890123456789","events":[{"type":"message","message":{"id":"` +
			strconv.Itoa(i) + `","type":"text","text":"1","quoteToken":"q"},"webhookEventId":"` +
			fmt.Sprintf("01B%023X", i) + `","deliveryContext":{"isRedelivery":false},"timestamp":` +
			strconv.FormatInt(now, 10) + `,"source":{"type":"user","userId":"` + fmt.Sprintf("U%032x", u) +
			`"},"replyToken":"` + fmt.Sprintf("t%031x", i) + `","mode":"active"}]}`)
		r := httptest.NewRequest(http.MethodPost, "/line/webhook", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Line-Signature", sign(body))
		reqs[i], recs[i] = r, httptest.NewRecorder()
	}
	b.ReportAllocs()
	start := line.CPUTime()
	b.StartTimer()
	for i := range b.N {
		a.ServeHTTP(recs[i], reqs[i])
		if recs[i].Code != http.StatusOK {
			b.Fatalf("request %d: status %d: %s", i, recs[i].Code, recs[i].Body)
		}
		reqs[i], recs[i] = nil, nil
	}
	shutdown(b, a) // the delivery records written after the acknowledgements
	b.StopTimer()
	b.ReportMetric(float64(line.CPUTime()-start)/float64(b.N), "cpu-ns/op")
}
