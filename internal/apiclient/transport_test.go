package apiclient_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/internal/apiclient"
)

// counting starts srv counting the connections it accepts.
func counting(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func call(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// echo answers with the method, the body and a header back, in the
// framing the path asks for.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	answer := r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("X-Test") + " " + string(b)
	switch r.URL.Path {
	case "/chunked":
		io.WriteString(w, answer)
		w.(http.Flusher).Flush() // no Content-Length: chunked
		io.WriteString(w, "!")
	case "/close":
		w.Header().Set("Connection", "close")
		io.WriteString(w, answer)
	case "/status":
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, answer)
	default:
		io.WriteString(w, answer)
	}
}

func TestTransportSpeaksHTTP(t *testing.T) {
	for _, tls := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
		conns := counting(srv)
		c := apiclient.New(4, 5*time.Second)
		if tls {
			srv.StartTLS()
			c.Transport = apiclient.NewTransport(&http.Transport{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, MaxIdleConnsPerHost: 4}, &net.Dialer{})
		} else {
			srv.Start()
		}
		defer srv.Close()
		tests := []struct {
			method, path, body string
			status             int
			want               string
			newConn            bool // the answer closes the connection
		}{
			{"POST", "/v2/bot/message/reply?x=1", `{"replyToken":"t"}`, 200, `POST /v2/bot/message/reply?x=1 yes {"replyToken":"t"}`, false},
			{"GET", "/v2/bot/profile/U1", "", 200, "GET /v2/bot/profile/U1 yes ", false},
			{"POST", "/chunked", "a", 200, "POST /chunked yes a!", false},
			{"POST", "/status", "b", http.StatusTeapot, "POST /status yes b", false},
			{"POST", "/close", "c", 200, "POST /close yes c", true},
			{"POST", "/", strings.Repeat("x", 100<<10), 200, "POST / yes " + strings.Repeat("x", 100<<10), false},
		}
		before := conns.Load()
		for _, tt := range tests {
			for range 3 {
				req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
				req.Header.Set("X-Test", "yes")
				res, err := c.Do(req)
				if err != nil {
					t.Fatalf("tls %v, %s %s: %v", tls, tt.method, tt.path, err)
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != tt.status || string(b) != tt.want {
					t.Fatalf("tls %v, %s %s: %d %.80q, %v; want %d %.80q", tls, tt.method, tt.path, res.StatusCode, b, err, tt.status, tt.want)
				}
			}
		}
		// One connection for everything but the answers that closed theirs.
		if got := conns.Load() - before; got != 1+3 {
			t.Errorf("tls %v: %d connections, want 4", tls, got)
		}
	}
}

// A connection the server closed while it was idle is not used: the
// request goes on a new one, and nothing fails.
func TestTransportSkipsConnectionsTheServerClosed(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.Config.IdleTimeout = 20 * time.Millisecond
	conns := counting(srv)
	srv.Start()
	defer srv.Close()
	c := apiclient.New(4, 5*time.Second)
	for i := range 5 {
		if status, _ := call(t, c, "POST", srv.URL, "x"); status != 200 {
			t.Fatalf("call %d: status %d", i, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := conns.Load(); got != 5 {
		t.Fatalf("%d connections, want 5 (each closed by the server while idle)", got)
	}
}

// A request whose bytes all failed to leave on a reused connection is
// sent again on a new one; one the server may have read is not.
func TestTransportResendsOnlyWhatWasNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var requests atomic.Int64
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				n := requests.Add(1)
				if n == 2 {
					return // read, then hung up without an answer
				}
				io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				// Keep the connection open for a second request, which this
				// server never answers: it hangs up after reading it.
				if req, err := http.ReadRequest(br); err == nil {
					io.Copy(io.Discard, req.Body)
					requests.Add(1)
				}
			}()
		}
	}()
	c := apiclient.New(4, 5*time.Second)
	url := "http://" + ln.Addr().String()
	if status, _ := call(t, c, "POST", url, "first"); status != 200 {
		t.Fatal(status)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url, strings.NewReader("second"))
	if _, err := c.Do(req); err == nil {
		t.Fatal("a request the server read and never answered succeeded")
	}
	if got := requests.Load(); got != 2 {
		t.Fatalf("the server read %d requests, want 2 (the unanswered one not sent again)", got)
	}
}

func TestTransportStopsWithTheContext(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	c := apiclient.Untimed(apiclient.New(4, 10*time.Second))

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader("x"))
	start := time.Now()
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	req, _ = http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader("x"))
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the context's cancellation", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}

	// Without a deadline, the wait for the answer is bounded.
	short := apiclient.New(4, 100*time.Millisecond)
	req, _ = http.NewRequestWithContext(t.Context(), "POST", srv.URL, strings.NewReader("x"))
	if _, err := apiclient.Untimed(short).Do(req); err == nil {
		t.Fatal("a server that never answers was waited for")
	}
}

// Requests through a proxy go to net/http's transport, which speaks to it.
func TestTransportLeavesProxiesToNetHTTP(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.IsAbs() {
			proxied.Add(1)
		}
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	c := &http.Client{Transport: apiclient.NewTransport(&http.Transport{Proxy: http.ProxyURL(pu)}, &net.Dialer{})}
	if _, body := call(t, c, "POST", "http://api.example.invalid/v2/bot/message/reply", "x"); body != "via proxy" || proxied.Load() != 1 {
		t.Fatalf("body %q, %d proxied", body, proxied.Load())
	}
}
