// Package apiclient builds the HTTP client the adapters call their
// platform's API with (and the load tool, sswload, its webhooks). It owns
// connection reuse and transport timeouts; it knows nothing of LINE or
// Telegram.
package apiclient

import (
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// DefaultConns is how many idle keep-alive connections are kept to the
// platform's API host. Go's default is 2 per host: under concurrent
// webhooks every reply beyond the second then opens (and, with TLS,
// handshakes) a new connection. It should be at least the number of
// replies in flight at once.
const DefaultConns = 128

// WriteBuffer is the size of each connection's write buffer: a request's
// headers and body leave in one write when they fit (a LINE reply with
// its cards is a few KB; Go's default of 4 KB split those in two writes).
const WriteBuffer = 32 << 10

// New returns a client whose transport (Transport, over net/http's for
// what it does not handle itself) keeps up to conns idle connections
// to each host (DefaultConns when conns ≤ 0), with bounded dial, TLS
// handshake and idle times. It follows no redirect: the platform APIs
// answer none, and following one would send the call (and its token) to
// an address nobody configured; a 3xx is returned as it is. timeout bounds
// a whole call (0 = none: callers that long-poll give every call its own
// deadline instead) and, in the transport, the wait for a response's headers once the request is
// written: a caller whose context already has a deadline may call through
// Untimed(c) and still have a silent server cut off after timeout.
func New(conns int, timeout time.Duration) *http.Client {
	if conns <= 0 {
		conns = DefaultConns
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Timeout: timeout, CheckRedirect: refuseRedirects, Transport: NewTransport(&http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: timeout,
		WriteBufferSize:       WriteBuffer,
	}, dialer)}
}

// Untimed returns c without its whole-call Timeout, sharing its transport
// (and so its connections). A Client.Timeout costs every call a context
// with its own timer, a copy of the request and a cancellation hook;
// callers on a hot path whose context carries a deadline already use this
// one (the transport's ResponseHeaderTimeout still applies).
func Untimed(c *http.Client) *http.Client {
	u := *c
	u.Timeout = 0
	return &u
}

func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Do is c.Do(req). For a client from New without a Timeout (Untimed),
// whose calls' contexts carry their deadlines, that is its transport's
// RoundTrip with the error wrapped as c.Do wraps it: such a client follows
// no redirect and keeps no cookies, so c.Do's bookkeeping for them (a copy
// of the headers and of the URL on every call) is skipped.
func Do(c *http.Client, req *http.Request) (*http.Response, error) {
	t, ok := c.Transport.(*Transport)
	if !ok || c.Timeout != 0 || c.Jar != nil || req.URL == nil || req.URL.User != nil ||
		reflect.ValueOf(c.CheckRedirect).Pointer() != reflect.ValueOf(refuseRedirects).Pointer() {
		return c.Do(req)
	}
	res, err := t.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: req.Method[:1] + strings.ToLower(req.Method[1:]), URL: req.URL.Redacted(), Err: err}
	}
	return res, nil
}
