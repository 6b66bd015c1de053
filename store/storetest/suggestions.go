package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/bot"
)

// SuggestionStore keeps staff suggestions of what misunderstood messages
// meant (the console writes them, sswbot examples export reads them).
type SuggestionStore interface {
	Suggest(ctx context.Context, s bot.Suggestion) error
	Suggestions(ctx context.Context) ([]bot.Suggestion, error)
	DeleteSuggestions(ctx context.Context, keys ...string) error
}

// RunSuggestions runs the suggestions part of the suite.
func RunSuggestions(t *testing.T, newStore func(t *testing.T) SuggestionStore) {
	t.Run("suggestions come back oldest first; the same message is replaced", func(t *testing.T) { testSuggestionsRoundTrip(t, newStore(t)) })
	t.Run("a bad suggestion is refused and changes nothing", func(t *testing.T) { testSuggestionRefused(t, newStore(t)) })
	t.Run("concurrent suggestions lose none", func(t *testing.T) { testSuggestConcurrently(t, newStore(t)) })
}

var suggestedAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func testSuggestionsRoundTrip(t *testing.T, s SuggestionStore) {
	ctx := t.Context()
	a := bot.Suggestion{Text: "виза скока", Lang: "ru", Question: "walk", Meaning: "topic=visa", Staff: "aiko", Time: suggestedAt}
	b := bot.Suggestion{Text: "we found him ourselves", Lang: "en", Question: "route", Meaning: "route=direct", Staff: "ken", Time: suggestedAt.Add(time.Minute)}
	for _, sg := range []bot.Suggestion{b, a} {
		if err := s.Suggest(ctx, sg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Suggestions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Time.Equal(a.Time) || got[0].Text != a.Text || got[1].Meaning != b.Meaning || got[1].Staff != "ken" {
		t.Fatalf("suggestions = %+v, want a then b", got)
	}
	// The same message (case and spaces aside) at the same question: replaced.
	again := a
	again.Text, again.Meaning, again.Time = "Виза  скока", "oos=fees", suggestedAt.Add(2*time.Minute)
	if err := s.Suggest(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Suggestions(ctx)
	if len(got) != 2 || got[1].Meaning != "oos=fees" {
		t.Fatalf("after a second reading: %+v, want b then the new reading", got)
	}
	if err := s.DeleteSuggestions(ctx, got[0].Key()); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Suggestions(ctx)
	if len(got) != 1 || got[0].Meaning != "oos=fees" {
		t.Fatalf("after delete: %+v", got)
	}
}

func testSuggestionRefused(t *testing.T, s SuggestionStore) {
	ctx := t.Context()
	for _, sg := range []bot.Suggestion{
		{Text: " ", Lang: "en", Question: "walk", Meaning: "topic=visa", Staff: "aiko", Time: suggestedAt},
		{Text: "visa", Lang: "en", Question: "walk", Meaning: "visa", Staff: "aiko", Time: suggestedAt},
		{Text: "visa", Lang: "en", Question: "walk", Meaning: "topic=visa", Time: suggestedAt},
	} {
		if err := s.Suggest(ctx, sg); err == nil || errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("Suggest(%+v) = %v, want a refusal", sg, err)
		}
	}
	if got, _ := s.Suggestions(ctx); len(got) != 0 {
		t.Fatalf("refused suggestions were kept: %+v", got)
	}
}

func testSuggestConcurrently(t *testing.T, s SuggestionStore) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			sg := bot.Suggestion{Text: fmt.Sprint("message ", i), Lang: "en", Question: "walk", Meaning: "oos=unrelated", Staff: "aiko", Time: suggestedAt}
			if err := s.Suggest(ctx, sg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.Suggestions(ctx); len(got) != 20 {
		t.Fatalf("%d suggestions kept, want 20", len(got))
	}
}
