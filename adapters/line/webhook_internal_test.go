package line

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

func TestSignerAgreesWithTheSDK(t *testing.T) {
	const secret = "testsecret"
	body := []byte(`{"destination":"U1","events":[]}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	good := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	tests := []struct {
		name, signature string
		body            []byte
	}{
		{"the body's signature", good, body},
		{"another body", good, []byte(`{"destination":"U2","events":[]}`)},
		{"an empty body", good, nil},
		{"no signature", "", body},
		{"not base64", "!!!!", body},
		{"the signature without its padding", strings.TrimRight(good, "="), body},
		{"a truncated signature", good[:20], body},
		{"the signature twice", good + good, body},
		{"a very long signature", strings.Repeat("A", 400), body},
		{"another key's signature", base64.StdEncoding.EncodeToString(hmac.New(sha256.New, []byte("other")).Sum(nil)), body},
	}
	s := newSigner(secret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := webhook.ValidateSignature(secret, tt.signature, tt.body)
			// Twice: a pooled hash must start over.
			for range 2 {
				if got := s.valid(tt.signature, tt.body); got != want {
					t.Fatalf("valid = %v, the SDK says %v", got, want)
				}
			}
		})
	}
}

func TestReadBody(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		unknown   bool // no Content-Length
		wantError bool
	}{
		{"empty", 0, false, false},
		{"small", 100, false, false},
		{"larger than a pooled buffer", 10 << 10, false, false},
		{"larger than a pooled buffer, length unknown", 10 << 10, true, false},
		{"exactly the limit", maxBody, false, false},
		{"over the limit", maxBody + 1, false, true},
		{"over the limit, length unknown", maxBody + 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := bytes.Repeat([]byte("x"), tt.size)
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(want))
			if tt.unknown {
				r.ContentLength = -1
			}
			bp, err := readBody(httptest.NewRecorder(), r)
			if tt.wantError {
				var tooBig *http.MaxBytesError
				if !errors.As(err, &tooBig) {
					t.Fatalf("err = %v, want an *http.MaxBytesError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(*bp, want) {
				t.Fatalf("read %d bytes, want %d", len(*bp), len(want))
			}
			freeBody(bp)
		})
	}
}

func TestNewPostIsWhatNetHTTPBuilds(t *testing.T) {
	for _, base := range []string{"https://api.line.me", "http://127.0.0.1:8080/prefix/", "http://[::1]:80"} {
		url := endpoint(base, "/v2/bot/message/reply")
		for _, body := range [][]byte{[]byte(`{"replyToken":"t"}`), nil} {
			want, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			to, err := postTo(url)
			if err != nil {
				t.Fatal(err)
			}
			got := newPost(t.Context(), to, body)
			if got.Method != want.Method || *got.URL != *want.URL || got.Host != want.Host || got.Proto != want.Proto ||
				got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor || got.ContentLength != want.ContentLength ||
				got.Context() != want.Context() || len(got.Header) != 0 || (got.Body == http.NoBody) != (want.Body == http.NoBody) {
				t.Fatalf("%s, %d bytes: got %+v, want %+v", url, len(body), got, want)
			}
			for range 2 {
				b, err := got.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				if read, _ := io.ReadAll(b); !bytes.Equal(read, body) {
					t.Fatalf("GetBody read %q, want %q", read, body)
				}
			}
			if read, _ := io.ReadAll(got.Body); !bytes.Equal(read, body) {
				t.Fatalf("Body read %q, want %q", read, body)
			}
		}
	}
}
