package bot

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrUnavailable marks a store outage. Handle returns it wrapped; adapters
	// answer 5xx so the platform redelivers. Nothing was written.
	ErrUnavailable = errors.New("store unavailable")
	// ErrConflict is returned by Store.Commit when the session changed since
	// Load; the caller loads again and retries.
	ErrConflict = errors.New("session changed concurrently")
	// ErrDuplicate is returned by Store.Commit when the event id was committed
	// by someone else since Load.
	ErrDuplicate = errors.New("event already committed")
	// ErrNotFound is returned for an unknown conversation.
	ErrNotFound = errors.New("conversation not found")
	// ErrNotOwner refuses a staff action on a conversation another staff
	// member (or nobody) owns.
	ErrNotOwner = errors.New("conversation owned by someone else")
	// ErrInFlight is returned by Store.Claim (and so by Handle) when another
	// handler holds the event's lease: it is being handled or its replies
	// are being sent right now. Adapters answer so that the platform
	// delivers it again later (LINE: 5xx, Telegram: non-2xx) and send
	// nothing. Nothing was written.
	ErrInFlight = errors.New("event is being handled by someone else")
	// ErrNoEventID refuses a platform event without its platform id: it could
	// not be told from a redelivery, so it is not handled at all.
	ErrNoEventID = errors.New("platform event without an id")
)

// Store persists sessions, transcripts, dedupe records and the conversation
// index. Implementations: store/memstore and store/redisstore. Both pass the
// conformance suite in store/storetest.
//
// Per-user atomicity is optimistic: Load returns a version, Commit applies a
// whole turn only if the version is unchanged and the event id is new. The
// bot retries on ErrConflict. All of a conversation's keys live together
// (one Redis Cluster slot), so a Commit is one atomic script.
type Store interface {
	// Load returns the conversation's current state. When eventID is not
	// empty and was already committed, Snapshot.Recorded holds its outcome.
	// It takes no lease (staff actions and the console use it).
	Load(ctx context.Context, id ConversationID, eventID string) (Snapshot, error)
	// Claim is Load for a platform event, in the same single step (one round
	// trip): unless the event is recorded as delivered, it also takes the
	// event's in-flight lease for holder, for the store's lease TTL. It fails
	// with ErrInFlight, taking nothing, when another holder's lease is live.
	// A holder that claims again (the retry after ErrConflict) renews its own
	// lease. The lease outlives the Commit when there is something to send
	// and ends with MarkDelivered or its TTL, so a redelivery that arrives
	// while the first handler is still sending is refused, and one that
	// arrives after that handler died takes over (Recorded set, Delivered
	// false: the send is uncertain and the adapter resolves it).
	Claim(ctx context.Context, id ConversationID, eventID, holder string) (Snapshot, error)
	// Commit writes one turn atomically: session (with a fresh sliding TTL),
	// meta, transcript entries, the dedupe record (the send intent: outcome
	// and reply token, "sending", or "delivered" when Commit.Delivered) and
	// the index entry. It fails with ErrConflict, ErrDuplicate or — when
	// another holder has taken the event's lease since Claim — ErrInFlight,
	// and then writes nothing.
	Commit(ctx context.Context, id ConversationID, base Snapshot, c Commit) error
	// MarkDelivered notes that the replies of eventID were sent and ends the
	// event's lease.
	MarkDelivered(ctx context.Context, id ConversationID, eventID string) error
	// Release ends holder's lease on eventID early, when its handler gives
	// up (a failed commit, or nothing of the answer could be sent and the
	// platform will deliver the event again): the redelivery is then
	// handled at once instead of waiting out the lease's TTL. It changes
	// nothing when another holder has the lease (or none is held) and
	// never touches the dedupe record.
	Release(ctx context.Context, id ConversationID, eventID, holder string) error
	// Forget erases the conversation's session, transcript, meta and index
	// entry. Dedupe records may stay until they expire (they hold no text
	// beyond the bot's own replies).
	Forget(ctx context.Context, id ConversationID) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// A ClaimCommitter is a Store that can also take an event and commit its
// turn in one step (redisstore: one script, one round trip instead of two).
// The bot uses it for a turn computed from the snapshot its own last commit
// of the conversation left (recent.go), and takes the Claim path whenever
// it fails, so it is only ever a shortcut.
type ClaimCommitter interface {
	// ClaimCommit is Claim of c.EventID for c.Holder followed at once by
	// Commit of c on base. It commits only when the conversation is exactly
	// base (the same version, and a session stored if and only if base has
	// one: a session may expire without a commit), the event is not
	// recorded, and no other holder's lease on it is live. The event's
	// lease is then c.Holder's, as after Claim and Commit, unless
	// c.Delivered ended it; and the version is base.Version+1. Otherwise it
	// writes nothing and returns ErrConflict (base is not the stored
	// state), ErrDuplicate (the event is recorded) or ErrInFlight (another
	// holder's lease is live).
	ClaimCommit(ctx context.Context, id ConversationID, base Snapshot, c Commit) error
}

// Snapshot is a conversation as Load found it. Its byte slices may be the
// store's own (memstore hands them out without a copy): read them, never
// change them.
type Snapshot struct {
	// Session is the encoded session, nil when there is none (new user,
	// expired or forgotten).
	Session []byte
	// Version changes with every Commit; 0 when nothing is stored.
	Version int64
	// Meta is the index record; nil for a conversation never seen (or
	// forgotten). Meta present with Session nil means the session expired.
	Meta *Meta
	// Recorded is set when the requested event id was already committed.
	Recorded *Recorded
}

// Recorded is the dedupe record of a committed event: the send intent.
type Recorded struct {
	Outcome []byte // encoded replies, as given in Commit.Outcome
	// Delivered is false while the replies are being sent (or the sender
	// died before it could tell): the send is uncertain.
	Delivered bool
	// ReplyToken is the platform's reply token recorded with the intent
	// (LINE), so a redelivery can retry the reply with it: a platform that
	// refuses a used token then tells whether the first send got through.
	ReplyToken string
}

// Commit is one turn to write. A store may keep its Session, Outcome and
// entries' Choices as they are (memstore does, to spare a copy per turn):
// the caller makes them for the commit and does not change them after.
type Commit struct {
	EventID string // may be empty for staff actions that need no dedupe
	Session []byte // the new encoded session; nil leaves the stored one (or its absence) as it is
	Meta    Meta
	Entries []Entry
	Outcome []byte // encoded replies, kept with the dedupe record
	Now     time.Time
	// Holder is the lease holder given to Claim ("" for staff actions).
	Holder string
	// ReplyToken is kept with the send intent (see Recorded.ReplyToken).
	ReplyToken string
	// Delivered records the event as delivered at once (nothing to send)
	// and ends its lease.
	Delivered bool
	// Stages are the funnel stages this turn reached for the first time
	// today (see FunnelReader); the store counts the conversation in each,
	// for Meta.Platform and Meta.Lang, on Now's day (UTC). Counting is
	// idempotent, so a retried commit does not count twice.
	Stages []string
}

// Funnel stages: "started" (any activity), "role", "location", "route"
// (answered the role, the location, chose a route), then per route r
// "route:r", "step:r:<k>" (reached its k-th step) and "done:r".
const (
	StageStarted  = "started"
	StageRole     = "role"
	StageLocation = "location"
	StageRoute    = "route"
)

// AllLangs in a FunnelQuery counts conversations whatever their language,
// each once.
const AllLangs = "*"

// FunnelQuery asks for distinct conversations per platform, language and
// stage over whole UTC days.
type FunnelQuery struct {
	Days      []string // "2006-01-02"
	Platforms []Platform
	Langs     []string // a language, "" (none chosen yet) or AllLangs
	Stages    []string
}

// FunnelKey names one count of a FunnelQuery's answer.
type FunnelKey struct {
	Platform Platform
	Lang     string
	Stage    string
}

// FunnelReader is the funnel kept as counters updated at commit, so the
// console's insights cost O(days × stages), not one transcript read per
// conversation. Both stores implement it.
type FunnelReader interface {
	// Funnel returns, for every platform × language × stage of q, how many
	// distinct conversations reached the stage on one of q's days (absent
	// keys are 0). Counts may be approximate (Redis HyperLogLog: exact for
	// small numbers, within about 1% for large ones).
	Funnel(ctx context.Context, q FunnelQuery) (map[FunnelKey]int, error)
}

// Meta is what the console lists and filters on. It outlives the session
// (it is kept as long as the transcript).
type Meta struct {
	ID          ConversationID `json:"id"`
	Platform    Platform       `json:"platform"`
	DisplayName string         `json:"name,omitempty"`
	Lang        string         `json:"lang,omitempty"`
	Role        string         `json:"role,omitempty"`
	Country     string         `json:"country,omitempty"` // sending country
	Location    string         `json:"loc,omitempty"`
	Route       string         `json:"route,omitempty"`
	State       string         `json:"state,omitempty"`
	Step        string         `json:"step,omitempty"` // step id, e.g. "A.4"
	StepN       int            `json:"n,omitempty"`    // 1-based position in the route
	StepTotal   int            `json:"of,omitempty"`
	Handoff     bool           `json:"handoff,omitempty"` // asked for a person
	Owner       string         `json:"owner,omitempty"`   // staff member who took over; "" = the bot
	Misses      int            `json:"misses,omitempty"`  // repeated misunderstandings
	// Held: shared-case notifications wait for this user's next message
	// (near the push quota, held.go), so only then does a turn read them.
	Held bool `json:"held,omitempty"`
	// Reached is what the conversation reached on its last active day, in
	// a compact form (see funnel.go), so each funnel stage is counted once
	// a day.
	Reached    string    `json:"reach,omitempty"`
	Inactive   bool      `json:"inactive,omitempty"`
	Finished   bool      `json:"done,omitempty"`
	Turns      int       `json:"turns,omitempty"`
	Started    time.Time `json:"started"`
	LastActive time.Time `json:"last"`
}

// Direction of a transcript entry.
type Direction string

const (
	In     Direction = "in"     // from the user
	Out    Direction = "out"    // from the bot
	Staff  Direction = "staff"  // from a staff member (a message or an action)
	System Direction = "system" // expiry notices, take-over, hand-back, inactive
)

// Entry is one line of a transcript. Entries are append-only.
type Entry struct {
	Time         time.Time `json:"t"`
	Dir          Direction `json:"dir"`
	Text         string    `json:"text"`
	Choices      []string  `json:"choices,omitempty"` // labels shown with an outgoing message
	StateBefore  string    `json:"from,omitempty"`
	StateAfter   string    `json:"to,omitempty"`
	KBVersion    string    `json:"kb,omitempty"`
	EventID      string    `json:"ev,omitempty"`
	Staff        string    `json:"staff,omitempty"`
	Unrecognized bool      `json:"unrec,omitempty"`
	// Topic is the out-of-scope topic the bot answered ("fees"): what the
	// document does not cover, counted by topic in the console.
	Topic string `json:"topic,omitempty"`
}

// Filter selects conversations for the console.
type Filter struct {
	Platform Platform // "" = all
	Lang     string   // "" = all
	Handoff  bool     // only those who asked for a person
	Owned    bool     // only those a staff member owns
	Inactive bool     // only inactive ones
	Query    string   // full-text search in transcripts (case-insensitive substring)
	Since    time.Time
	Until    time.Time
	Offset   int
	Limit    int // 0 = no limit
}

// Index is the read side the console uses; both stores implement it.
type Index interface {
	// List returns conversations matching f, most recent activity first, and
	// the total number matching before Offset/Limit.
	List(ctx context.Context, f Filter) ([]Meta, int, error)
	// Transcript returns the conversation's entries, oldest first.
	Transcript(ctx context.Context, id ConversationID) ([]Entry, error)
	// Meta returns one conversation's index record or ErrNotFound.
	Meta(ctx context.Context, id ConversationID) (Meta, error)
}
