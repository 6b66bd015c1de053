package bot

import "sync"

// recent keeps, per conversation, the snapshot this process's last commit
// left, so that with a ClaimCommitter store the next event's turn needs no
// Claim: it is computed from that snapshot and committed in one step that
// checks the snapshot is still the stored state (claimCommitFast). An entry
// is a hint only: another process's commit, a staff action, an expired
// session or an eviction makes it stale, the commit says so, and the turn
// takes the Claim path.
//
// It holds at most max conversations; when full, an arbitrary entry makes
// room (Go's map iteration order), which costs no bookkeeping per hit and
// is as good as any for users who write every few seconds.
type recent struct {
	mu  sync.Mutex
	m   map[ConversationID]Snapshot
	max int
}

// DefaultRecentConversations is how many conversations' last snapshots a
// Service keeps by default: about 0.5 KB each.
const DefaultRecentConversations = 20000

func newRecent(max int) *recent {
	return &recent{m: make(map[ConversationID]Snapshot, min(max, 1024)), max: max}
}

// get returns the conversation's last committed snapshot, with a Meta of
// the caller's own.
func (r *recent) get(id ConversationID) (Snapshot, bool) {
	r.mu.Lock()
	snap, ok := r.m[id]
	r.mu.Unlock()
	if ok && snap.Meta != nil {
		m := *snap.Meta
		snap.Meta = &m
	}
	return snap, ok
}

// put keeps what committing c on base left: base.Version+1 (ClaimCommitter).
// A snapshot older than the one kept (two turns of one user finishing out of
// order) is not kept.
func (r *recent) put(id ConversationID, base Snapshot, c Commit) {
	next := Snapshot{Session: c.Session, Version: base.Version + 1, Meta: new(Meta)}
	if next.Session == nil {
		next.Session = base.Session
	}
	*next.Meta = c.Meta
	next.Meta.ID = id
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.m[id]; ok && old.Version >= next.Version {
		return
	}
	if len(r.m) >= r.max {
		for k := range r.m {
			delete(r.m, k)
			break
		}
	}
	r.m[id] = next
}

// drop forgets the conversation's snapshot (it proved stale, or is erased).
func (r *recent) drop(id ConversationID) {
	r.mu.Lock()
	delete(r.m, id)
	r.mu.Unlock()
}
