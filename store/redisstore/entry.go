package redisstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"example.com/sswbot/bot"
)

// A transcript entry is kept in Redis in a compact binary form: a version
// byte, the time, then each field as a length and its bytes, in the order
// of bot.Entry. No field names, quotes or escapes: about a third smaller
// than its JSON and cheaper to write and read, and a transcript is most of
// what a conversation keeps. Entries written as JSON (they start with "{")
// are still read. TestEntryEncodingCoversEveryField fails when bot.Entry
// gets a field this does not carry.
const entryV1 = 1

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeEntry(e bot.Entry) []byte {
	b := make([]byte, 0, 48+len(e.Text)+len(e.StateBefore)+len(e.StateAfter))
	b = append(b, entryV1)
	b = binary.AppendVarint(b, e.Time.UnixNano())
	_, offset := e.Time.Zone()
	b = binary.AppendVarint(b, int64(offset))
	for _, s := range []string{string(e.Dir), e.Text, e.StateBefore, e.StateAfter, e.KBVersion, e.EventID, e.Staff, e.Topic} {
		b = appendString(b, s)
	}
	flags := byte(0)
	if e.Unrecognized {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(e.Choices)))
	for _, c := range e.Choices {
		b = appendString(b, c)
	}
	return b
}

var errBadEntry = errors.New("redisstore: bad transcript entry")

// entryReader reads the fields of an encoded entry; the first error sticks.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBadEntry
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadEntry
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadEntry
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func decodeEntry(raw string) (bot.Entry, error) {
	var e bot.Entry
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal([]byte(raw), &e)
		return e, err
	}
	if len(raw) == 0 || raw[0] != entryV1 {
		return e, errBadEntry
	}
	r := &entryReader{b: []byte(raw[1:])}
	nanos, offset := r.varint(), r.varint()
	e.Time = time.Unix(0, nanos).UTC()
	if offset != 0 {
		e.Time = e.Time.In(time.FixedZone("", int(offset)))
	}
	e.Dir = bot.Direction(r.string())
	e.Text, e.StateBefore, e.StateAfter = r.string(), r.string(), r.string()
	e.KBVersion, e.EventID, e.Staff, e.Topic = r.string(), r.string(), r.string(), r.string()
	if len(r.b) == 0 {
		return e, errBadEntry
	}
	e.Unrecognized = r.b[0]&1 != 0
	r.b = r.b[1:]
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		e.Choices = make([]string, n)
		for i := range e.Choices {
			e.Choices[i] = r.string()
		}
	} else if n > 0 {
		r.err = errBadEntry
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errBadEntry
	}
	return e, r.err
}
