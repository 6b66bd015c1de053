// Package redisstore keeps sswbot's sessions, transcripts, dedupe records and
// conversation index in Redis, for deployments with more than one instance
// or state that must survive a restart. It speaks go-redis's UniversalClient
// (a single node, a Cluster or Sentinel, chosen by the URL: see universalOptions).
//
// It owns the key layout and the Lua script that commits a turn. It knows
// bot's types only: not platforms, the dialog or the console.
//
// # Keys
//
// All of a conversation's keys carry its id as a hash tag, so they share one
// Cluster slot and one script can write them atomically:
//
//	<prefix>{<id>}:s          session bytes; sliding SessionTTL
//	<prefix>{<id>}:m          "<version>\n<meta JSON>"; TranscriptRetention
//	<prefix>{<id>}:t          transcript, a list of entry JSON; TranscriptRetention
//	<prefix>{<id>}:e:<event>  dedupe record, "<0|1 delivered><outcome>"; DedupeTTL
//	<prefix>idx               index, a sorted set of ids by last commit (ms)
//	<prefix>offset:<name>     a poller offset; no TTL
//
// # Atomicity
//
// Per-user atomicity is optimistic, by version: Load reads session, meta
// (with the version) and the event's dedupe record in one MULTI/EXEC, and
// Commit runs one script that writes the whole turn only if the version is
// unchanged and the event id is new; otherwise it writes nothing and the bot
// loads again and retries. A script instead of WATCH/MULTI keeps a turn at one
// round trip and cannot leave a half-written turn behind; instead of a lock
// there is nothing to release when an instance dies mid-turn. So an event
// costs two round trips: Load, and Commit pipelined with the index update.
package redisstore
