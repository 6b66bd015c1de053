package line

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"net/http"
	"sync"
)

// signer checks X-Line-Signature, the base64 HMAC-SHA256 of the body
// keyed with the channel secret, exactly as the SDK's
// webhook.ValidateSignature does (TestSignerAgreesWithTheSDK), but with
// keyed hashes kept in a pool: the SDK keys a new HMAC for every request,
// which hashes the key twice and allocates both SHA-256 states.
type signer struct{ pool sync.Pool }

func newSigner(secret string) *signer {
	key := []byte(secret)
	s := &signer{}
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s
}

// valid reports whether signature is the body's.
func (s *signer) valid(signature string, body []byte) bool {
	// A longer signature cannot match a 32-byte sum (the SDK decodes it
	// and then compares lengths).
	var sig [64]byte
	if base64.StdEncoding.DecodedLen(len(signature)) > len(sig) {
		return false
	}
	n, err := base64.StdEncoding.Decode(sig[:], []byte(signature))
	if err != nil {
		return false
	}
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	var sum [sha256.Size]byte
	ok := hmac.Equal(sig[:n], h.Sum(sum[:0]))
	s.pool.Put(h)
	return ok
}

// bodies are the buffers webhook bodies are read into: decode copies
// every string it keeps, so a buffer is free again once the body is
// decoded. A buffer that grew past keepBody is left to the collector.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const keepBody = 64 << 10

// readBody reads r's body (at most maxBody bytes: beyond it the error is
// an *http.MaxBytesError and the connection is closed after the answer)
// into a pooled buffer; give it back with freeBody when done with it.
func readBody(w http.ResponseWriter, r *http.Request) (*[]byte, error) {
	bp := bodies.Get().(*[]byte)
	b := (*bp)[:0]
	if n := r.ContentLength; n > 0 && n <= maxBody && int(n) >= cap(b) {
		b = make([]byte, 0, n+1) // +1: the read that sees EOF needs room
	}
	rd := http.MaxBytesReader(w, r.Body, maxBody)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b
			freeBody(bp)
			return nil, err
		}
	}
	*bp = b
	return bp, nil
}

func freeBody(bp *[]byte) {
	if cap(*bp) <= keepBody {
		*bp = (*bp)[:0]
		bodies.Put(bp)
	}
}
