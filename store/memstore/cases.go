package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"example.com/sswbot/bot"
)

var _ bot.CaseStore = (*Store)(nil)

// cases holds shared cases, invite codes and the outbox (bot.CaseStore).
// Cases are stored encoded, so a caller's copy never aliases the store's.
type cases struct {
	byID    map[string]*versioned
	invites map[string]*invite
	outbox  map[string]*outEntry
}

type invite struct {
	caseID string
	usedBy string // the change that redeemed it; "" while unused
	exp    time.Time
}

type outEntry struct {
	e   bot.OutboxEntry
	due time.Time // claimable from then on
	seq int64     // order of writing
}

func inviteExp(in *invite) time.Time { return in.exp }

// casesLocked returns the case tables, made on first use; s.mu is held.
func (s *Store) casesLocked() *cases {
	if s.cs == nil {
		s.cs = &cases{byID: map[string]*versioned{}, invites: map[string]*invite{}, outbox: map[string]*outEntry{}}
	}
	return s.cs
}

// CreateCase implements bot.CaseStore.
func (s *Store) CreateCase(_ context.Context, c bot.Case, code string, ttl time.Duration) error {
	b, err := encode("case", c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	if _, ok := liveIn(cs.byID, c.ID, now, versionedExp); ok {
		return nil
	}
	cs.byID[c.ID] = &versioned{data: b, version: 1, exp: c.Expires}
	cs.invites[code] = &invite{caseID: c.ID, exp: now.Add(ttl)}
	return nil
}

// LookupInvite implements bot.CaseStore.
func (s *Store) LookupInvite(_ context.Context, code string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	in, ok := liveIn(cs.invites, code, now, inviteExp)
	if !ok || in.usedBy != "" {
		return "", bot.ErrNotFound
	}
	return in.caseID, nil
}

// RedeemInvite implements bot.CaseStore.
func (s *Store) RedeemInvite(_ context.Context, code, opID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	in, ok := liveIn(cs.invites, code, now, inviteExp)
	if !ok || (in.usedBy != "" && in.usedBy != opID) {
		return "", bot.ErrNotFound
	}
	in.usedBy = opID
	return in.caseID, nil
}

// LoadCase implements bot.CaseStore.
func (s *Store) LoadCase(_ context.Context, id string) (bot.Case, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	sc, ok := liveIn(cs.byID, id, now, versionedExp)
	if !ok {
		return bot.Case{}, 0, bot.ErrNotFound
	}
	var c bot.Case
	if err := decode("case", sc.data, &c); err != nil {
		return bot.Case{}, 0, err
	}
	return c, sc.version, nil
}

// UpdateCase implements bot.CaseStore.
func (s *Store) UpdateCase(_ context.Context, c bot.Case, base int64, out []bot.OutboxEntry) error {
	b, err := encode("case", c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	sc, ok := liveIn(cs.byID, c.ID, now, versionedExp)
	if !ok || sc.version != base {
		return bot.ErrConflict
	}
	sc.data, sc.version, sc.exp = b, sc.version+1, c.Expires
	for _, e := range out {
		s.outSeq++
		cs.outbox[e.ID] = &outEntry{e: e, due: e.Created, seq: s.outSeq} // due at once
	}
	return nil
}

// Cases implements bot.CaseStore.
func (s *Store) Cases(context.Context) ([]bot.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, now := s.casesLocked(), s.opt.Now()
	sweep(cs.byID, now, versionedExp)
	var out []bot.Case
	for _, sc := range cs.byID {
		var c bot.Case
		if err := decode("case", sc.data, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b bot.Case) int {
		if d := b.Created.Compare(a.Created); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ClaimOutbox implements bot.CaseStore.
func (s *Store) ClaimOutbox(_ context.Context, now time.Time, lease time.Duration, n int) ([]bot.OutboxEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*outEntry
	for _, o := range s.casesLocked().outbox {
		if !now.Before(o.due) {
			due = append(due, o)
		}
	}
	slices.SortFunc(due, func(a, b *outEntry) int { return int(a.seq - b.seq) })
	if len(due) > n {
		due = due[:n]
	}
	out := make([]bot.OutboxEntry, 0, len(due))
	for _, o := range due {
		o.due = now.Add(lease)
		out = append(out, o.e)
	}
	return out, nil
}

// DoneOutbox implements bot.CaseStore.
func (s *Store) DoneOutbox(_ context.Context, e bot.OutboxEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.casesLocked().outbox, e.ID)
	return nil
}

// ReleaseOutbox implements bot.CaseStore.
func (s *Store) ReleaseOutbox(_ context.Context, e bot.OutboxEntry, due time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.casesLocked().outbox[e.ID]; o != nil {
		o.due = due
	}
	return nil
}
