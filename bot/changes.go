package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Change says that a conversation changed: a turn, a staff action, an
// erase or a staff annotation. It carries no text: whoever shows it reads
// the conversation again, so a change feed never holds a user's words.
type Change struct {
	// ID is the feed's position just after this change, assigned by the
	// feed: a stream id ("1733024000000-0") or, for a feed of several
	// streams, one such id per stream joined by "." (a reader resumes
	// from it). Empty when publishing.
	ID           string         `json:"-"`
	Conversation ConversationID `json:"c"`
	Kind         ChangeKind     `json:"k"`
	Time         time.Time      `json:"t"`
}

// ChangeKind is what happened.
type ChangeKind string

const (
	ChangeTurn     ChangeKind = "turn"     // the user wrote (and the bot answered or stayed silent)
	ChangeStaff    ChangeKind = "staff"    // take over, hand back or a staff reply
	ChangeForget   ChangeKind = "forget"   // everything about the user was erased
	ChangeAnnotate ChangeKind = "annotate" // notes, labels, assignment, resolved
)

// Publisher sends changes to everyone watching the store (other console
// processes included). Publishing is best effort: a lost change costs a
// live update, never data.
type Publisher interface {
	Publish(ctx context.Context, c Change) error
}

// BatchPublisher is a Publisher that sends several changes at once (one
// round trip for all); Notifying uses it when it can.
type BatchPublisher interface {
	PublishAll(ctx context.Context, cs []Change) error
}

// Notifying returns a Store that publishes a Change after every successful
// Commit and Forget of st, so every writer of conversations (webhooks,
// polling, staff actions, in any process) feeds the console's live view
// without the bot knowing who listens. Changes are published by one
// goroutine from a bounded queue, gathered into batches (at most one per
// publishGap while the bot is busy), so the feed costs a turn no round trip;
// when the queue is full a change is dropped (and logged), which costs a
// live update, never data. Close drains the queue, then closes st. When st
// is a ClaimCommitter, so is the Store returned, and its ClaimCommits
// publish too.
func Notifying(st Store, p Publisher, log *slog.Logger) Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &notifying{Store: st, pub: p, log: log, queue: make(chan Change, changeQueue), done: make(chan struct{})}
	go n.run()
	if cc, ok := st.(ClaimCommitter); ok {
		return notifyingFast{n, cc}
	}
	return n
}

// notifyingFast is notifying over a ClaimCommitter.
type notifyingFast struct {
	*notifying
	cc ClaimCommitter
}

func (n notifyingFast) ClaimCommit(ctx context.Context, id ConversationID, base Snapshot, c Commit) error {
	if err := n.cc.ClaimCommit(ctx, id, base, c); err != nil {
		return err
	}
	n.publish(Change{Conversation: id, Kind: ChangeTurn, Time: c.Now})
	return nil
}

// changeQueue bounds the changes waiting to be published.
const changeQueue = 4096

type notifying struct {
	Store
	pub   Publisher
	log   *slog.Logger
	queue chan Change
	done  chan struct{}

	mu     sync.RWMutex // guards closed against a publish racing Close
	closed bool
}

func (n *notifying) Commit(ctx context.Context, id ConversationID, base Snapshot, c Commit) error {
	if err := n.Store.Commit(ctx, id, base, c); err != nil {
		return err
	}
	kind := ChangeTurn
	if c.EventID == "" {
		kind = ChangeStaff
	}
	n.publish(Change{Conversation: id, Kind: kind, Time: c.Now})
	return nil
}

func (n *notifying) Forget(ctx context.Context, id ConversationID) error {
	if err := n.Store.Forget(ctx, id); err != nil {
		return err
	}
	n.publish(Change{Conversation: id, Kind: ChangeForget, Time: time.Now()})
	return nil
}

func (n *notifying) publish(c Change) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		return
	}
	select {
	case n.queue <- c:
	default:
		n.log.Warn("bot: change feed queue full; a live update is dropped", "kind", c.Kind)
	}
}

// run publishes the queued changes: all that are waiting at once, in one
// call when the publisher takes batches, so a busy bot pays one round trip
// for many turns' changes. It publishes at most once per publishGap unless
// the last batch was full: a busy bot's changes gather into batches of
// dozens, which a Redis feed writes as one stream entry per stream instead
// of one per change; a quiet bot's change goes at once.
func (n *notifying) run() {
	defer close(n.done)
	bp, batches := n.pub.(BatchPublisher)
	batch := make([]Change, 0, maxPublish)
	var last time.Time
	full := false
	for c := range n.queue {
		if wait := publishGap - time.Since(last); wait > 0 && !full {
			time.Sleep(wait)
		}
		batch = append(batch[:0], c)
	fill:
		for len(batch) < maxPublish {
			select {
			case c, ok := <-n.queue:
				if !ok {
					break fill
				}
				batch = append(batch, c)
			default:
				break fill
			}
		}
		full, last = len(batch) == maxPublish, time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if batches {
			if err := bp.PublishAll(ctx, batch); err != nil {
				n.log.Warn("bot: publish changes", "changes", len(batch), "err", err)
			}
		} else {
			for _, c := range batch {
				if err := n.pub.Publish(ctx, c); err != nil {
					n.log.Warn("bot: publish change", "kind", c.Kind, "err", err)
				}
			}
		}
		cancel()
	}
}

// publishGap is the least time between the starts of two publishes (see
// run). It delays a live update at most that much; the console reads a
// Redis feed every 100 ms anyway. At 2,000 events/s it makes batches of
// about 40 changes: 5 per stream of the Redis feed.
const publishGap = 20 * time.Millisecond

// maxPublish bounds the changes published at once.
const maxPublish = 256

// Close publishes what is queued, then closes the store.
func (n *notifying) Close() error {
	n.mu.Lock()
	first := !n.closed
	if first {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	if first {
		<-n.done
	}
	return n.Store.Close()
}
