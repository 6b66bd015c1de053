// Package wire is the compact binary form of the records the bot and its
// stores keep (sessions, dedupe records, index records, transcript
// entries): each field in a fixed order as a varint or as a length and its
// bytes, no field names, quotes or escapes. Encoding appends to a buffer
// with no reflection; decoding reads a string and returns substrings of
// it, so a record decodes without copying its texts.
//
// It owns only the primitives: what a record holds and in which order is
// its owner's business (and each owner starts its records with a version
// byte that JSON never starts with, so records written as JSON earlier are
// still read). It imports nothing of ours.
package wire

import (
	"encoding/binary"
	"errors"
)

// AppendString appends s as its length and its bytes.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendUint appends v as a varint.
func AppendUint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendInt appends v as a zig-zag varint.
func AppendInt(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendBool appends v as one byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// ErrBad reports a record that ends early, runs on or has an impossible
// length.
var ErrBad = errors.New("wire: malformed record")

// Reader reads the fields of one record in order. The first error sticks:
// later reads return zero values, and Err reports it.
type Reader struct {
	s   string
	err error
}

// NewReader reads s.
func NewReader(s string) *Reader { return &Reader{s: s} }

// Err is the first error met, or ErrBad when bytes are left over.
func (r *Reader) Err() error {
	if r.err == nil && r.s != "" {
		return ErrBad
	}
	return r.err
}

// More reports whether bytes are left: a field appended to a record's
// form later is read only when present (older records end before it).
func (r *Reader) More() bool { return r.err == nil && r.s != "" }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil || r.s == "" {
		r.fail()
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

// Bool reads what AppendBool wrote.
func (r *Reader) Bool() bool { return r.Byte() != 0 }

// Uint reads what AppendUint wrote.
func (r *Reader) Uint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for i, shift := 0, uint(0); i < len(r.s) && i < binary.MaxVarintLen64; i, shift = i+1, shift+7 {
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.s = r.s[i+1:]
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
	}
	r.fail()
	return 0
}

// Int reads what AppendInt wrote.
func (r *Reader) Int() int64 {
	u := r.Uint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// Count reads a number of items to follow, each at least one byte long:
// a count larger than what is left is an error, so a bad record cannot
// make its reader allocate much.
func (r *Reader) Count() int {
	n := r.Uint()
	if n > uint64(len(r.s)) {
		r.fail()
		return 0
	}
	return int(n)
}

// String reads what AppendString wrote, as a substring of the record.
func (r *Reader) String() string {
	n := r.Uint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *Reader) fail() {
	if r.err == nil {
		r.err = ErrBad
	}
	r.s = ""
}
