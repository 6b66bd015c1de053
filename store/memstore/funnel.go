package memstore

import (
	"context"
	"time"

	"example.com/sswbot/bot"
)

var _ bot.FunnelReader = (*Store)(nil)

// funnelCell is one counter: a day and a platform × language × stage.
type funnelCell struct {
	day string
	key bot.FunnelKey
}

// count adds id to the funnel cells of c.Stages, once under its language
// and once under bot.AllLangs. Sets make it idempotent and exact.
func (s *Store) count(id bot.ConversationID, c bot.Commit, now time.Time) {
	if len(c.Stages) == 0 {
		return
	}
	if s.funnel == nil {
		s.funnel = map[funnelCell]map[bot.ConversationID]struct{}{}
	}
	if !c.Now.IsZero() {
		now = c.Now
	}
	day := now.UTC().Format(time.DateOnly)
	for _, st := range c.Stages {
		for _, lang := range []string{c.Meta.Lang, bot.AllLangs} {
			k := funnelCell{day, bot.FunnelKey{Platform: c.Meta.Platform, Lang: lang, Stage: st}}
			if s.funnel[k] == nil {
				s.funnel[k] = map[bot.ConversationID]struct{}{}
			}
			s.funnel[k][id] = struct{}{}
		}
	}
}

// sweepFunnel drops the days older than the transcript retention.
func (s *Store) sweepFunnel(now time.Time) {
	oldest := now.Add(-s.opt.TranscriptRetention).UTC().Format(time.DateOnly)
	for k := range s.funnel {
		if k.day < oldest {
			delete(s.funnel, k)
		}
	}
}

// Funnel implements bot.FunnelReader: distinct conversations over the days.
func (s *Store) Funnel(_ context.Context, q bot.FunnelQuery) (map[bot.FunnelKey]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[bot.FunnelKey]int{}
	for _, p := range q.Platforms {
		for _, l := range q.Langs {
			for _, st := range q.Stages {
				k := bot.FunnelKey{Platform: p, Lang: l, Stage: st}
				seen := map[bot.ConversationID]struct{}{}
				for _, d := range q.Days {
					for id := range s.funnel[funnelCell{d, k}] {
						seen[id] = struct{}{}
					}
				}
				if len(seen) > 0 {
					out[k] = len(seen)
				}
			}
		}
	}
	return out, nil
}
