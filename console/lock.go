package console

import (
	"sync"

	"example.com/sswbot/bot"
)

// convLocks serialises staff actions per conversation, so an ownership
// check and the change it guards do not interleave with another staff
// member's. It covers one console process: bot.Service.TakeOver itself
// does not compare owners.
type convLocks struct {
	mu sync.Mutex
	m  map[bot.ConversationID]*convLock
}

type convLock struct {
	mu    sync.Mutex
	users int // holders and waiters; the entry goes when it drops to 0
}

// lock locks id and returns the unlock.
func (l *convLocks) lock(id bot.ConversationID) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[bot.ConversationID]*convLock{}
	}
	cl := l.m[id]
	if cl == nil {
		cl = &convLock{}
		l.m[id] = cl
	}
	cl.users++
	l.mu.Unlock()

	cl.mu.Lock()
	return func() {
		cl.mu.Unlock()
		l.mu.Lock()
		if cl.users--; cl.users == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}
