package line_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
)

// quietBot answers nothing; the real one is bot.Service.
type quietBot struct{}

func (quietBot) Handle(context.Context, bot.Event) (bot.Outcome, error) { return bot.Outcome{}, nil }
func (quietBot) MarkDelivered(context.Context, bot.ConversationID, string) error {
	return nil
}
func (quietBot) Release(context.Context, bot.ConversationID, string, string) error { return nil }

func Example() {
	a, err := line.New(line.Config{ChannelSecret: "testsecret", AccessToken: "token"}, quietBot{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/line/webhook", a)

	// The console's "Verify" request, signed like LINE signs it.
	body := `{"destination":"Uab012345678901234567890123456789","events":[]}`
	mac := hmac.New(sha256.New, []byte("testsecret"))
	mac.Write([]byte(body))
	req := httptest.NewRequest(http.MethodPost, "/line/webhook", strings.NewReader(body))
	req.Header.Set("X-Line-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output: 200
}
