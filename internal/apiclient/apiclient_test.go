package apiclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/internal/apiclient"
)

// Concurrent callers reuse connections: six waves of n parallel calls
// never open more than n connections in all (Go's default transport keeps
// only 2 idle per host and opens about n-2 more every wave).
func TestConnectionsAreReusedUnderConcurrency(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	const n = 32
	c := apiclient.New(n, 0)
	wave := func() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := c.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}()
		}
		close(start)
		wg.Wait()
	}
	for range 6 {
		wave()
	}
	// A connection goes back to the pool a moment after its body is read,
	// so a wave may open a few before the previous wave's are idle again;
	// Go's default of 2 idle per host would open about 30 per wave (~180).
	if got := conns.Load(); got > 2*n {
		t.Fatalf("%d connections for six waves of %d calls; want at most %d", got, n, 2*n)
	}
}

// Do answers what c.Do answers: a redirect is returned, not followed (by
// either), and a failed call is the same *url.Error.
func TestDoIsClientDo(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	c := apiclient.Untimed(apiclient.New(2, 10*time.Second))
	do := map[string]func(*http.Request) (*http.Response, error){
		"Client.Do": c.Do, "Do": func(r *http.Request) (*http.Response, error) { return apiclient.Do(c, r) },
	}
	for name, call := range do {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			before := hits.Load()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/moved", strings.NewReader("x"))
			res, err := call(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusTemporaryRedirect || hits.Load() != before+1 {
				t.Errorf("status %d after %d calls; want the 307 itself after one", res.StatusCode, hits.Load()-before)
			}

			req, _ = http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:1/x", strings.NewReader("x"))
			_, err = call(req)
			var ue *url.Error
			if !errors.As(err, &ue) || ue.Op != "Post" || ue.URL != "http://127.0.0.1:1/x" {
				t.Errorf("error %#v; want a *url.Error for Post http://127.0.0.1:1/x", err)
			}
		})
	}
}
