package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/understand"
)

// The accuracy the shipped content reaches on the eval sets (README,
// "Understanding"). Raise these when the content or the model gets better;
// a change that lowers them fails here. The held-out set estimates accuracy
// on phrasings nobody tuned for.
var evalLevels = map[string]struct{ all, perLang float64 }{
	"tune.jsonl":    {all: 0.93, perLang: 0.91},
	"heldout.jsonl": {all: 0.89, perLang: 0.83},
	"fresh.jsonl":   {all: 0.93, perLang: 0.89},
}

func TestUnderstandingAccuracyStaysAtItsLevel(t *testing.T) {
	t.Parallel()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := understand.New(bot.Corpus(kb))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := loadCaseSets("")
	if err != nil {
		t.Fatal(err)
	}
	for name := range evalLevels {
		if !slices.ContainsFunc(sets, func(s caseSet) bool { return s.name == name }) {
			t.Errorf("no eval set %s, which has a level", name)
		}
	}
	for _, s := range sets {
		// blind.jsonl was written without looking at the content or the
		// model, to estimate the hidden acceptance set; it has no level
		// here on purpose, so nobody tunes until it passes.
		level, ok := evalLevels[s.name]
		if !ok {
			continue
		}
		r := evaluate(m, s.cases, len(kb.Countries))
		for _, lang := range knowledge.Languages {
			if n := r.total[[2]string{"all", lang}]; n < 30 {
				t.Errorf("%s: %d %s cases, want at least 30", s.name, n, lang)
			}
			if acc, _ := r.Accuracy("all", lang); acc < level.perLang {
				t.Errorf("%s: %s accuracy %.1f %%, below the level %.0f %% (run sswbot eval --lang %s)", s.name, lang, 100*acc, 100*level.perLang, lang)
			}
		}
		if acc, _ := r.Accuracy("all", "all"); acc < level.all {
			t.Errorf("%s: accuracy %.1f %%, below the level %.0f %% (run sswbot eval)", s.name, 100*acc, 100*level.all)
		}
	}
}

// The eval set measures how examples generalise, so no case may be one of
// the content's own examples or button labels.
func TestEvalCasesAreNotExamples(t *testing.T) {
	t.Parallel()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	fold := func(s string) string {
		s = strings.ToLower(norm.NFKC.String(s))
		return strings.TrimRight(strings.Join(strings.Fields(s), " "), ".!?。！？ ")
	}
	examples := map[string]string{}
	for _, in := range bot.Corpus(kb).Intents {
		for _, exs := range in.Examples {
			for _, ex := range exs {
				examples[fold(ex)] = in.Slot + "=" + in.Value
			}
		}
	}
	sets, err := loadCaseSets("")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		for _, c := range s.cases {
			if in, ok := examples[fold(c.Text)]; ok {
				t.Errorf("%s: %q is an example of %s in the content", c.at, c.Text, in)
			}
		}
	}
}

func TestEvalReportsAndFiltersByLanguage(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"eval", "--lang", "ky"}, noEnv, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"== tune.jsonl", "== heldout.jsonl", "kind", "oos", "all"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report has no %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "[ru,") {
		t.Errorf("--lang ky reports a Russian miss:\n%s", out.String())
	}
}

func TestEvalRunsOnAnExportedSnippetAndRejectsBadCases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	snippet := filepath.Join(dir, "suggestions.yaml")
	os.WriteFile(snippet, []byte("intents:\n  - slot: topic\n    value: visa\n    examples:\n      en: [how do I get a visa for japan]\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"eval", "--cases", snippet}, noEnv, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "== suggestions.yaml: 1 cases") {
		t.Fatalf("report:\n%s", out.String())
	}
	tests := []struct{ name, line, want string }{
		{"an unknown slot", `{"text":"hi","lang":"en","question":"walk","expect":["mood=happy"]}`, `bad.jsonl:1: expect "mood=happy"`},
		{"an unknown question", `{"text":"hi","lang":"en","question":"lobby","expect":["control=hello"]}`, `bad.jsonl:1: question "lobby"`},
		{"an unknown language", `{"text":"hi","lang":"de","question":"walk","expect":["control=hello"]}`, `bad.jsonl:1: lang "de"`},
		{"an unknown field", `{"text":"hi","lang":"en","question":"walk","expect":["control=hello"],"expected":[]}`, `bad.jsonl:1: json: unknown field "expected"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCases("bad.jsonl", []byte(tt.line+"\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func noEnv(string) string { return "" }
