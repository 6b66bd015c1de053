// Package retention holds the TTL defaults both stores share, so the
// in-memory and Redis stores keep data exactly as long as each other.
package retention

import "time"

// Defaults for the stores' TTLs.
const (
	Session    = 30 * 24 * time.Hour  // answers, sliding from the last message
	Transcript = 180 * 24 * time.Hour // transcript and index record, from the last activity
	Dedupe     = 48 * time.Hour       // how long an event id is remembered
	// Lease is how long a claimed event stays "in flight" without news from
	// its handler: longer than handling plus sending may take (LINE's
	// SendTimeout 30 s; Telegram's 22 s per update plus 3 s to record the
	// delivery), so a live handler never loses its lease, and short enough
	// that the redelivery of an event whose handler died is not held back
	// for long.
	Lease = 40 * time.Second
)

// Entries is how many transcript entries a conversation keeps; older ones
// are dropped. A whole route walked with a few detours is about 100.
const Entries = 1000

// FillEntries sets a zero or negative entry cap to the default.
func FillEntries(n *int) {
	if *n <= 0 {
		*n = Entries
	}
}

// FillLease sets a zero or negative lease TTL to the default.
func FillLease(lease *time.Duration) {
	if *lease <= 0 {
		*lease = Lease
	}
}

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
