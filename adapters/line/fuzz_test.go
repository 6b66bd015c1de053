package line_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"example.com/sswbot/adapters/line"
)

// FuzzWebhook feeds signed bodies to the webhook: whatever LINE (or an
// attacker who has the secret) sends, the adapter must not panic and must
// answer with one of the statuses it documents. The seeds are the fixtures
// in testdata; `go test -fuzz FuzzWebhook` explores from there (bounded in
// scripts/test.sh).
func FuzzWebhook(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"type":"message","webhookEventId":"","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"x"}}]}`))
	f.Add([]byte(`{"events":[{"type":"postback","timestamp":-1,"source":{"type":"room"},"postback":null}]}`))
	api := newFakeAPI(f)
	a := newAdapter(f, api, newFakeBot(), func(c *line.Config) { c.Logger = slog.New(slog.DiscardHandler) })
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post(a, body, sign(body))
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge,
			http.StatusInternalServerError, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
