package apiclient_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"example.com/sswbot/adapters/internal/apiclient"
)

// Concurrent callers reuse connections: after a first wave of n parallel
// calls has opened n connections, later waves open none (Go's default
// transport keeps only 2 per host and would open n-2 more per wave).
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
	wave()
	first := conns.Load()
	for range 5 {
		wave()
	}
	if got := conns.Load(); got != first || first > n {
		t.Fatalf("connections: %d after the first wave, %d after six; want no new ones", first, got)
	}
}
