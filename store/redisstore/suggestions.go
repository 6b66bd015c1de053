package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
)

// Suggestions live in one hash, field bot.Suggestion.Key → JSON, without
// expiry: they are few, hold no user id, and wait for an export.
func (s *Store) suggestionsKey() string { return s.opt.Prefix + "suggestions" }

// suggestScript sets a field unless the hash is full and the field new, in
// one step, so concurrent staff cannot push it past the bound.
var suggestScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

// Suggest keeps a staff member's reading of a message; a later one for the
// same message (bot.Suggestion.Key) replaces it.
func (s *Store) Suggest(ctx context.Context, sg bot.Suggestion) error {
	if err := sg.Check(); err != nil {
		return err
	}
	b, err := json.Marshal(sg)
	if err != nil {
		return fmt.Errorf("redisstore: encode suggestion: %w", err)
	}
	n, err := suggestScript.Run(ctx, s.rdb, []string{s.suggestionsKey()}, sg.Key(), b, bot.MaxSuggestions).Int()
	if err != nil {
		return unavailable("suggest", err)
	}
	if n == 0 {
		return bot.ErrTooManySuggestions
	}
	return nil
}

// Suggestions returns every kept suggestion, oldest first.
func (s *Store) Suggestions(ctx context.Context) ([]bot.Suggestion, error) {
	m, err := s.rdb.HGetAll(ctx, s.suggestionsKey()).Result()
	if err != nil {
		return nil, unavailable("suggestions", err)
	}
	out := make([]bot.Suggestion, 0, len(m))
	for k, v := range m {
		var sg bot.Suggestion
		if err := json.Unmarshal([]byte(v), &sg); err != nil {
			return nil, fmt.Errorf("redisstore: suggestion %q: %w", k, err)
		}
		out = append(out, sg)
	}
	bot.SortSuggestions(out)
	return out, nil
}

// DeleteSuggestions drops the suggestions with these keys (after export).
func (s *Store) DeleteSuggestions(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, s.suggestionsKey(), keys...).Err(); err != nil {
		return unavailable("delete suggestions", err)
	}
	return nil
}
