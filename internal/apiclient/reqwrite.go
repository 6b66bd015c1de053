package apiclient

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
)

// maxPlainHeaders bounds the header keys writeRequest sorts on the stack;
// a request with more goes through Request.Write.
const maxPlainHeaders = 16

// writeRequest writes req to bw exactly as req.Write(bw) does, byte for
// byte and error for error (TestWriteRequestAsNetHTTP), but without its
// per-request formatting machinery (fmt, a transfer writer, a pooled
// header sorter): on every webhook it was about a fifth of the API call's
// CPU outside the system calls. It covers the requests the adapters make
// (a method, a clean host, headers without line breaks or surrounding
// blanks, a body of known length or none); anything else, a client trace
// included, goes through req.Write. The body is closed, as req.Write does.
func writeRequest(bw *bufio.Writer, req *http.Request) error {
	host, ruri, ok := plain(req)
	if !ok {
		return req.Write(bw)
	}
	defer closeBody(req)
	var keys [maxPlainHeaders]string
	names := keys[:0]
	for k := range req.Header {
		if !excluded(k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)

	method := req.Method
	n := int64(0)
	if req.Body != nil && req.Body != http.NoBody {
		n = req.ContentLength
	}
	bw.WriteString(method)
	bw.WriteByte(' ')
	bw.WriteString(ruri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	ua := defaultUserAgent
	if v, has := req.Header["User-Agent"]; has {
		ua = ""
		if len(v) > 0 {
			ua = v[0]
		}
	}
	if ua != "" {
		bw.WriteString("User-Agent: ")
		bw.WriteString(ua)
		bw.WriteString("\r\n")
	}
	if n > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), n, 10))
		bw.WriteString("\r\n")
	}
	for _, k := range names {
		for _, v := range req.Header[k] {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	if _, err := bw.WriteString("\r\n"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return copyBody(bw, req.Body, n)
}

// copyBody copies exactly n bytes of body into bw's own buffer (no
// intermediate one) and fails, as net/http does, when body has fewer or
// more.
func copyBody(bw *bufio.Writer, body io.Reader, n int64) error {
	var copied int64
	for copied < n {
		if bw.Available() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		buf := bw.AvailableBuffer()[:min(int64(bw.Available()), n-copied)]
		m, err := body.Read(buf)
		if m > 0 {
			bw.Write(buf[:m]) // into the same bytes: no copy
			copied += int64(m)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if copied == n {
		// More than n bytes is an error too (net/http reads them all).
		extra, err := io.Copy(io.Discard, body)
		if err != nil {
			return err
		}
		copied += extra
	}
	if copied != n {
		return fmt.Errorf("http: ContentLength=%d with Body length %d", n, copied)
	}
	return nil
}

// defaultUserAgent is what net/http sends when a request has no
// User-Agent header.
const defaultUserAgent = "Go-http-client/1.1"

// plain reports whether writeRequest may write req itself, with the Host
// header and request target req.Write would send: nothing of req needs
// net/http's rewriting (punycode, zone removal, line breaks turned into
// blanks, trimming, dropping an invalid header name) or framing other
// than Content-Length.
func plain(req *http.Request) (host, ruri string, ok bool) {
	if req.URL == nil || req.Close || len(req.TransferEncoding) > 0 || req.Trailer != nil ||
		req.Method == http.MethodConnect || !token(req.Method) || len(req.Header) > maxPlainHeaders ||
		httptrace.ContextClientTrace(req.Context()) != nil {
		return "", "", false
	}
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength <= 0 {
		return "", "", false
	}
	if req.Body == nil && req.ContentLength != 0 {
		return "", "", false
	}
	host = req.Host
	if host == "" {
		host = req.URL.Host
	}
	for i := 0; i < len(host); i++ {
		if !plainHostByte(host[i]) {
			return "", "", false
		}
	}
	ruri = req.URL.RequestURI()
	for i := 0; i < len(ruri); i++ {
		if b := ruri[i]; b < ' ' || b == 0x7f {
			return "", "", false
		}
	}
	for k, vs := range req.Header {
		if !token(k) {
			return "", "", false
		}
		for _, v := range vs {
			if !plainValue(v) {
				return "", "", false
			}
		}
	}
	return host, ruri, true
}

// excluded are the header keys req.Write writes from the request's
// fields or not at all.
func excluded(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// plainHostByte: letters, digits and what a host name, an IPv4 or a
// bracketed IPv6 address (without a zone) and a port are made of.
func plainHostByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '.' || b == '-' || b == ':' || b == '[' || b == ']'
}

// plainValue: no line break anywhere (net/http turns it into a blank) and
// no blank at either end (net/http trims it).
func plainValue(v string) bool {
	if v != "" && (blank(v[0]) || blank(v[len(v)-1])) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' || v[i] == '\n' {
			return false
		}
	}
	return true
}

func blank(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// token reports whether s is a non-empty RFC 7230 token (a method or a
// header field name).
func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9') {
			switch b {
			case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			default:
				return false
			}
		}
	}
	return true
}
