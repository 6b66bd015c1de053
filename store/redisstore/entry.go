package redisstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/bot/wire"
)

// A transcript entry is kept in Redis in a compact binary form (bot/wire):
// a version byte, the time, then each field as a length and its bytes, in
// the order of bot.Entry. No field names, quotes or escapes: about a third
// smaller than its JSON and cheaper to write and read, and a transcript is
// most of what a conversation keeps. Entries written as JSON (they start
// with "{") are still read. TestEntryEncodingCoversEveryField fails when
// bot.Entry gets a field this does not carry.
const entryV1 = 1

// entrySize is at least the length of e's encoding: each number and each
// length counted at a varint's longest.
func entrySize(e bot.Entry) int {
	n := 2 + 3*binary.MaxVarintLen64 + len(e.Dir) + len(e.Text) + len(e.StateBefore) + len(e.StateAfter) +
		len(e.KBVersion) + len(e.EventID) + len(e.Staff) + len(e.Topic) + 8*binary.MaxVarintLen64
	for _, c := range e.Choices {
		n += binary.MaxVarintLen64 + len(c)
	}
	return n
}

// appendEntry appends e's encoding to b.
func appendEntry(b []byte, e bot.Entry) []byte {
	b = append(b, entryV1)
	b = wire.AppendInt(b, e.Time.UnixNano())
	_, offset := e.Time.Zone()
	b = wire.AppendInt(b, int64(offset))
	for _, s := range [...]string{string(e.Dir), e.Text, e.StateBefore, e.StateAfter, e.KBVersion, e.EventID, e.Staff, e.Topic} {
		b = wire.AppendString(b, s)
	}
	b = wire.AppendBool(b, e.Unrecognized)
	b = wire.AppendUint(b, uint64(len(e.Choices)))
	for _, c := range e.Choices {
		b = wire.AppendString(b, c)
	}
	return b
}

var errBadEntry = errors.New("redisstore: bad transcript entry")

func decodeEntry(raw string) (bot.Entry, error) {
	var e bot.Entry
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal([]byte(raw), &e)
		return e, err
	}
	if len(raw) == 0 || raw[0] != entryV1 {
		return e, errBadEntry
	}
	r := wire.NewReader(raw[1:])
	nanos, offset := r.Int(), r.Int()
	e.Time = zoned(time.Unix(0, nanos), offset)
	e.Dir = bot.Direction(r.String())
	e.Text, e.StateBefore, e.StateAfter = r.String(), r.String(), r.String()
	e.KBVersion, e.EventID, e.Staff, e.Topic = r.String(), r.String(), r.String(), r.String()
	e.Unrecognized = r.Byte()&1 != 0
	if n := r.Count(); n > 0 {
		e.Choices = make([]string, n)
		for i := range e.Choices {
			e.Choices[i] = r.String()
		}
	}
	if r.Err() != nil {
		return bot.Entry{}, errBadEntry
	}
	return e, nil
}

// zoned is t in UTC, or at the fixed offset (seconds east) it was written with.
func zoned(t time.Time, offset int64) time.Time {
	if offset != 0 {
		return t.In(time.FixedZone("", int(offset)))
	}
	return t.UTC()
}

// The index record (bot.Meta) is kept as "<version>\n" and then, in the
// same compact form, a version byte and the fields in the order of
// bot.Meta; a record written as JSON earlier (it starts with "{") is still
// read. Every turn reads and writes one. TestMetaEncodingCoversEveryField
// fails when bot.Meta gets a field this does not carry.
const metaV1 = 1

// metaSize is at least the length of appendMeta's value for m: each
// number and each length counted at a varint's longest.
func metaSize(m bot.Meta) int {
	return 7 + 26*binary.MaxVarintLen64 + len(m.ID) + len(m.Platform) + len(m.DisplayName) + len(m.Lang) +
		len(m.Role) + len(m.Country) + len(m.Location) + len(m.Route) + len(m.State) + len(m.Step) +
		len(m.Owner) + len(m.Reached)
}

// appendMeta appends the meta key's value: the version, a newline, m.
func appendMeta(b []byte, version int64, m bot.Meta) []byte {
	b = strconv.AppendInt(b, version, 10)
	b = append(b, '\n', metaV1)
	for _, s := range [...]string{string(m.ID), string(m.Platform), m.DisplayName, m.Lang, m.Role, m.Country,
		m.Location, m.Route, m.State, m.Step} {
		b = wire.AppendString(b, s)
	}
	b = wire.AppendInt(b, int64(m.StepN))
	b = wire.AppendInt(b, int64(m.StepTotal))
	b = wire.AppendBool(b, m.Handoff)
	b = wire.AppendString(b, m.Owner)
	b = wire.AppendInt(b, int64(m.Misses))
	b = wire.AppendString(b, m.Reached)
	b = wire.AppendBool(b, m.Inactive)
	b = wire.AppendBool(b, m.Finished)
	b = wire.AppendInt(b, int64(m.Turns))
	b = appendTime(b, m.Started)
	b = appendTime(b, m.LastActive)
	// Added later: older records end before it (decodeMeta reads it when
	// present).
	return wire.AppendBool(b, m.Held)
}

// appendTime writes seconds, nanoseconds and the zone's offset (seconds
// rather than UnixNano, which the zero time overflows).
func appendTime(b []byte, t time.Time) []byte {
	_, offset := t.Zone()
	return wire.AppendInt(wire.AppendInt(wire.AppendInt(b, t.Unix()), int64(t.Nanosecond())), int64(offset))
}

func readTime(r *wire.Reader) time.Time {
	sec, nsec, offset := r.Int(), r.Int(), r.Int()
	return zoned(time.Unix(sec, nsec), offset)
}

// decodeMeta reads the record after the meta value's newline.
func decodeMeta(raw string) (bot.Meta, error) {
	var m bot.Meta
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal([]byte(raw), &m)
		return m, err
	}
	if len(raw) == 0 || raw[0] != metaV1 {
		return m, wire.ErrBad
	}
	r := wire.NewReader(raw[1:])
	m.ID, m.Platform = bot.ConversationID(r.String()), bot.Platform(r.String())
	m.DisplayName, m.Lang, m.Role, m.Country = r.String(), r.String(), r.String(), r.String()
	m.Location, m.Route, m.State, m.Step = r.String(), r.String(), r.String(), r.String()
	m.StepN, m.StepTotal = int(r.Int()), int(r.Int())
	m.Handoff = r.Bool()
	m.Owner = r.String()
	m.Misses = int(r.Int())
	m.Reached = r.String()
	m.Inactive, m.Finished = r.Bool(), r.Bool()
	m.Turns = int(r.Int())
	m.Started, m.LastActive = readTime(r), readTime(r)
	if r.More() {
		m.Held = r.Bool()
	}
	if err := r.Err(); err != nil {
		return bot.Meta{}, err
	}
	return m, nil
}
