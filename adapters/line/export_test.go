package line

import "time"

// Internals the black-box tests check directly.
var (
	SplitText = splitText
	UTF16Len  = utf16Len
	RetryKey  = retryKey
)

// SetPushBackoff replaces the waits between push attempts until the returned
// func is called. Tests using it must not run in parallel.
func SetPushBackoff(d ...time.Duration) (restore func()) {
	old := pushBackoff
	pushBackoff = d
	return func() { pushBackoff = old }
}
