package line

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// sharedBody is a request body in a pooled encoding buffer, so a reply's
// JSON (a card is 2–3 KB) is not copied into a new slice for every
// webhook: an eighth of serve's allocated bytes per request, and what
// serve allocates decides how often its collector runs and how much it
// then sweeps (BENCHMARKS.md, the collector and the slowest per cent).
//
// The buffer goes back to the pool only when its sender has let go of it
// (release) and every reader a transport opened (Body, GetBody) is closed:
// a transport may read and close a body after RoundTrip returned (net/http
// does on some errors), so the sender's word alone is not enough. A reader
// cannot read after its Close, even one racing it, and no reader opens
// once the buffer is back.
type sharedBody struct {
	buf  *[]byte
	refs atomic.Int32 // the sender's, and one per open reader
}

func newSharedBody(buf *[]byte) *sharedBody {
	b := &sharedBody{buf: buf}
	b.refs.Store(1)
	return b
}

// bytes is the body; valid until release.
func (b *sharedBody) bytes() []byte { return *b.buf }

var errBodyReleased = errors.New("line: request body already released")

// open returns a new reader of the whole body.
func (b *sharedBody) open() (io.ReadCloser, error) {
	for {
		n := b.refs.Load()
		if n <= 0 {
			return nil, errBodyReleased
		}
		if b.refs.CompareAndSwap(n, n+1) {
			return &bodyReader{r: bytes.NewReader(*b.buf), body: b}, nil
		}
	}
}

// release drops one reference; the last one puts the buffer back.
func (b *sharedBody) release() {
	if b.refs.Add(-1) == 0 {
		putBuf(b.buf)
	}
}

// bodyReader reads a sharedBody. Read and Close exclude each other, so a
// Read in progress never sees the buffer go back to the pool.
type bodyReader struct {
	mu     sync.Mutex
	r      *bytes.Reader
	body   *sharedBody
	closed bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errBodyReleased
	}
	return r.r.Read(p)
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.body.release()
	}
	return nil
}
