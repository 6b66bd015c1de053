package bot

import (
	"context"
	"log/slog"
	"time"
)

// Change says that a conversation changed: a turn, a staff action, an
// erase or a staff annotation. It carries no text: whoever shows it reads
// the conversation again, so a change feed never holds a user's words.
type Change struct {
	// ID orders changes; the feed assigns it ("1733024000000-0"). Empty
	// when publishing.
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

// Notifying returns a Store that publishes a Change after every successful
// Commit and Forget of st, so every writer of conversations (webhooks,
// polling, staff actions, in any process) feeds the console's live view
// without the bot knowing who listens.
func Notifying(st Store, p Publisher, log *slog.Logger) Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &notifying{Store: st, pub: p, log: log}
}

type notifying struct {
	Store
	pub Publisher
	log *slog.Logger
}

func (n *notifying) Commit(ctx context.Context, id ConversationID, base Snapshot, c Commit) error {
	if err := n.Store.Commit(ctx, id, base, c); err != nil {
		return err
	}
	kind := ChangeTurn
	if c.EventID == "" {
		kind = ChangeStaff
	}
	n.publish(ctx, Change{Conversation: id, Kind: kind, Time: c.Now})
	return nil
}

func (n *notifying) Forget(ctx context.Context, id ConversationID) error {
	if err := n.Store.Forget(ctx, id); err != nil {
		return err
	}
	n.publish(ctx, Change{Conversation: id, Kind: ChangeForget, Time: time.Now()})
	return nil
}

func (n *notifying) publish(ctx context.Context, c Change) {
	if err := n.pub.Publish(context.WithoutCancel(ctx), c); err != nil {
		n.log.Warn("bot: publish change", "kind", c.Kind, "err", err)
	}
}
