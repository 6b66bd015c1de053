// Package memstore is sswbot's embedded store: sessions, transcripts, dedupe
// records and the conversation index in process memory. It is the default
// when no Redis is configured (one instance; everything is lost on restart)
// and has the same semantics and TTLs as store/redisstore, checked by the
// same conformance suite (store/storetest).
//
// It knows bot's types only: not platforms, the dialog or Redis.
package memstore

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/internal/listing"
	"example.com/sswbot/store/internal/retention"
)

// Options tune a Store. Zero values get defaults.
type Options struct {
	SessionTTL time.Duration // sliding, renewed by every Commit; 30 days
	// TranscriptRetention keeps meta and transcript after the last activity;
	// 180 days, at least SessionTTL.
	TranscriptRetention time.Duration
	DedupeTTL           time.Duration    // how long an event id is remembered; 48 hours
	LeaseTTL            time.Duration    // an event's in-flight lease (see bot.Store.Claim); 40 s
	Now                 func() time.Time // the clock of all TTLs; time.Now
	// MaxEntries caps a conversation's transcript: the oldest entries are
	// dropped (and counted, see Stats); 1000.
	MaxEntries int
	// MaxBytes bounds the store's estimated size (sessions, metas,
	// transcripts, dedupe records). Above it a commit first drops what has
	// expired, then the older transcript entries of the conversations idle
	// the longest, then those conversations (with their dedupe records),
	// down to 90 %; 256 MiB.
	MaxBytes int64
}

func (o Options) withDefaults() Options {
	retention.Fill(&o.SessionTTL, &o.TranscriptRetention, &o.DedupeTTL)
	retention.FillLease(&o.LeaseTTL)
	retention.FillEntries(&o.MaxEntries)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// sweepEvery bounds how long expired data stays in memory, invisible, while
// commits arrive (with none, nothing grows).
const sweepEvery = time.Minute

// Store keeps everything in maps behind one mutex: a turn is a few map
// writes, so contention is not worth finer locks. Expired data is dropped
// lazily when touched and by a sweep at most once a minute (on Commit).
type Store struct {
	opt Options

	mu        sync.Mutex
	convs     map[bot.ConversationID]*conv
	dedupe    map[eventKey]*record
	leases    map[eventKey]lease
	offsets   map[string]int64
	funnel    map[funnelCell]map[bot.ConversationID]struct{} // see funnel.go
	nextSweep time.Time
	size      int64 // estimated bytes of convs and dedupe (see sizes.go)
	stats     Stats

	feed feed // the change feed (events.go)
	// suggestions are staff readings of misunderstood messages, by
	// bot.Suggestion.Key; they hold no user id and outlive conversations.
	suggestions map[string]bot.Suggestion

	staff staffData // the console's logins, lockout counters and audit log (staff.go)
	// cs holds shared cases (cases.go); outSeq orders their outbox.
	cs     *cases
	outSeq int64
	// qs holds push counts and held notifications (quota.go).
	qs *quota
}

var (
	_ bot.Store          = (*Store)(nil)
	_ bot.ClaimCommitter = (*Store)(nil)
	_ bot.Index          = (*Store)(nil)
)

type conv struct {
	session    []byte
	sessionExp time.Time
	// version survives Forget and moves on with it (like the Redis meta
	// key), so a turn loaded before a Forget cannot bring its data back.
	version int64
	meta    *bot.Meta // nil after Forget
	entries []bot.Entry
	exp     time.Time // of meta, version and transcript
	notes   []byte    // the console's annotations (annotations.go)
	// events are the ids of the dedupe records this conversation wrote, so
	// evicting it drops them too.
	events     []string
	liveEvents int   // len(events) after the last pruning
	size       int64 // estimated bytes, counted in Store.size
	// entriesSize and eventsSize are the parts of size for entries and
	// events, kept as they change so that resize is O(1) (sizes.go).
	entriesSize, eventsSize int64
	last                    time.Time
}

type eventKey struct {
	id    bot.ConversationID
	event string
}

type record struct {
	outcome    []byte
	delivered  bool
	replyToken string
	exp        time.Time
	size       int64
}

// lease is an event's in-flight mark (see bot.Store.Claim).
type lease struct {
	holder string
	exp    time.Time
}

// New returns an empty Store.
func New(opt Options) *Store {
	opt = opt.withDefaults()
	return &Store{
		opt:       opt,
		convs:     make(map[bot.ConversationID]*conv),
		dedupe:    make(map[eventKey]*record),
		leases:    make(map[eventKey]lease),
		offsets:   make(map[string]int64),
		nextSweep: opt.Now().Add(sweepEvery),
	}
}

// Load implements bot.Store.
func (s *Store) Load(_ context.Context, id bot.ConversationID, eventID string) (bot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(id, eventID, s.opt.Now()), nil
}

// Claim implements bot.Store.
func (s *Store) Claim(_ context.Context, id bot.ConversationID, eventID, holder string) (bot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	snap := s.load(id, eventID, now)
	if eventID == "" || snap.Recorded != nil && snap.Recorded.Delivered {
		return snap, nil
	}
	k := eventKey{id, eventID}
	if l, ok := s.leases[k]; ok && now.Before(l.exp) && l.holder != holder {
		return bot.Snapshot{}, bot.ErrInFlight
	}
	s.leases[k] = lease{holder: holder, exp: now.Add(s.opt.LeaseTTL)}
	return snap, nil
}

func (s *Store) load(id bot.ConversationID, eventID string, now time.Time) bot.Snapshot {
	var snap bot.Snapshot
	if c := s.conv(id, now); c != nil {
		snap.Version = c.version
		if c.meta != nil {
			m := *c.meta
			snap.Meta = &m
		}
		if now.Before(c.sessionExp) {
			// Stored bytes are never changed, only replaced, and the
			// snapshot's are read-only (bot.Snapshot): no copy.
			snap.Session = c.session
		}
	}
	if r := s.record(id, eventID, now); r != nil {
		snap.Recorded = &bot.Recorded{Outcome: r.outcome, Delivered: r.delivered, ReplyToken: r.replyToken}
	}
	return snap
}

// Commit implements bot.Store.
func (s *Store) Commit(_ context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit(id, base, c, false)
}

// ClaimCommit implements bot.ClaimCommitter.
func (s *Store) ClaimCommit(_ context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit(id, base, c, true)
}

// commit is Commit, or with claim ClaimCommit, with the lock held.
func (s *Store) commit(id bot.ConversationID, base bot.Snapshot, c bot.Commit, claim bool) error {
	now := s.opt.Now()
	if s.record(id, c.EventID, now) != nil {
		return bot.ErrDuplicate
	}
	k := eventKey{id, c.EventID}
	if l, ok := s.leases[k]; c.EventID != "" && ok && now.Before(l.exp) && l.holder != c.Holder {
		return bot.ErrInFlight
	}
	cv := s.conv(id, now)
	var version int64
	if cv != nil {
		version = cv.version
	}
	if version != base.Version {
		return bot.ErrConflict
	}
	if hasSession := cv != nil && now.Before(cv.sessionExp); claim && hasSession != (base.Session != nil) {
		return bot.ErrConflict // a session expired (or came) since base
	}
	if claim && !c.Delivered {
		s.leases[k] = lease{holder: c.Holder, exp: now.Add(s.opt.LeaseTTL)}
	}
	if cv == nil {
		cv = &conv{}
		s.convs[id] = cv
	}
	cv.version++
	// The commit's slices are kept as given (bot.Commit: the caller does
	// not change them after), so a turn costs no copies here.
	if c.Session != nil { // nil leaves the stored session as it is
		cv.session, cv.sessionExp = trimmed(c.Session), now.Add(s.opt.SessionTTL)
	}
	if cv.meta == nil { // the stored meta is only ever copied out: reuse it
		cv.meta = new(bot.Meta)
	}
	*cv.meta = c.Meta
	cv.meta.ID = id
	cv.exp = now.Add(s.opt.TranscriptRetention)
	for _, e := range c.Entries {
		cv.addEntry(e)
	}
	if n := len(cv.entries) - s.opt.MaxEntries; n > 0 {
		cv.dropEntries(n)
		s.stats.DroppedEntries += int64(n)
	}
	cv.last = now
	if c.EventID != "" {
		r := &record{outcome: trimmed(c.Outcome), delivered: c.Delivered, replyToken: c.ReplyToken, exp: now.Add(s.opt.DedupeTTL)}
		r.size = recordSize(k, r)
		s.dedupe[k] = r
		s.size += r.size
		// Forget the ids of expired records when the list has doubled since
		// the last look, so a conversation with many live records (a user
		// sending thousands of messages within DedupeTTL) does not pay a
		// walk over all of them at every commit.
		if len(cv.events) >= max(64, 2*cv.liveEvents) {
			cv.setEvents(slices.DeleteFunc(cv.events, func(ev string) bool { return s.dedupe[eventKey{id, ev}] == nil }))
			cv.liveEvents = len(cv.events)
		}
		cv.addEvent(c.EventID)
	}
	s.resize(cv)
	if c.EventID != "" && c.Delivered {
		delete(s.leases, k)
	}
	s.count(id, c, now)
	if !now.Before(s.nextSweep) {
		s.sweep(now)
	}
	if s.size > s.opt.MaxBytes {
		s.shrink(now, id)
	}
	return nil
}

// trimmed is b, or a copy of it when b holds much unused room (an encoder's
// grown buffer): what is kept for days should cost its length, not the
// room it was made in.
func trimmed(b []byte) []byte {
	if cap(b)-len(b) > len(b)/8+64 {
		return bytes.Clone(b)
	}
	return b
}

// MarkDelivered implements bot.Store. An unknown or expired event id is
// ignored: there is nothing left to protect.
func (s *Store) MarkDelivered(_ context.Context, id bot.ConversationID, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.record(id, eventID, s.opt.Now()); r != nil {
		r.delivered = true
	}
	delete(s.leases, eventKey{id, eventID})
	return nil
}

// Release implements bot.Store.
func (s *Store) Release(_ context.Context, id bot.ConversationID, eventID, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := eventKey{id, eventID}
	if l, ok := s.leases[k]; ok && l.holder == holder {
		delete(s.leases, k)
	}
	return nil
}

// Forget implements bot.Store.
func (s *Store) Forget(_ context.Context, id bot.ConversationID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.conv(id, s.opt.Now()); c != nil {
		c.session, c.meta, c.notes = nil, nil, nil
		c.clearEntries()
		s.resize(c)
		c.version++
		c.exp = s.opt.Now().Add(s.opt.DedupeTTL) // the version outlives the data only briefly
	}
	return nil
}

// Ping implements bot.Store; memory is always there.
func (s *Store) Ping(context.Context) error { return nil }

// Close implements bot.Store.
func (s *Store) Close() error { return nil }

// List implements bot.Index.
func (s *Store) List(_ context.Context, f bot.Filter) ([]bot.Meta, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	var ms []bot.Meta
	for id := range s.convs {
		c := s.conv(id, now)
		if c == nil || c.meta == nil || !listing.Match(*c.meta, f) || !listing.Contains(c.entries, f.Query) {
			continue
		}
		ms = append(ms, *c.meta)
	}
	return listing.Page(ms, f), len(ms), nil
}

// Transcript implements bot.Index.
func (s *Store) Transcript(_ context.Context, id bot.ConversationID) ([]bot.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(id, s.opt.Now())
	if c == nil || c.meta == nil && len(c.entries) == 0 {
		return nil, bot.ErrNotFound
	}
	es := slices.Clone(c.entries)
	for i := range es {
		es[i].Choices = slices.Clone(es[i].Choices)
	}
	return es, nil
}

// Meta implements bot.Index.
func (s *Store) Meta(_ context.Context, id bot.ConversationID) (bot.Meta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(id, s.opt.Now())
	if c == nil || c.meta == nil {
		return bot.Meta{}, bot.ErrNotFound
	}
	return *c.meta, nil
}

// LoadOffset returns the offset saved under name, 0 if none. The Telegram
// poller keeps its update offset here.
func (s *Store) LoadOffset(_ context.Context, name string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets[name], nil
}

// SaveOffset saves offset under name, without expiry.
func (s *Store) SaveOffset(_ context.Context, name string, offset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offsets[name] = offset
	return nil
}

// conv returns the live conversation id, dropping it if it has expired.
func (s *Store) conv(id bot.ConversationID, now time.Time) *conv {
	c := s.convs[id]
	if c != nil && !now.Before(c.exp) {
		s.dropConv(id, c)
		return nil
	}
	return c
}

// record returns the live dedupe record of eventID, nil for an empty id.
func (s *Store) record(id bot.ConversationID, eventID string, now time.Time) *record {
	if eventID == "" {
		return nil
	}
	k := eventKey{id, eventID}
	r := s.dedupe[k]
	if r != nil && !now.Before(r.exp) {
		s.dropRecord(k)
		return nil
	}
	return r
}

func (s *Store) sweep(now time.Time) {
	s.sweepFunnel(now)
	for id, c := range s.convs {
		switch {
		case !now.Before(c.exp):
			s.dropConv(id, c)
		case c.session != nil && !now.Before(c.sessionExp):
			c.session = nil
			s.resize(c)
		}
	}
	for k, r := range s.dedupe {
		if !now.Before(r.exp) {
			s.dropRecord(k)
		}
	}
	for k, l := range s.leases {
		if !now.Before(l.exp) {
			delete(s.leases, k)
		}
	}
	s.nextSweep = now.Add(sweepEvery)
}
