package main

// Temporary: keeps every dependency required in go.mod while the packages
// that use them are written in parallel. Removed once they are wired.
import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	_ "github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	_ "github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	_ "github.com/redis/go-redis/v9"
	_ "golang.org/x/crypto/bcrypt"
	_ "gopkg.in/yaml.v3"
)
