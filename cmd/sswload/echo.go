package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// runEcho serves the reference peer: what a LINE bot written from the
// SDK's README does. It parses the request with webhook.ParseRequest and
// answers every text with ReplyMessage, synchronously inside the handler,
// with the SDK's default HTTP client: no state, no store. Its only setting
// beyond the SDK defaults is the API endpoint (the fake).
func runEcho(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sswload echo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18080", "listen address; the webhook is POST /line/webhook")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret, token := getenv("LINE_CHANNEL_SECRET"), getenv("LINE_CHANNEL_ACCESS_TOKEN")
	base := getenv("LINE_API_BASE_URL")
	if secret == "" || token == "" || base == "" {
		return errors.New("echo: set LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE_URL")
	}
	api, err := messaging_api.NewMessagingApiAPI(token, messaging_api.WithEndpoint(base))
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/line/webhook", func(w http.ResponseWriter, r *http.Request) {
		cb, err := webhook.ParseRequest(secret, r)
		if err != nil {
			if errors.Is(err, webhook.ErrInvalidSignature) {
				w.WriteHeader(http.StatusBadRequest)
			} else {
				w.WriteHeader(http.StatusInternalServerError)
			}
			return
		}
		for _, ev := range cb.Events {
			e, ok := ev.(webhook.MessageEvent)
			if !ok {
				continue
			}
			if m, ok := e.Message.(webhook.TextMessageContent); ok {
				if _, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{
					ReplyToken: e.ReplyToken,
					Messages:   []messaging_api.MessageInterface{messaging_api.TextMessage{Text: m.Text}},
				}); err != nil {
					log.Print(err)
				}
			}
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stdout, "echo serving on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
