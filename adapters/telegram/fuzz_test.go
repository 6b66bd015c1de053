package telegram_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"example.com/sswbot/adapters/telegram"
)

// FuzzWebhook feeds update bodies to the webhook (with the right secret):
// the adapter must not panic, whatever the body, and answers only with the
// statuses it documents. The seeds are the fixtures in testdata.
func FuzzWebhook(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"update_id":-1,"message":{"chat":{"id":1,"type":"private"},"text":"/start"}}`))
	f.Add([]byte(`{"update_id":7,"callback_query":{"id":"q","data":"","message":null}}`))
	f.Add([]byte(`{"update_id":8,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"from":{"id":1},"text":"/x","entities":[{"type":"bot_command","offset":5,"length":99}]}}`))
	tg := newFakeTG(f)
	a := newAdapter(f, tg, newFakeBot(), nil, func(c *telegram.Config) { c.Logger = slog.New(slog.DiscardHandler) })
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(t, a, body, testSecret)
		switch w.Code {
		case http.StatusOK, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}
