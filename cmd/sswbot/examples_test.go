package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
)

func TestExamplesExportWritesTheSuggestionsForReviewAndEval(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	env := func(k string) string {
		switch k {
		case "REDIS_URL":
			return srv.URL()
		case "SSWBOT_REDIS_PREFIX":
			return "ex:"
		}
		return ""
	}
	st, err := redisstore.New(t.Context(), redisstore.Options{URL: srv.URL(), Prefix: "ex:"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []bot.Suggestion{
		{Text: "vizu kak oformit", Lang: "ru", Question: "walk", Meaning: "topic=visa", Staff: "aiko", Time: at},
		{Text: "we found him ourselves, no agency", Lang: "en", Question: "route", Meaning: "route=direct", Staff: "ken", Time: at},
		{Text: "нет", Lang: "ru", Question: "walk", Meaning: "control=no", Staff: "ken", Time: at},
	} {
		if err := st.Suggest(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "suggested.yaml")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"examples", "export", "--out", out, "--clear"}, env, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	snippet, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  - slot: control\n    value: \"no\"\n    examples:\n      \"ru\":\n        - \"нет\" # walk · ken · 2026-12-01\n",
		"  - slot: route\n    value: \"direct\"\n",
		"        - \"vizu kak oformit\" # walk · aiko · 2026-12-01\n",
	} {
		if !strings.Contains(string(snippet), want) {
			t.Errorf("snippet has no %q:\n%s", want, snippet)
		}
	}
	if left, _ := st.Suggestions(t.Context()); len(left) != 0 {
		t.Fatalf("--clear left %d suggestions", len(left))
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"eval", "--cases", out}, noEnv, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "== suggested.yaml: 3 cases") {
		t.Fatalf("eval on the snippet:\n%s", stdout.String())
	}
}

func TestExamplesExportNeedsTheServingStore(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"examples", "export"}, noEnv, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "REDIS_URL") {
		t.Fatalf("exit %d, stderr %q; want 1 naming REDIS_URL", code, stderr.String())
	}
}
