package memstore

import (
	"bytes"
	"context"

	"example.com/sswbot/bot"
)

// Annotations returns the staff annotations (the console's encoding) of
// each conversation, nil where there are none.
func (s *Store) Annotations(_ context.Context, ids ...bot.ConversationID) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if c := s.conv(id, now); c != nil && c.meta != nil {
			out[i] = bytes.Clone(c.notes)
		}
	}
	return out, nil
}

// Annotate replaces a conversation's annotations with what update makes of
// the current ones, atomically. They live and expire with the transcript
// and Forget erases them; an unknown conversation is bot.ErrNotFound.
func (s *Store) Annotate(_ context.Context, id bot.ConversationID, update func(old []byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(id, s.opt.Now())
	if c == nil || c.meta == nil {
		return bot.ErrNotFound
	}
	b, err := update(bytes.Clone(c.notes))
	if err != nil {
		return err
	}
	c.notes = bytes.Clone(b)
	s.resize(c) // the notes count in the store's size
	return nil
}

// LastEntries returns the newest transcript entry of each conversation
// (the zero Entry where there is none), for the console's previews.
func (s *Store) LastEntries(_ context.Context, ids ...bot.ConversationID) ([]bot.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	out := make([]bot.Entry, len(ids))
	for i, id := range ids {
		if c := s.conv(id, now); c != nil && len(c.entries) > 0 {
			out[i] = c.entries[len(c.entries)-1]
			out[i].Choices = nil
		}
	}
	return out, nil
}
