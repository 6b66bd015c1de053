// Package retention holds the TTL defaults both stores share, so the
// in-memory and Redis stores keep data exactly as long as each other.
package retention

import "time"

// Defaults for the stores' TTLs.
const (
	Session    = 30 * 24 * time.Hour  // answers, sliding from the last message
	Transcript = 180 * 24 * time.Hour // transcript and index record, from the last activity
	Dedupe     = 48 * time.Hour       // how long an event id is remembered
)

// Fill sets zero or negative TTLs to the defaults; the transcript is kept
// at least as long as the session.
func Fill(session, transcript, dedupe *time.Duration) {
	if *session <= 0 {
		*session = Session
	}
	if *transcript <= 0 {
		*transcript = Transcript
	}
	*transcript = max(*transcript, *session)
	if *dedupe <= 0 {
		*dedupe = Dedupe
	}
}
