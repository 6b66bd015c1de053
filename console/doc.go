// Package console is sswbot's staff web console, served under /console/:
// login and sessions, the conversation list and transcripts, the handoff
// queue (take over, reply, hand back), exports, the insights funnel, a
// "Try it" chat and the staff audit log. Pages are rendered on the server
// with html/template from embedded templates and one stylesheet; one small
// script of ours (static/console.js) adds live updates over server-sent
// events, and every page works without it. Staff notes, labels, assignment
// and read marks are kept through the Notes port, the live view follows the
// store's change Feed.
//
// console owns its small ports (Bot, Pusher) and talks in bot's types. It
// must not know the stores, the platforms' APIs (the Pusher does the
// sending), the dialog or the content; cmd/sswbot wires the real ones.
package console
