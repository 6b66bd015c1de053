package understand

// ForgetWords empties the word cache, so a benchmark can read a message as
// if it had never seen its words.
func ForgetWords(m *Model) {
	m.wordsMu.Lock()
	clear(m.words)
	m.wordsMu.Unlock()
}

// KyrgyzStems returns a keyed Cyrillic word's Kyrgyz stems.
func KyrgyzStems(w string) []string { return kyrgyzStems(w, nil) }
