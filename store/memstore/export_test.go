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
