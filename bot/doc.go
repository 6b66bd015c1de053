// Package bot is sswbot's service core: it turns one platform event into
// replies, exactly once. For each event it loads the user's session from a
// Store, runs the pure dialog, renders the replies from the knowledge base and
// commits session, transcript and dedupe record in one atomic step.
//
// bot owns the types adapters, stores and the console talk in (Event, Reply,
// Outcome, ConversationID, Meta, Entry) and the Store port. It must not know
// LINE, Telegram, Redis, HTTP or HTML: those live in adapters/*, store/* and
// console, which import bot, never the other way round.
package bot
