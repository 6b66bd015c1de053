package apiclient

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
)

// TestWriteRequestAsNetHTTP: writeRequest writes what Request.Write
// writes, byte for byte, and fails where it fails with the same error,
// whether it writes the request itself or hands it over.
func TestWriteRequestAsNetHTTP(t *testing.T) {
	type build func() *http.Request
	post := func(url, body string, h map[string][]string) build {
		return func() *http.Request {
			r, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range h {
				r.Header[k] = v
			}
			return r
		}
	}
	lineHeaders := map[string][]string{
		"Authorization": {"Bearer test-token"}, "Content-Type": {"application/json; charset=UTF-8"},
		"User-Agent": {"sswbot"}, "X-Line-Retry-Key": {"0b2c…"},
	}
	tests := []struct {
		name  string
		req   build
		plain bool // written by writeRequest itself
	}{
		{"line reply", post("http://127.0.0.1:8090/v2/bot/message/reply", `{"replyToken":"t","messages":[]}`+"\n", lineHeaders), true},
		{"https host, query", post("https://api.line.me/v2/bot/x?a=b&c=%20d", "x", map[string][]string{"Accept": {"a", "b"}}), true},
		{"no user agent header", post("http://h/p", "body", nil), true},
		{"empty user agent", post("http://h/p", "body", map[string][]string{"User-Agent": {""}}), true},
		{"user agent key, no values", post("http://h/p", "body", map[string][]string{"User-Agent": nil}), true},
		{"header without values", post("http://h/p", "b", map[string][]string{"X-Empty": {}}), true},
		{"non-canonical key", post("http://h/p", "b", map[string][]string{"x-lower": {"v"}, "Content-length": {"7"}}), true},
		{"ipv6 host", post("http://[::1]:80/p", "b", nil), true},
		{"get", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, "http://h/getMe", nil); return r }, true},
		{"post without body", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://h/p", http.NoBody)
			return r
		}, true},
		{"put without body", func() *http.Request { r, _ := http.NewRequest(http.MethodPut, "http://h/p", nil); return r }, true},
		{"delete without body", func() *http.Request { r, _ := http.NewRequest(http.MethodDelete, "http://h/p", nil); return r }, true},
		{"host field", func() *http.Request { r := post("http://h/p", "b", nil)(); r.Host = "other:81"; return r }, true},
		{"body shorter than its length", func() *http.Request {
			r := post("http://h/p", "short", nil)()
			r.ContentLength = 9
			return r
		}, true},
		{"body longer than its length", func() *http.Request {
			r := post("http://h/p", "longer body", nil)()
			r.ContentLength = 3
			return r
		}, true},
		{"body that fails", func() *http.Request {
			r := post("http://h/p", "", nil)()
			r.Body, r.ContentLength = io.NopCloser(io.MultiReader(strings.NewReader("ab"), failing{})), 5
			return r
		}, true},
		{"big body", post("http://h/p", strings.Repeat("x", 70<<10), nil), true},
		// handed to Request.Write
		{"line break in a value", post("http://h/p", "b", map[string][]string{"X-A": {"a\r\nB: c"}}), false},
		{"blank around a value", post("http://h/p", "b", map[string][]string{"X-A": {" a "}}), false},
		{"invalid header name", post("http://h/p", "b", map[string][]string{"Bad Name": {"v"}}), false},
		{"unicode host", post("http://bücher.example/p", "b", nil), false},
		{"zone", post("http://[fe80::1%25eth0]:80/p", "b", nil), false},
		{"close", func() *http.Request { r := post("http://h/p", "b", nil)(); r.Close = true; return r }, false},
		{"chunked", func() *http.Request {
			r := post("http://h/p", "", nil)()
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("abc")), -1
			return r
		}, false},
		{"length without body", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://h/p", nil)
			r.ContentLength = 3
			return r
		}, false},
		{"control byte in the path", func() *http.Request {
			r := post("http://h/p", "b", nil)()
			r.URL.RawQuery = "a\x01b"
			return r
		}, false},
		{"traced", func() *http.Request {
			r := post("http://h/p", "b", nil)()
			return r.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{}))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, ok := plain(tt.req()); ok != tt.plain {
				t.Errorf("plain = %v, want %v", ok, tt.plain)
			}
			var want, got bytes.Buffer
			werr := tt.req().Write(&want)
			bw := bufio.NewWriterSize(&got, WriteBuffer)
			gerr := writeRequest(bw, tt.req())
			if ferr := bw.Flush(); gerr == nil {
				gerr = ferr
			}
			if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
				t.Fatalf("error %v, Request.Write's %v", gerr, werr)
			}
			if werr == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("wrote\n%q\nRequest.Write writes\n%q", trim(got.Bytes()), trim(want.Bytes()))
			}
		})
	}
}

// TestWriteRequestClosesTheBody as Request.Write does.
func TestWriteRequestClosesTheBody(t *testing.T) {
	for _, body := range []string{"abc", ""} {
		cb := &closeTracker{Reader: strings.NewReader(body)}
		r, _ := http.NewRequest(http.MethodPost, "http://h/p", cb)
		r.ContentLength = int64(len(body))
		if body == "" {
			r.Body = http.NoBody
			cb.closed = true // nothing to close
		} else {
			r.Body = cb
		}
		if err := writeRequest(bufio.NewWriter(io.Discard), r); err != nil {
			t.Fatal(err)
		}
		if !cb.closed {
			t.Errorf("body %q not closed", body)
		}
	}
}

// BenchmarkWriteRequest: a LINE reply's request (3 KB body) written by
// net/http and by writeRequest; the request is reused, so only the
// writing counts.
func BenchmarkWriteRequest(b *testing.B) {
	body := &closeTracker{Reader: bytes.NewReader(bytes.Repeat([]byte("x"), 3000))}
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8090/v2/bot/message/reply", nil)
	r.Header = http.Header{"Authorization": {"Bearer t"}, "Content-Type": {"application/json; charset=UTF-8"}, "User-Agent": {"sswbot"}}
	r.Body, r.ContentLength = body, 3000
	bw := bufio.NewWriterSize(io.Discard, WriteBuffer)
	for _, impl := range []struct {
		name  string
		write func(*bufio.Writer, *http.Request) error
	}{{"net/http", func(w *bufio.Writer, r *http.Request) error { return r.Write(w) }}, {"writeRequest", writeRequest}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				body.Reader.(*bytes.Reader).Seek(0, io.SeekStart)
				if err := impl.write(bw, r); err != nil {
					b.Fatal(err)
				}
				bw.Reset(io.Discard)
			}
		})
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("read failed") }

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func trim(b []byte) []byte {
	if len(b) > 400 {
		return b[:400]
	}
	return b
}
