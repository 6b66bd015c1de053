package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

func TestStaffSuggestWhatAMessageMeant(t *testing.T) {
	meanings := []string{"role=employer", "topic=visa", "oos=fees"}
	f := newFixtureWith(t, func(c *console.Config) { c.Meanings = meanings })
	f.send(t, bot.Telegram, "700100300", bot.KindStart, "")
	f.send(t, bot.Telegram, "700100300", bot.KindChoice, "l:ru")
	f.send(t, bot.Telegram, "700100300", bot.KindText, "qwzx blorp")

	c := f.client(t)
	c.mustLogin("aiko")
	_, body := c.get("/console/insights")
	for _, want := range []string{`name="text" value="qwzx blorp"`, `name="lang" value="ru"`, `<option>topic=visa</option>`, `href="/console/suggestions.yaml"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("insights page has no %q", want)
		}
	}
	q := bot.QuestionAt("role")
	if !strings.Contains(body, `name="q" value="`+q+`"`) {
		t.Fatalf("the message was sent at the role question; the form does not say %q", q)
	}

	t.Run("a meaning that is not offered changes nothing", func(t *testing.T) {
		c.post("/console/suggest", url.Values{"text": {"qwzx blorp"}, "lang": {"ru"}, "q": {q}, "meaning": {"topic=vias"}})
		if ss, _ := f.store.Suggestions(t.Context()); len(ss) != 0 {
			t.Fatalf("kept %+v", ss)
		}
	})
	t.Run("a suggestion is kept and shown, and nothing changes live", func(t *testing.T) {
		resp, _ := c.post("/console/suggest", url.Values{"text": {"qwzx blorp"}, "lang": {"ru"}, "q": {q}, "meaning": {"topic=visa"}, "back": {"lang=ru"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/console/insights?lang=ru" {
			t.Fatalf("status %d to %q, want 303 back to the insights query", resp.StatusCode, loc)
		}
		_, body := c.get("/console/insights")
		if !strings.Contains(body, "changes nothing until someone reviews") {
			t.Errorf("no confirmation:\n%s", body)
		}
		ss, _ := f.store.Suggestions(t.Context())
		if len(ss) != 1 || ss[0].Meaning != "topic=visa" || ss[0].Staff != "aiko" || ss[0].Question != q || ss[0].Lang != "ru" {
			t.Fatalf("kept %+v", ss)
		}
		if !strings.Contains(body, "suggested by aiko") || !strings.Contains(body, "<option selected>topic=visa</option>") {
			t.Error("the insights page does not show the suggestion")
		}
	})
	t.Run("the suggestions download as the export snippet", func(t *testing.T) {
		resp, body := c.get("/console/suggestions.yaml")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "  - slot: topic\n    value: \"visa\"\n") || !strings.Contains(body, `"qwzx blorp" # `+q+` · aiko`) {
			t.Fatalf("status %d:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("without a session nothing is kept", func(t *testing.T) {
		anon := f.client(t)
		resp, _ := anon.post("/console/suggest", url.Values{"text": {"x"}, "lang": {"ru"}, "q": {"walk"}, "meaning": {"oos=fees"}})
		if ss, _ := f.store.Suggestions(t.Context()); len(ss) != 1 {
			t.Fatalf("status %d: kept %+v", resp.StatusCode, ss)
		}
		if resp, _ := anon.get("/console/suggestions.yaml"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("download without a session: status %d, want 401", resp.StatusCode)
		}
	})
}
