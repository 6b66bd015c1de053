package console

import (
	"bytes"
	"net/http"
)

// Off is what /console/ serves when no staff account is configured: a page
// that says how to turn the console on, instead of a bare 404. It shows no
// data and accepts nothing.
func Off() http.Handler {
	pages, err := parsePages()
	var page []byte
	if err == nil {
		var buf bytes.Buffer
		if pages["off"].ExecuteTemplate(&buf, "layout", pageData{Page: "off"}) == nil {
			page = buf.Bytes()
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if r.URL.Path == "/console/static/console.css" {
			h.Set("Content-Type", "text/css; charset=utf-8")
			css, _ := assets.ReadFile("static/console.css")
			_, _ = w.Write(css)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(page)
	})
}
