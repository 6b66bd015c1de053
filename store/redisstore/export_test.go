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

// SweepOutbox sweeps every case list shard now (cases.go: the sweep).
func (s *Store) SweepOutbox(ctx context.Context) error {
	for shard := range caseShards {
		if err := s.sweep(ctx, shard); err != nil {
			return err
		}
	}
	return nil
}

// OutqKey is the due queue shard of a case's notifications.
func (s *Store) OutqKey(caseID string) string { return s.outqKey(caseShard(caseID)) }

// CaseListKey is the case list shard of a case.
func (s *Store) CaseListKey(caseID string) string { return s.caseListKey(caseShard(caseID)) }

// FeedKey is the stream of the change feed a conversation's changes go to.
func (s *Store) FeedKey(id bot.ConversationID) string { return s.feedKey(feedShard(id)) }

// FeedKeys are the change feed's streams.
func (s *Store) FeedKeys() []string {
	keys := make([]string, feedShards)
	for i := range keys {
		keys[i] = s.feedKey(i)
	}
	return keys
}

const FeedGroup, FeedRead = feedGroup, feedRead
