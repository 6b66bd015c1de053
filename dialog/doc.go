// Package dialog is sswbot's conversation as a pure state machine:
// Step(flow, session, input) returns the next session and what to say.
// It does no I/O, reads no clock and knows no platform, store or YAML; the
// bot builds a Flow from the knowledge base and renders the Says it returns.
//
// States: lang → role → location → route → step (one per procedure) → done,
// plus two asides (change: pick an answer to change; forget: confirm
// erasure). Global inputs (help, language, contacts, back, start over,
// talk to a person, forget my data) work in every state.
package dialog
