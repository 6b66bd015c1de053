package understand

// Weight exposes a word's IDF weight to tests (tuning aid).
func (m *Model) Weight(word string) float32 {
	if id, ok := m.vocab[word]; ok {
		return m.weight[id]
	}
	return -1
}
