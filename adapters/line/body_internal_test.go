package line

import (
	"errors"
	"io"
	"sync"
	"testing"
)

func TestSharedBodyGoesBackAfterTheLastReader(t *testing.T) {
	buf := []byte(`{"replyToken":"t"}`)
	b := newSharedBody(&buf)
	r1, err := b.open()
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := b.open() // a transport's GetBody for a second attempt
	if got, _ := io.ReadAll(r1); string(got) != string(buf) {
		t.Fatalf("read %q", got)
	}
	r1.Close()
	r1.Close() // twice is once
	b.release()
	if n := b.refs.Load(); n != 1 {
		t.Fatalf("refs after the sender and one reader let go: %d, want 1 (r2)", n)
	}
	// The transport read on after RoundTrip returned: the buffer is still
	// the body.
	if got, _ := io.ReadAll(r2); string(got) != string(buf) {
		t.Fatalf("second reader read %q", got)
	}
	r2.Close()
	if n := b.refs.Load(); n != 0 {
		t.Fatalf("refs after everyone let go: %d", n)
	}
	if _, err := b.open(); !errors.Is(err, errBodyReleased) {
		t.Errorf("open after the buffer went back: %v, want errBodyReleased", err)
	}
	if _, err := r2.Read(make([]byte, 4)); !errors.Is(err, errBodyReleased) {
		t.Errorf("read after close: %v, want errBodyReleased", err)
	}
}

// Under -race: a Close racing Reads never lets a Read touch the buffer
// after it went back (the race detector would see the pool's next user).
func TestSharedBodyReadRacingClose(t *testing.T) {
	for range 200 {
		bp := getBuf()
		*bp = append(*bp, make([]byte, 4096)...)
		b := newSharedBody(bp)
		r, _ := b.open()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			p := make([]byte, 64)
			for {
				if _, err := r.Read(p); err != nil {
					return
				}
			}
		}()
		go func() { defer wg.Done(); r.Close() }()
		b.release()
		wg.Wait()
		// Whoever takes the buffer next writes to it.
		nb := getBuf()
		*nb = append((*nb)[:0], "next"...)
		putBuf(nb)
	}
}
