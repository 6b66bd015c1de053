package console_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

// entriesOn counts a conversation's entries timed on day (UTC).
func entriesOn(t *testing.T, f *fixture, id bot.ConversationID, day string) int {
	t.Helper()
	n := 0
	for _, e := range transcript(t, f, id) {
		if e.Time.UTC().Format("2006-01-02") == day {
			n++
		}
	}
	return n
}

func TestPeriodCountsOnlyItsEntries(t *testing.T) {
	f := newFixture(t)
	f.lang = "en"
	// Day 1: A chooses a route and reaches step 2; B only picks a language.
	a := bot.ConversationOf(bot.LINE, "U1111111111")
	route, _ := f.walk(t, bot.LINE, "U1111111111", "kg", 2)
	b := bot.ConversationOf(bot.Telegram, "700100200")
	f.send(t, bot.Telegram, "700100200", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100200", bot.KindChoice, "l:en")
	// Day 3: A comes back with a question the bot does not understand; C
	// walks the same route to the end.
	f.clock.Advance(48 * time.Hour)
	f.send(t, bot.LINE, "U1111111111", bot.KindText, "qwzx")
	cID := bot.ConversationOf(bot.LINE, "U3333333333")
	if r, _ := f.walk(t, bot.LINE, "U3333333333", "kg", 0); r != route {
		t.Fatalf("C took route %s, want %s", r, route)
	}
	const day1, day3 = "2026-03-02", "2026-03-04"
	c := f.client(t)
	c.mustLogin("aiko")

	funnel := []struct {
		name        string
		query       string
		want, never []string
	}{
		{
			"a day counts the stages reached on it, not before",
			"?since=" + day3 + "&until=" + day3,
			[]string{"started=2", "answered role=1", "chose a route=1", "chose route " + route + "=1", "step 1=1", "finished=1", "qwzx=1"},
			[]string{"started=3", "chose a route=2"},
		},
		{
			"a past day counts a conversation active again since",
			"?since=" + day1 + "&until=" + day1,
			[]string{"started=2", "answered role=1", "chose a route=1", "chose route " + route + "=1", "step 2=1", "step 3=0", "finished=0"},
			[]string{"qwzx=1"},
		},
		{
			"the whole period counts everyone once",
			"?since=" + day1 + "&until=" + day3,
			[]string{"started=3", "chose a route=2", "chose route " + route + "=2", "step 2=2", "finished=1"},
			nil,
		},
	}
	for _, tt := range funnel {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.get("/console/insights" + tt.query)
			got := strings.Join(bars(body), "\n") + "\n"
			for _, w := range tt.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("no bar %q in\n%s", w, got)
				}
			}
			for _, w := range tt.never {
				if strings.Contains(got, w+"\n") {
					t.Errorf("bar %q in\n%s", w, got)
				}
			}
		})
	}

	exports := []struct {
		name string
		day  string
		want map[bot.ConversationID]int
	}{
		{"a day's export has that day's entries only", day3, map[bot.ConversationID]int{
			a: entriesOn(t, f, a, day3), cID: entriesOn(t, f, cID, day3),
		}},
		{"a past day's export includes conversations active since", day1, map[bot.ConversationID]int{
			a: entriesOn(t, f, a, day1), b: entriesOn(t, f, b, day1),
		}},
	}
	for _, tt := range exports {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.get("/console/export.csv?since=" + tt.day + "&until=" + tt.day)
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got := map[bot.ConversationID]int{}
			for _, rec := range recs[1:] {
				got[bot.ConversationID(rec[0])]++
				if !strings.HasPrefix(rec[2], tt.day) {
					t.Errorf("an entry from %s in the export of %s", rec[2], tt.day)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("conversations %v, want %v", got, tt.want)
			}
			for id, n := range tt.want {
				if n == 0 || got[id] != n {
					t.Errorf("%s: %d rows, want %d (and more than 0)", id, got[id], n)
				}
			}
		})
	}
}

func TestFunnelNamesEveryConfiguredStep(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(c *console.Config) {
		c.Routes = map[string][]string{"direct": {"A.1.1", "A.4", "A.5", "A.6"}}
	})
	f.walk(t, bot.Telegram, "41", "kg", 1) // stops at the first step
	c := f.client(t)
	c.mustLogin("aiko")
	_, body := c.get("/console/insights")
	for _, want := range []string{"step 1 · A.1.1", "step 4 · A.6"} {
		if !strings.Contains(body, want) {
			t.Errorf("the funnel lacks %q", want)
		}
	}
}
