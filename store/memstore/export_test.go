package memstore

// Sweep drops everything expired now, as the periodic sweep does.
func (s *Store) Sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.opt.Now())
}

// MaxStaffKeys is the cap on login sessions and on failed-login counters.
const MaxStaffKeys = maxStaffKeys

// StaffKeys is how many failed-login counters are kept.
func (s *Store) StaffKeys() int {
	s.staff.mu.Lock()
	defer s.staff.mu.Unlock()
	return len(s.staff.failures)
}

// RecountedBytes is the store's size summed afresh over everything it
// holds, to check the size kept up to date commit by commit.
func (s *Store) RecountedBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, c := range s.convs {
		n += int64(convOverhead + len(c.session) + len(c.notes) + 16*len(c.events))
		if m := c.meta; m != nil {
			n += int64(len(m.ID) + len(m.DisplayName) + len(m.State) + len(m.Step) + len(m.Owner) + 64)
		}
		for i := range c.entries {
			n += entrySize(&c.entries[i])
		}
		for _, ev := range c.events {
			n += int64(len(ev))
		}
	}
	for _, r := range s.dedupe {
		n += r.size
	}
	return n
}
