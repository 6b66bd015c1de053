// Package console is sswbot's staff web console, served under /console/:
// login and sessions, the conversation list and transcripts, the handoff
// queue (take over, reply, hand back), exports, the insights funnel, a
// "Try it" chat and the staff audit log. Pages are rendered on the server
// with html/template from embedded templates and one stylesheet; there is
// no JavaScript.
//
// console owns its small ports (Bot, Pusher) and talks in bot's types. It
// must not know the stores, the platforms' APIs (the Pusher does the
// sending), the dialog or the content; cmd/sswbot wires the real ones.
package console
