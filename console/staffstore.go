package console

import (
	"context"
	"time"
)

// StaffStore keeps what every console process must agree on and a restart
// must keep: staff logins, the failed-login counters behind the lockout and
// the audit log. Both stores implement it (store/memstore: one process;
// store/redisstore: any number of processes on one Redis). Values are
// opaque to the store; the console encodes them.
type StaffStore interface {
	// PutStaffSession stores a login's record under key for ttl,
	// replacing what was there.
	PutStaffSession(ctx context.Context, key string, record []byte, ttl time.Duration) error
	// StaffSession returns the record under key, or nil when there is none
	// or it expired.
	StaffSession(ctx context.Context, key string) ([]byte, error)
	// DeleteStaffSession ends a login.
	DeleteStaffSession(ctx context.Context, key string) error
	// AddLoginFailure counts one failed login for key at now and returns
	// how many the key has; a key without failures for keep is forgotten.
	AddLoginFailure(ctx context.Context, key string, now time.Time, keep time.Duration) (int, error)
	// LoginFailures returns key's count and the time of its last failure
	// (0 and the zero time when there are none).
	LoginFailures(ctx context.Context, key string) (int, time.Time, error)
	// ClearLoginFailures forgets key's failures (after a successful login).
	ClearLoginFailures(ctx context.Context, key string) error
	// AddAudit appends one audit line and keeps only the newest keep lines.
	AddAudit(ctx context.Context, line []byte, keep int) error
	// Audit returns up to n lines, newest first.
	Audit(ctx context.Context, n int) ([][]byte, error)
}
