// Package apiclient builds the HTTP client the adapters call their
// platform's API with. It owns connection reuse and transport timeouts;
// it knows nothing of LINE or Telegram.
package apiclient

import (
	"net"
	"net/http"
	"time"
)

// DefaultConns is how many idle keep-alive connections are kept to the
// platform's API host. Go's default is 2 per host: under concurrent
// webhooks every reply beyond the second then opens (and, with TLS,
// handshakes) a new connection. It should be at least the number of
// replies in flight at once.
const DefaultConns = 128

// New returns a client whose transport keeps up to conns idle connections
// to each host (DefaultConns when conns ≤ 0), with bounded dial, TLS
// handshake and idle times. timeout bounds a whole call (0 = none: callers
// that long-poll give every call its own deadline instead).
func New(conns int, timeout time.Duration) *http.Client {
	if conns <= 0 {
		conns = DefaultConns
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
