package apiclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Transport is an HTTP/1.1 RoundTripper that writes a request and reads
// its response on the caller's goroutine, over a pool of kept-alive
// connections. net/http's Transport hands every request to two goroutines
// of its connection (one writes it, one reads the answer) and the answer
// back through channels; for the small JSON calls the adapters make on
// every webhook that plumbing cost more of serve's CPU than the write
// itself (BENCHMARKS.md, issue 12). The framing is net/http's own:
// Request.Write (or writeRequest, which writes the same bytes for the
// adapters' plain requests) and ReadResponse.
//
// A request through a proxy (HTTP_PROXY, HTTPS_PROXY), one with a body of
// unknown length, and anything but http and https go to the fallback,
// net/http's Transport, which also holds the settings (dial and TLS
// handshake timeouts, TLS config, idle limits and time, the response
// header timeout). HTTPS connections speak HTTP/1.1 (ALPN "http/1.1").
type Transport struct {
	fallback *http.Transport
	dialer   *net.Dialer

	mu   sync.Mutex
	idle map[hostKey][]*conn // most recently used last
}

// hostKey is where a connection goes: a struct, so a lookup builds no
// string.
type hostKey struct{ scheme, host string }

// NewTransport returns a Transport whose settings and fallback are t.
func NewTransport(t *http.Transport, dialer *net.Dialer) *Transport {
	return &Transport{fallback: t, dialer: dialer, idle: map[hostKey][]*conn{}}
}

// conn is one kept-alive connection.
type conn struct {
	nc   net.Conn // what requests are written to (TLS over TCP for https)
	peek *peeker  // whether the TCP connection is still open
	br   *bufio.Reader
	bw   *bufio.Writer
	w    countingWriter
	used time.Time // when it went idle
}

// countingWriter tells whether any byte of a request left.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.handles(req) {
		return t.fallback.RoundTrip(req)
	}
	key := hostKey{req.URL.Scheme, req.URL.Host}
	for retried := false; ; retried = true {
		c, reused, err := t.get(req, key)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		res, err := t.exchange(c, req, key)
		if err == nil {
			return res, nil
		}
		c.nc.Close()
		// Sent again only when no byte of it left on a connection the
		// server may have closed while it was idle: the server cannot have
		// seen it, so it cannot be done twice.
		if !reused || retried || c.w.n > 0 || req.Context().Err() != nil || !rewind(req) {
			closeBody(req)
			return nil, err
		}
	}
}

// handles reports whether the request is this transport's to send.
func (t *Transport) handles(req *http.Request) bool {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" ||
		req.Method == http.MethodConnect || req.Header.Get("Upgrade") != "" {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength <= 0 {
		return false // unknown length: chunked
	}
	if t.fallback.Proxy != nil {
		if u, err := t.fallback.Proxy(req); err != nil || u != nil {
			return false
		}
	}
	return true
}

// rewind gives req its body again for a second attempt.
func rewind(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if req.GetBody == nil {
		return false
	}
	b, err := req.GetBody()
	if err != nil {
		return false
	}
	req.Body = b
	return true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func canonicalAddr(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

// peekAfter is how long a connection must have been idle before get asks
// the kernel whether the server closed it. A server closes an idle
// connection after its keep-alive timeout, seconds in every common server
// (Apache's 5 s is the shortest default), and says "Connection: close" in
// the answer when it means to close one at once. Under load a connection
// is reused within milliseconds, and the peek, one system call per request,
// cost serve 3–6 % of its CPU per webhook (BENCHMARKS.md, 2026-12-02, a new
// host). A server that closes a connection unannounced within this time
// (a restart) fails the one request sent on it, as it could between a peek
// and the write: the adapters treat that failure as any other transient
// one (LINE redelivers the event).
const peekAfter = 50 * time.Millisecond

// get returns an idle connection that is still open, or a new one.
func (t *Transport) get(req *http.Request, key hostKey) (*conn, bool, error) {
	now := time.Now()
	for {
		t.mu.Lock()
		cs := t.idle[key]
		if len(cs) == 0 {
			t.mu.Unlock()
			break
		}
		c := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		t.idle[key] = cs[:len(cs)-1]
		t.mu.Unlock()
		idle := now.Sub(c.used)
		if (t.fallback.IdleConnTimeout > 0 && idle > t.fallback.IdleConnTimeout) || c.br.Buffered() > 0 || (idle >= peekAfter && !c.peek.open()) {
			c.nc.Close()
			continue
		}
		return c, true, nil
	}
	c, err := t.dial(req.Context(), req.URL.Scheme, canonicalAddr(req), req.URL.Hostname())
	return c, false, err
}

func (t *Transport) dial(ctx context.Context, scheme, addr, host string) (*conn, error) {
	raw, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: raw}
	if scheme == "https" {
		cfg := &tls.Config{}
		if t.fallback.TLSClientConfig != nil {
			cfg = t.fallback.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(raw, cfg)
		hctx := ctx
		if d := t.fallback.TLSHandshakeTimeout; d > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		c.nc = tc
	}
	c.w.w = c.nc
	c.peek = newPeeker(raw)
	c.br = bufio.NewReaderSize(c.nc, 4<<10)
	c.bw = bufio.NewWriterSize(&c.w, WriteBuffer)
	return c, nil
}

// aLongTimeAgo is a deadline that makes every read and write fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange writes req on c and reads the response's header. The response's
// body gives c back to the pool once read to its end and closed.
func (t *Transport) exchange(c *conn, req *http.Request, key hostKey) (*http.Response, error) {
	ctx := req.Context()
	deadline, hasDeadline := ctx.Deadline()
	if err := c.nc.SetDeadline(deadline); err != nil { // zero: none
		return nil, err
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	}
	c.w.n = 0
	err := writeRequest(c.bw, req)
	if err == nil {
		err = c.bw.Flush()
	}
	if err == nil && t.fallback.ResponseHeaderTimeout > 0 {
		if wait := time.Now().Add(t.fallback.ResponseHeaderTimeout); !hasDeadline || wait.Before(deadline) {
			err = c.nc.SetReadDeadline(wait)
		}
	}
	var res *http.Response
	for err == nil {
		res, err = http.ReadResponse(c.br, req)
		if err != nil || res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// An interim answer (100 Continue, 103 Early Hints) has no body:
		// the final one follows.
	}
	if err == nil && t.fallback.ResponseHeaderTimeout > 0 {
		err = c.nc.SetReadDeadline(deadline)
	}
	if err != nil {
		if stop != nil {
			stop()
		}
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		} else if hasDeadline && !time.Now().Before(deadline) {
			err = context.DeadlineExceeded // the connection's deadline came first
		}
		return nil, err
	}
	res.Body = &body{rc: res.Body, c: c, t: t, key: key, stop: stop, reuse: !res.Close && !req.Close}
	return res, nil
}

// body is a response's body; the connection goes back to the pool when
// the body was read to its end, or is closed when it was not.
type body struct {
	rc    io.ReadCloser
	c     *conn
	t     *Transport
	key   hostKey
	stop  func() bool
	reuse bool
	eof   bool
	done  bool
	mu    sync.Mutex
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0, errors.New("apiclient: read on a closed body")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return nil
	}
	b.done = true
	if !b.eof {
		// Draining an unread body could take long: the connection goes.
		b.c.nc.Close()
		b.rc.Close()
		if b.stop != nil {
			b.stop()
		}
		return nil
	}
	err := b.rc.Close()
	canceled := b.stop != nil && !b.stop() // the context ended: the deadline is spoilt
	if !b.reuse || canceled || err != nil || b.c.br.Buffered() > 0 || b.c.nc.SetDeadline(time.Time{}) != nil {
		b.c.nc.Close()
		return nil
	}
	b.t.put(b.key, b.c)
	return nil
}

// put keeps c for the next request, within the idle limits.
func (t *Transport) put(key hostKey, c *conn) {
	limit := t.fallback.MaxIdleConnsPerHost
	if limit <= 0 {
		limit = http.DefaultMaxIdleConnsPerHost
	}
	c.used = time.Now()
	t.mu.Lock()
	if len(t.idle[key]) < limit {
		t.idle[key] = append(t.idle[key], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.nc.Close()
	}
}

// CloseIdleConnections closes the connections kept for reuse (and the
// fallback's).
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[hostKey][]*conn{}
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.nc.Close()
		}
	}
	t.fallback.CloseIdleConnections()
}
