// Package telegram owns sswbot's Telegram channel: the webhook handler, the
// long-polling loop, translating Telegram updates into bot.Events and sending
// bot.Replies back (HTML escaping, splitting, inline keyboards, rate limits,
// retries). It keeps github.com/go-telegram-bot-api/telegram-bot-api/v5
// behind its own small api interface, because that library is unmaintained
// and has traps (see shared/reference/telegram.md).
//
// It must not know dialog states, knowledge content or how conversations are
// stored: it talks to the bot through Handler and keeps only its polling
// offset, through OffsetStore.
package telegram
