// Package line is sswbot's LINE Messaging API adapter. It owns the webhook
// (signature check, size and method limits), the translation of LINE events
// into bot.Event, the rendering of bot.Reply into LINE text messages with
// quick-reply buttons, and the reply/push client. It must not know the
// dialog, the knowledge base, the store or the other adapters: it talks to
// the bot through its own small Handler interface.
//
// # Acknowledge, commit, send
//
// For every event of a webhook request, in order, the adapter
//
//  1. calls Handler.Handle, which commits the event (session, transcript,
//     dedupe record) before returning;
//  2. sends the replies: with the reply token when it is fresh, otherwise
//     (redelivered event, token rejected, event older than ~50 s) by push
//     with an X-Line-Retry-Key derived from the webhookEventId, so a retried
//     push is accepted at most once by LINE (409 then means "already sent");
//  3. calls Handler.MarkDelivered.
//
// and only then answers 200. Committing before the 200 means an
// acknowledged event is never lost. If the store is unavailable the adapter
// answers 503 and LINE redelivers the request; this needs "Webhook
// redelivery" enabled in the LINE Developers console (Messaging API tab).
//
// Sending happens before the acknowledgement so that a crash between commit
// and send leaves the event committed but not marked delivered: the
// redelivered copy comes back from the bot as a duplicate that was never
// delivered, and the adapter pushes the recorded replies with the same stable
// retry key. A duplicate already delivered is not answered again.
//
// LINE allows about 2 s for the answer. When sending takes longer than
// Config.ReplyBudget, the adapter answers 200 anyway (the events are already
// committed) and finishes sending in the background under a context that is
// not tied to the request. A transient send failure (network, 5xx, 429)
// noticed within the budget answers 500 so that LINE redelivers; permanent
// failures are logged.
//
// One narrow window remains: a crash after a successful reply and before
// MarkDelivered makes the redelivered copy be pushed, so the user may see
// that answer twice. Reply tokens carry no retry key, so this cannot be
// closed without pushing every answer.
//
// Events in standby mode are ignored. In group and room chats the adapter
// answers a join once (bot.KindGroup) and ignores messages. Logs carry no
// message text, no raw user ids and no secrets.
package line
