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
//	<prefix>{<id>}:s          session bytes (bot's compact form); sliding SessionTTL
//	<prefix>{<id>}:m          "<version>\n<meta>" (compact form, see entry.go); TranscriptRetention
//	<prefix>{<id>}:t          transcript, a list of compact entries; TranscriptRetention
//	<prefix>{<id>}:e:<event>  dedupe record = send intent, "<0 sending|1 delivered><reply token>\n<outcome>",
//	                          or, for an outcome over 256 bytes, "...\n\x00<holder>"; sending with
//	                          the event's lease inside, "2<lease end ms>:<holder>\t..." (the one-step
//	                          ClaimCommit); MarkDelivered by the committing process rewrites it as
//	                          delivered; DedupeTTL
//	<prefix>{<id>}:o:<event>:<holder>  that large outcome, written by a plain SET just before
//	                          the commit script (which checks it is there); DedupeTTL + 1 min
//	<prefix>{<id>}:l:<event>  the event's in-flight lease taken by Claim, its holder (LeaseTTL);
//	                          after MarkDelivered by a process that did not commit the event, the
//	                          delivery mark (DedupeTTL)
//	<prefix>idx:{<n>}         index shard n of 16, a sorted set of ids by last commit (ms, within
//	                          10 min), merged per 100 ms after a conversation's first commit (side.go)
//	<prefix>fun:{…}:<day>     funnel counters (HyperLogLog), see funnel.go
//	<prefix>offset:<name>     a poller offset; no TTL
//	<prefix>{case:<id>}:…     a shared case and its unsent notifications; invite
//	                          codes, the case list and the outbox queue: see cases.go
//
// # Atomicity
//
// Per-user atomicity is optimistic, by version: Claim (Load for a platform
// event) runs one script that reads session, meta (with the version) and the
// event's dedupe record and takes the event's in-flight lease; Commit runs
// one script that writes the whole turn only if the version is unchanged,
// the event id is new and the lease not another's; otherwise it writes
// nothing and the bot loads again and retries. Scripts instead of
// WATCH/MULTI keep each step at one round trip and cannot leave a
// half-written turn behind; the lease has a TTL, so nothing waits long when
// an instance dies mid-turn. So an event costs two round trips: Claim, and
// Commit (pipelined with a new conversation's index entry), or one when
// the bot still holds the conversation's last state (ClaimCommit, one
// script doing both); MarkDelivered (one plain SET),
// which adapters make after sending, and the change feed's XADDs start no
// round trip of their own: they ride in the next one. Concurrent turns share
// these round trips (batcher). After a conversation's first commit, the
// index and funnel updates of this process's commits are merged and
// written every 100 ms (sideWrites): a crash loses at most that much of
// the index scores and of the funnel members; every index or funnel read
// of a process writes its pending updates first.
package redisstore
