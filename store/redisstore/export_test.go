package redisstore

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

// Client exposes the client to tests that count round trips or measure keys.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Keys returns a conversation's session, meta, transcript and event keys.
func (s *Store) Keys(id bot.ConversationID, eventID string) (session, meta, transcript, event string) {
	k := s.keys(id, eventID)
	return k.session, k.meta, k.transcript, k.event
}

// GoRedisLogger returns what LogTo installs, for a test that writes through it.
func GoRedisLogger(l *slog.Logger) interface {
	Printf(ctx context.Context, format string, v ...any)
} {
	return slogLogger{l}
}
