// Package dialog is sswbot's conversation as a pure state machine:
// Step(flow, session, input) returns the next session and what to say.
// It does no I/O, reads no clock and knows no platform, store or YAML; the
// bot builds a Flow from the knowledge base and renders the Says it returns.
//
// States: the questions of the question table (questions.go: lang → role
// → country → location → route, each asked only when there is a choice),
// then step (one per procedure) → done, plus three asides (change: pick an
// answer to change; forget: confirm erasure; offer: a person after
// misunderstandings). Global inputs (help, language, contacts, back, start
// over, talk to a person, forget my data) work in every state.
//
// Buttons carry a typed Payload{Kind, Arg} (payload.go) whose String form
// is the short ASCII wire string; choose dispatches on the kind. Roles,
// locations, countries and routes are values from the Flow (the content),
// never literals here.
package dialog
