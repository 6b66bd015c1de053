package memstore

import (
	"context"

	"example.com/sswbot/bot"
)

// Suggest keeps a staff member's reading of a message; a later one for the
// same message (bot.Suggestion.Key) replaces it.
func (s *Store) Suggest(_ context.Context, sg bot.Suggestion) error {
	if err := sg.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.suggestions == nil {
		s.suggestions = map[string]bot.Suggestion{}
	}
	if _, ok := s.suggestions[sg.Key()]; !ok && len(s.suggestions) >= bot.MaxSuggestions {
		return bot.ErrTooManySuggestions
	}
	s.suggestions[sg.Key()] = sg
	return nil
}

// Suggestions returns every kept suggestion, oldest first.
func (s *Store) Suggestions(context.Context) ([]bot.Suggestion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bot.Suggestion, 0, len(s.suggestions))
	for _, sg := range s.suggestions {
		out = append(out, sg)
	}
	bot.SortSuggestions(out)
	return out, nil
}

// DeleteSuggestions drops the suggestions with these keys (after export).
func (s *Store) DeleteSuggestions(_ context.Context, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.suggestions, k)
	}
	return nil
}
