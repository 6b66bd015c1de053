package storetest

import (
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// testFunnel: the stages a commit names are counted per day, platform,
// language and stage; a retried commit and another day of the same
// conversation count once over a period.
func testFunnel(t *testing.T, s Store) {
	fr, ok := s.(bot.FunnelReader)
	if !ok {
		t.Fatal("the store does not keep the funnel (bot.FunnelReader)")
	}
	ctx := t.Context()
	day1, day2 := t0.UTC().Format(time.DateOnly), t0.Add(24*time.Hour).UTC().Format(time.DateOnly)
	commit := func(id bot.ConversationID, lang string, now time.Time, stages ...string) {
		t.Helper()
		c := bot.Commit{Meta: meta(id, now), Now: now, Outcome: []byte("{}"), Stages: stages}
		c.Meta.Lang = lang
		mustCommit(t, s, id, c)
	}
	a, b := bot.ConversationOf(bot.LINE, "Ufun1"), bot.ConversationOf(bot.Telegram, "991")
	commit(a, "ja", t0, bot.StageStarted, bot.StageRole)
	commit(a, "ja", t0, bot.StageRole) // counted already
	commit(b, "ru", t0, bot.StageStarted)
	commit(a, "ja", t0.Add(24*time.Hour), bot.StageStarted, "route:direct", "step:direct:1")
	q := bot.FunnelQuery{Days: []string{day1, day2}, Platforms: []bot.Platform{bot.LINE, bot.Telegram},
		Langs: []string{"ja", "ru", bot.AllLangs}, Stages: []string{bot.StageStarted, bot.StageRole, "route:direct", "step:direct:1", "done:direct"}}
	got, err := fr.Funnel(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	k := func(p bot.Platform, lang, stage string) bot.FunnelKey {
		return bot.FunnelKey{Platform: p, Lang: lang, Stage: stage}
	}
	want := map[bot.FunnelKey]int{
		k(bot.LINE, "ja", bot.StageStarted): 1, k(bot.LINE, bot.AllLangs, bot.StageStarted): 1,
		k(bot.LINE, "ja", bot.StageRole): 1, k(bot.LINE, bot.AllLangs, bot.StageRole): 1,
		k(bot.LINE, "ja", "route:direct"): 1, k(bot.LINE, bot.AllLangs, "route:direct"): 1,
		k(bot.LINE, "ja", "step:direct:1"): 1, k(bot.LINE, bot.AllLangs, "step:direct:1"): 1,
		k(bot.Telegram, "ru", bot.StageStarted): 1, k(bot.Telegram, bot.AllLangs, bot.StageStarted): 1,
	}
	if len(got) != len(want) {
		t.Errorf("funnel = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v = %d, want %d", k, got[k], n)
		}
	}
	q.Days = []string{day2}
	if got, _ := fr.Funnel(ctx, q); got[k(bot.LINE, bot.AllLangs, bot.StageRole)] != 0 || got[k(bot.LINE, bot.AllLangs, bot.StageStarted)] != 1 {
		t.Errorf("day 2 alone = %v: want started 1, role 0", got)
	}
}
