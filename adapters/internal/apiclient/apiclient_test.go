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
