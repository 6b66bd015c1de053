package bot

import "sync"

// memo is a bounded, concurrency-safe map for what the renderer derives
// from the content alone (split texts, laid-out replies, buttons): the same
// few hundred things every turn. Once it holds max entries it keeps what
// it has and the rest is made anew each time, so keys that come from
// users (names, codes) cannot grow it without bound.
type memo[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{m: make(map[K]V), max: max}
}

func (m *memo[K, V]) get(k K) (V, bool) {
	m.mu.RLock()
	v, ok := m.m[k]
	m.mu.RUnlock()
	return v, ok
}

func (m *memo[K, V]) put(k K, v V) {
	m.mu.Lock()
	if len(m.m) < m.max {
		m.m[k] = v
	}
	m.mu.Unlock()
}
