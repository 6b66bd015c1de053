package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

// annotationsKey holds the console's staff annotations of a conversation,
// in the conversation's hash slot so Forget erases it with the rest.
func (s *Store) annotationsKey(id bot.ConversationID) string {
	return s.opt.Prefix + "{" + string(id) + "}:a"
}

// Annotations returns the staff annotations (the console's encoding) of
// each conversation, nil where there are none, in one round trip.
func (s *Store) Annotations(ctx context.Context, ids ...bot.ConversationID) ([][]byte, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.annotationsKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("load annotations", err)
	}
	out := make([][]byte, len(ids))
	for i, c := range cmds {
		if b, err := c.Bytes(); err == nil {
			out[i] = b
		}
	}
	return out, nil
}

// maxAnnotateAttempts bounds the optimistic loop of Annotate; conflicts
// need two staff members editing one conversation's notes at once.
const maxAnnotateAttempts = 50

// Annotate replaces a conversation's annotations with what update makes of
// the current ones, atomically (WATCH/MULTI, retried on a conflict). They
// expire with the transcript and Forget erases them; an unknown (or
// forgotten) conversation is bot.ErrNotFound, so nothing outlives an erase.
func (s *Store) Annotate(ctx context.Context, id bot.ConversationID, update func(old []byte) ([]byte, error)) error {
	ak, mk := s.annotationsKey(id), s.keys(id, "").meta
	for range maxAnnotateAttempts {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			meta, err := tx.Get(ctx, mk).Result()
			if errors.Is(err, redis.Nil) {
				return bot.ErrNotFound
			}
			if err != nil {
				return err
			}
			if _, m, err := parseMeta(meta); err != nil || m == nil {
				return bot.ErrNotFound // erased: only the version is left
			}
			old, err := tx.Get(ctx, ak).Bytes()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			b, err := update(old)
			if err != nil {
				return &updateError{err}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, ak, b, s.opt.TranscriptRetention)
				return nil
			})
			return err
		}, ak, mk)
		var ue *updateError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, redis.TxFailedErr):
			continue
		case errors.Is(err, bot.ErrNotFound):
			return bot.ErrNotFound
		case errors.As(err, &ue):
			return ue.err
		default:
			return unavailable("annotate", err)
		}
	}
	return fmt.Errorf("redisstore: annotate: %w", bot.ErrConflict)
}

// updateError carries the caller's own error through Watch unchanged.
type updateError struct{ err error }

func (e *updateError) Error() string { return e.err.Error() }

// LastEntries returns the newest transcript entry of each conversation
// (the zero Entry where there is none), for the console's previews, in
// one round trip.
func (s *Store) LastEntries(ctx context.Context, ids ...bot.ConversationID) ([]bot.Entry, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.LIndex(ctx, s.keys(id, "").transcript, -1)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("last entries", err)
	}
	out := make([]bot.Entry, len(ids))
	for i, c := range cmds {
		if raw, err := c.Result(); err == nil {
			if es, err := decodeEntries([]string{raw}); err == nil {
				out[i] = es[0]
				out[i].Choices = nil
			}
		}
	}
	return out, nil
}
