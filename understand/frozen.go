package understand

import (
	"hash/maphash"
	"strings"
)

// postings is a read-only map from strings to lists of ids, made once when
// a model is built. Its arrays hold no pointers (the keys are one string),
// so the garbage collector marks it as three objects: as maps of strings
// to slices, the model's indexes were tens of thousands of objects, about
// half of what serve's collector walked at every collection, and a
// collection's stall is most of serve's slowest per cent of answers
// (BENCHMARKS.md, the model's indexes).
type postings struct {
	seed  maphash.Seed
	slots []slot // open addressing, a power of two long, at most half full
	keys  string
	ids   []int32
}

type slot struct {
	hash       uint64 // 0: empty (a key's hash has its lowest bit set)
	koff, klen uint32
	ioff, ilen uint32
}

// freeze makes postings of m.
func freeze(m map[string][]int32) postings {
	p := postings{seed: maphash.MakeSeed()}
	if len(m) == 0 {
		return p
	}
	n := 2
	for n < 2*len(m) {
		n <<= 1
	}
	p.slots = make([]slot, n)
	nk, ni := 0, 0
	for k, v := range m {
		nk, ni = nk+len(k), ni+len(v)
	}
	var keys strings.Builder
	keys.Grow(nk)
	p.ids = make([]int32, 0, ni)
	mask := uint64(n - 1)
	for k, v := range m {
		s := slot{hash: p.hash(k), koff: uint32(keys.Len()), klen: uint32(len(k)),
			ioff: uint32(len(p.ids)), ilen: uint32(len(v))}
		keys.WriteString(k)
		p.ids = append(p.ids, v...)
		i := s.hash & mask
		for p.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		p.slots[i] = s
	}
	p.keys = keys.String()
	return p
}

func (p *postings) hash(k string) uint64 { return maphash.String(p.seed, k) | 1 }

// get returns k's ids (nil for none). The caller must not change them.
func (p *postings) get(k string) []int32 {
	if len(p.slots) == 0 {
		return nil
	}
	return p.find(p.hash(k), k, nil)
}

// getBytes is get for a key held in b.
func (p *postings) getBytes(b []byte) []int32 {
	if len(p.slots) == 0 {
		return nil
	}
	return p.find(maphash.Bytes(p.seed, b)|1, "", b)
}

// find looks up the key held in b, or k when b is nil (get).
func (p *postings) find(h uint64, k string, b []byte) []int32 {
	mask := uint64(len(p.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &p.slots[i]
		if s.hash == 0 {
			return nil
		}
		if s.hash != h {
			continue
		}
		key := p.keys[s.koff : s.koff+s.klen]
		if b != nil && key == string(b) || b == nil && key == k {
			return p.ids[s.ioff : s.ioff+s.ilen : s.ioff+s.ilen]
		}
	}
}

// idIndex is a read-only map from strings to one id each: postings whose
// lists have one id.
type idIndex struct{ p postings }

func freezeIDs(m map[string]int32) idIndex {
	lists := make(map[string][]int32, len(m))
	for k, id := range m {
		lists[k] = []int32{id}
	}
	return idIndex{freeze(lists)}
}

func (x *idIndex) get(k string) (int32, bool) {
	if l := x.p.get(k); len(l) > 0 {
		return l[0], true
	}
	return 0, false
}

func (x *idIndex) getBytes(b []byte) (int32, bool) {
	if l := x.p.getBytes(b); len(l) > 0 {
		return l[0], true
	}
	return 0, false
}

// packed is a read-only list of lists of ids in two arrays (no pointer per
// list).
type packed struct {
	off []uint32 // list i is ids[off[i]:off[i+1]]
	ids []int32
}

func pack(lists [][]int32) packed {
	p := packed{off: make([]uint32, len(lists)+1)}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	p.ids = make([]int32, 0, n)
	for i, l := range lists {
		p.ids = append(p.ids, l...)
		p.off[i+1] = uint32(len(p.ids))
	}
	return p
}

// at returns list i. The caller must not change it.
func (p *packed) at(i int32) []int32 { return p.ids[p.off[i]:p.off[i+1]:p.off[i+1]] }

// oneString makes the strings of ss share one allocation: a few thousand
// small objects fewer for the collector.
func oneString(ss []string) {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range ss {
		b.WriteString(s)
	}
	all, off := b.String(), 0
	for i, s := range ss {
		ss[i] = all[off : off+len(s)]
		off += len(s)
	}
}
