package telegram_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"example.com/sswbot/adapters/telegram"
)

// Wiring in sswbot serve: New makes no network call, Setup learns the bot's
// name and registers the command menus and the webhook (or removes it for
// polling), then either the webhook is mounted or Run polls until ctx ends
// and finishes the update in progress.
func Example() {
	var (
		ctx     context.Context      // from signal.NotifyContext
		service telegram.Handler     // *bot.Service
		offsets telegram.OffsetStore // memstore or redisstore
		mux     = http.NewServeMux()
	)
	tg, err := telegram.New(telegram.Config{
		Token:         os.Getenv("TELEGRAM_BOT_TOKEN"),
		APIBaseURL:    os.Getenv("TELEGRAM_API_BASE_URL"),
		WebhookURL:    os.Getenv("TELEGRAM_WEBHOOK_URL"),
		WebhookSecret: os.Getenv("TELEGRAM_WEBHOOK_SECRET"),
		Commands: map[string][]telegram.Command{
			"":   {{Name: "start", Description: "Start"}, {Name: "help", Description: "Help"}},
			"ru": {{Name: "start", Description: "Начать"}, {Name: "help", Description: "Помощь"}},
		},
	}, service, offsets)
	if err != nil {
		log.Fatal(err)
	}
	if err := tg.Setup(ctx); err != nil {
		log.Print(err) // name, commands or webhook not registered; Setup may be retried
	}
	if os.Getenv("TELEGRAM_WEBHOOK_URL") != "" {
		mux.Handle("POST /telegram/webhook", tg)
	} else if err := tg.Run(ctx); err != nil {
		log.Fatal(err) // the token was rejected; a second poller is only logged
	}
}
