// Package line is sswbot's LINE Messaging API adapter. It owns the webhook
// (signature check, size and method limits), the translation of LINE events
// into bot.Event, the rendering of bot.Reply into LINE messages (cards as Flex bubbles,
// texts, at most five quick replies with "More"), and the reply/push client: the
// request bodies are written by its own encoder (encode.go; the SDK's JSON,
// byte for byte) and each card's bubble is encoded once and cached
// (cache.go); the SDK's types remain the layout and the reference. It must not know the
// dialog, the knowledge base, the store or the other adapters: it talks to
// the bot through its own small Handler interface.
//
// # Commit, send, acknowledge
//
// For every event of a webhook request, in order, the adapter
//
//  1. calls Handler.Handle, which commits the event (session, transcript,
//     dedupe record) before returning;
//  2. sends the replies: with the reply token when it is fresh, otherwise
//     (redelivered event, event older than ~50 s, token rejected by LINE) by
//     push with an X-Line-Retry-Key derived from the webhookEventId, so a
//     retried push is accepted at most once by LINE (409 then means
//     "already sent");
//  3. calls Handler.MarkDelivered.
//
// Handling all events must end within Config.ReplyBudget (1.5 s; LINE waits
// about 2 s). If the store is unavailable or too slow the adapter answers
// 503 and LINE redelivers the request; this needs "Webhook redelivery"
// enabled in the LINE Developers console (Messaging API tab). Events
// committed before the failure come back as duplicates.
//
// The adapter answers 200 only after every event was committed: an
// acknowledged event is always kept (session, transcript and its recorded
// answer). Its answer, though, may not reach the user (see below).
//
// A send that fails within the budget, transiently (network, timeout, 5xx,
// 429), makes the adapter answer 500: the redelivered copy comes back from
// the bot as a duplicate never delivered and is pushed with the stable
// retry key. A failed reply is not pushed at once, because after a timeout
// or a 5xx LINE may already show it and a reply has no retry key; only a
// reply LINE refused for its token is replaced by a push right away.
// Permanent failures (other 4xx) are logged.
//
// # What may still go wrong
//
// When sending outlasts the ReplyBudget, the adapter answers 200 and goes on
// sending in the background, for at most SendTimeout from the request's
// arrival, under a context not tied to the request. LINE never redelivers an
// acknowledged event, so from then on the answer depends on this process:
//
//   - a transient failure in the background loses the answer (logged as
//     "answer lost"); the user sees nothing and has to write again;
//   - the process ending before the send did (a crash, or a Shutdown whose
//     ctx ended first) loses it the same way. Give Shutdown SendTimeout
//     after the HTTP server has stopped.
//
// An answer can be shown twice in two windows: a crash after a successful
// reply and before MarkDelivered, or a reply LINE showed although it
// answered with a timeout or 5xx. The redelivered copy is then pushed. Reply tokens carry no retry key, so this cannot be closed without
// pushing every answer. When an answer needs several requests and a later
// one fails, the redelivery pushes the earlier ones again.
//
// Events in standby mode are ignored. In group and room chats the adapter
// answers a join (bot.KindGroup) and ignores messages. The bot keeps nothing
// for groups, so a redelivered join is not answered: at worst a group misses
// the greeting, it never gets two. Logs carry no message text, no raw user
// ids and no secrets.
package line
