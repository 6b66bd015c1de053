package memstore

import (
	"cmp"
	"slices"
	"time"

	"example.com/sswbot/bot"
)

// DefaultMaxBytes is Options.MaxBytes when none is given.
const DefaultMaxBytes = 256 << 20

// Stats are the store's size and what its bounds have removed, for the
// metrics.
type Stats struct {
	Bytes          int64 // estimated size of everything stored
	Conversations  int
	DroppedEntries int64 // transcript entries dropped by MaxEntries
	TrimmedEntries int64 // older transcript entries dropped by MaxBytes (shrink)
	Evicted        int64 // conversations evicted by MaxBytes before they expired
}

// Stats reports the store's size and bounds.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes, st.Conversations = s.size, len(s.convs)
	return st
}

// The estimates count the bytes held plus a fixed overhead per map entry,
// slice element and struct (headers, pointers, map buckets), measured
// roughly with runtime.MemStats (BenchmarkMemoryPerConversation in bot):
// close enough to bound the store, not an exact account.
const (
	convOverhead   = 400 // conv struct, map entry, meta struct
	entryOverhead  = 250 // bot.Entry and its strings' headers
	recordOverhead = 150 // record, map entry, key
)

// resize recomputes c's estimated size and moves Store.size with it. It
// costs O(1): the transcript's and the dedupe ids' parts are kept up to
// date as entries and ids come and go (addEntry, dropEntries, setEvents),
// because re-summing a long transcript at every commit made a turn's cost
// grow with the conversation.
func (s *Store) resize(c *conv) {
	n := int64(convOverhead+len(c.session)+len(c.notes)+16*len(c.events)) + c.entriesSize + c.eventsSize
	if m := c.meta; m != nil {
		n += int64(len(m.ID) + len(m.DisplayName) + len(m.State) + len(m.Step) + len(m.Owner) + 64)
	}
	s.size += n - c.size
	c.size = n
}

// entrySize is one transcript entry's part of its conversation's size.
func entrySize(e *bot.Entry) int64 {
	n := int64(entryOverhead + len(e.Text) + len(e.StateBefore) + len(e.StateAfter) + len(e.KBVersion) + len(e.EventID) + len(e.Staff))
	for _, ch := range e.Choices {
		n += int64(16 + len(ch))
	}
	return n
}

// addEntry appends e to c's transcript (call resize after).
func (c *conv) addEntry(e bot.Entry) {
	c.entries = append(c.entries, e)
	c.entriesSize += entrySize(&e)
}

// dropEntries drops c's n oldest entries (call resize after). The slice is
// cut from the front, not moved: its dropped slots are cleared so their
// texts can be collected, and the next append that needs room copies only
// the kept entries, so dropping costs O(1) per entry instead of a move of
// the whole transcript at every commit once it is full.
func (c *conv) dropEntries(n int) {
	for i := range n {
		c.entriesSize -= entrySize(&c.entries[i])
	}
	clear(c.entries[:n])
	c.entries = c.entries[n:]
}

// trimTo drops c's oldest entries so that at most n are left, moved into a
// slice of their own size (an idle conversation may never append again to
// let go of the old array), and returns how many it dropped (call resize
// after).
func (c *conv) trimTo(n int) int {
	d := len(c.entries) - n
	if d <= 0 {
		return 0
	}
	c.dropEntries(d)
	c.entries = slices.Clone(c.entries)
	return d
}

// clearEntries empties c's transcript (call resize after).
func (c *conv) clearEntries() {
	c.entries, c.entriesSize = nil, 0
}

// setEvents replaces c's dedupe ids (call resize after).
func (c *conv) setEvents(evs []string) {
	c.events, c.eventsSize = evs, 0
	for _, ev := range evs {
		c.eventsSize += int64(len(ev))
	}
}

// addEvent appends a dedupe id to c (call resize after).
func (c *conv) addEvent(ev string) {
	c.events = append(c.events, ev)
	c.eventsSize += int64(len(ev))
}

func recordSize(k eventKey, r *record) int64 {
	return int64(recordOverhead + len(k.id) + len(k.event) + len(r.outcome) + len(r.replyToken))
}

func (s *Store) dropRecord(k eventKey) {
	if r, ok := s.dedupe[k]; ok {
		s.size -= r.size
		delete(s.dedupe, k)
	}
}

func (s *Store) dropConv(id bot.ConversationID, c *conv) {
	s.size -= c.size
	delete(s.convs, id)
}

// keptUnderPressure is how many of its newest transcript entries an idle
// conversation keeps when MaxBytes is reached (shrink): the last few
// exchanges, so staff opening it still see what was said lately.
const keptUnderPressure = 20

// shrink brings the store under 90 % of MaxBytes: first everything expired,
// then the older transcript entries of the conversations idle the longest
// (each keeps its newest keptUnderPressure), and only when that is not
// enough the conversations idle the longest, with their dedupe records and
// leases (a redelivery that old is unlikely; the conversation's user starts
// afresh). Transcripts are most of the store (≈ 80 % of its bytes per
// event), so under a bound that is too small users keep their place in the
// dialog, and only the console loses old history. keep, the conversation
// just committed, stays whole.
func (s *Store) shrink(now time.Time, keep bot.ConversationID) {
	s.sweep(now)
	target := s.opt.MaxBytes / 10 * 9
	if s.size <= target {
		return
	}
	type idle struct {
		id   bot.ConversationID
		last time.Time
	}
	ids := make([]idle, 0, len(s.convs))
	for id, c := range s.convs {
		if id != keep {
			ids = append(ids, idle{id, c.last})
		}
	}
	slices.SortFunc(ids, func(a, b idle) int { return cmp.Compare(a.last.UnixNano(), b.last.UnixNano()) })
	for _, v := range ids {
		if s.size <= target {
			return
		}
		c := s.convs[v.id]
		if n := c.trimTo(keptUnderPressure); n > 0 {
			s.stats.TrimmedEntries += int64(n)
			s.resize(c)
		}
	}
	for _, v := range ids {
		if s.size <= target {
			break
		}
		c := s.convs[v.id]
		for _, ev := range c.events {
			k := eventKey{v.id, ev}
			s.dropRecord(k)
			delete(s.leases, k)
		}
		s.dropConv(v.id, c)
		s.stats.Evicted++
	}
}
