package memstore

// Sweep drops everything expired now, as the periodic sweep does.
func (s *Store) Sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.opt.Now())
}
