package main

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/understand"
)

// The labelled eval set ships in the binary so `sswbot eval` works anywhere.
// tune.jsonl is what examples may be tuned on; heldout.jsonl is never looked
// at while tuning and estimates accuracy on phrasings nobody tuned for.
//
//go:embed testdata/eval/*.jsonl
var evalFiles embed.FS

// evalCase is one labelled message. Expect holds "slot=value" pairs the
// message must be read as (all of them, and nothing else that would move
// the user), "slot=!value" for a value it rules out ("no agency"), or
// "none" for a message that must not be read as anything (gibberish).
type evalCase struct {
	Text     string   `json:"text"`
	Lang     string   `json:"lang"`
	Question string   `json:"question"` // role, country, location, route, or walk (inside the steps)
	Expect   []string `json:"expect"`
	Tags     []string `json:"tags,omitempty"` // latin, typo, mixed, place, negation, multi, gibberish …
	at       string   // file:line
}

// questionSlots maps a case's question to the slots that question fills
// (understand.Query.Expect); a walk expects none.
var questionSlots = map[string][]string{
	"role": {"role"}, "country": {"country"}, "location": {"location"}, "route": {"route"}, "walk": nil,
}

func evalCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.KnowledgeDir, "knowledge", cfg.KnowledgeDir, "content directory instead of the embedded content [SSWBOT_KNOWLEDGE]")
	lang := fs.String("lang", "", "only the cases in this language (ja, en, ru, ky)")
	cases := fs.String("cases", "", "comma-separated case files: JSONL, or a YAML snippet from `sswbot examples export` (default: the built-in tune and held-out sets)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot eval [--lang L] [--cases FILE[,FILE]] [--knowledge DIR]\n\n"+
			"Reads every labelled case with the understanding model built from the content and prints\n"+
			"accuracy per kind × language, the confusions and every miss.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *lang != "" && !slices.Contains(knowledge.Languages, *lang) {
		fmt.Fprintf(stderr, "--lang %q: want one of %s\n", *lang, strings.Join(knowledge.Languages, ", "))
		return errUsage
	}
	kb, err := cfg.loadKnowledge()
	if err != nil {
		return err
	}
	model, err := understand.New(bot.Corpus(kb))
	if err != nil {
		return fmt.Errorf("build the model: %w", err)
	}
	sets, err := loadCaseSets(*cases)
	if err != nil {
		return err
	}
	for _, s := range sets {
		r := evaluate(model, filterLang(s.cases, *lang), len(kb.Countries))
		r.print(stdout, s.name)
	}
	return nil
}

type caseSet struct {
	name  string
	cases []evalCase
}

// loadCaseSets reads the named files, or the built-in sets.
func loadCaseSets(list string) ([]caseSet, error) {
	var sets []caseSet
	if list == "" {
		names, _ := evalFiles.ReadDir("testdata/eval")
		// tune first, then held-out: the order people read them in.
		sort.Slice(names, func(i, j int) bool { return names[i].Name() > names[j].Name() })
		for _, n := range names {
			data, err := evalFiles.ReadFile(path.Join("testdata/eval", n.Name()))
			if err != nil {
				return nil, err
			}
			cs, err := parseCases(n.Name(), data)
			if err != nil {
				return nil, err
			}
			sets = append(sets, caseSet{n.Name(), cs})
		}
		return sets, nil
	}
	for _, name := range strings.Split(list, ",") {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		cs, err := parseCases(filepath.Base(name), data)
		if err != nil {
			return nil, err
		}
		sets = append(sets, caseSet{filepath.Base(name), cs})
	}
	return sets, nil
}

// parseCases reads JSONL cases, or a YAML snippet of intents (what
// `sswbot examples export` writes): each example there is a case at the
// question its slot answers.
func parseCases(name string, data []byte) ([]evalCase, error) {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return parseSnippet(name, data)
	}
	var out []evalCase
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var c evalCase
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		c.at = fmt.Sprintf("%s:%d", name, n)
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%s: %v", c.at, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

func (c evalCase) check() error {
	switch {
	case strings.TrimSpace(c.Text) == "":
		return fmt.Errorf("empty text")
	case !slices.Contains(knowledge.Languages, c.Lang):
		return fmt.Errorf("lang %q: want one of %s", c.Lang, strings.Join(knowledge.Languages, ", "))
	case len(c.Expect) == 0:
		return fmt.Errorf("no expect (slot=value, or none)")
	}
	if _, ok := questionSlots[c.Question]; !ok {
		return fmt.Errorf("question %q: want role, country, location, route or walk", c.Question)
	}
	for _, e := range c.Expect {
		slot, value, ok := strings.Cut(e, "=")
		if e == "none" && len(c.Expect) == 1 {
			continue
		}
		if !ok || !slices.Contains(knowledge.Slots, slot) || strings.TrimPrefix(value, "!") == "" {
			return fmt.Errorf("expect %q: want slot=value (slots: %s) or none", e, strings.Join(knowledge.Slots, ", "))
		}
	}
	return nil
}

// parseSnippet turns an exported YAML snippet into cases.
func parseSnippet(name string, data []byte) ([]evalCase, error) {
	var doc struct {
		Intents []struct {
			Slot     string              `yaml:"slot"`
			Value    string              `yaml:"value"`
			Examples map[string][]string `yaml:"examples"`
		} `yaml:"intents"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var out []evalCase
	for _, in := range doc.Intents {
		q := "walk"
		if _, ok := questionSlots[in.Slot]; ok {
			q = in.Slot
		}
		for _, lang := range knowledge.Languages {
			for _, ex := range in.Examples[lang] {
				c := evalCase{Text: ex, Lang: lang, Question: q, Expect: []string{in.Slot + "=" + in.Value},
					at: fmt.Sprintf("%s (%s=%s)", name, in.Slot, in.Value)}
				if err := c.check(); err != nil {
					return nil, fmt.Errorf("%s: %v", c.at, err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func filterLang(cs []evalCase, lang string) []evalCase {
	if lang == "" {
		return cs
	}
	var out []evalCase
	for _, c := range cs {
		if c.Lang == lang {
			out = append(out, c)
		}
	}
	return out
}

// kind is what a case tests: its expected slot, "multi" for several, or
// "none".
func (c evalCase) kind() string {
	if len(c.Expect) > 1 {
		return "multi"
	}
	slot, _, _ := strings.Cut(c.Expect[0], "=")
	return slot
}

// judge reads one case the way the bot acts on a reading. It is right when
//   - every expected value is read confidently (a ruled-out one as negated),
//   - the first value acted on is an expected one (inside a walk the bot
//     acts on the first), and
//   - no other answer to a question (role, location, route, country) is
//     read that the case does not expect: the bot would fill it and move
//     the user somewhere they did not ask to go. With one country in the
//     content, country is never asked and a country reading is harmless.
//
// "none" is right when nothing at all is read confidently. got describes
// the reading for the report.
func judge(r understand.Reading, c evalCase, countries int) (ok bool, got string) {
	var acted, parts []string
	for _, m := range r.Matches {
		pair := m.Slot + "=" + m.Value
		switch {
		case m.Negated:
			pair = m.Slot + "=!" + m.Value
			parts = append(parts, fmt.Sprintf("%s %.2f", pair, m.Score))
		case m.Confident:
			acted = append(acted, pair)
			parts = append(parts, fmt.Sprintf("%s %.2f", pair, m.Score))
		default:
			parts = append(parts, fmt.Sprintf("(%s %.2f)", pair, m.Score))
		}
	}
	got = strings.Join(parts, ", ")
	if got == "" {
		got = "nothing"
	}
	if c.Expect[0] == "none" {
		return len(acted) == 0, got
	}
	var positive []string
	for _, e := range c.Expect {
		slot, value, _ := strings.Cut(e, "=")
		if v, neg := strings.CutPrefix(value, "!"); neg {
			if !strings.Contains(got, slot+"=!"+v+" ") {
				return false, got
			}
			continue
		}
		positive = append(positive, e)
		if !slices.Contains(acted, e) {
			return false, got
		}
	}
	if len(positive) > 0 && (len(acted) == 0 || !slices.Contains(positive, acted[0])) {
		return false, got
	}
	for _, a := range acted {
		slot, _, _ := strings.Cut(a, "=")
		if _, question := questionSlots[slot]; !question || slices.Contains(positive, a) {
			continue
		}
		if slot == "country" && countries <= 1 {
			continue
		}
		return false, got
	}
	return true, got
}

// evalResult counts right answers per kind and language.
type evalResult struct {
	right, total map[[2]string]int // {kind or "tag:"+tag or "all", lang or "all"}
	confusions   map[string]int    // "want → read" for misses
	misses       []string
}

func evaluate(m *understand.Model, cases []evalCase, countries int) *evalResult {
	r := &evalResult{right: map[[2]string]int{}, total: map[[2]string]int{}, confusions: map[string]int{}}
	for _, c := range cases {
		reading := m.Read(understand.Query{Text: c.Text, Lang: c.Lang, Expect: questionSlots[c.Question]})
		ok, got := judge(reading, c, countries)
		rows := []string{c.kind(), "all"}
		for _, t := range c.Tags {
			rows = append(rows, "tag:"+t)
		}
		for _, row := range rows {
			for _, lang := range []string{c.Lang, "all"} {
				r.total[[2]string{row, lang}]++
				if ok {
					r.right[[2]string{row, lang}]++
				}
			}
		}
		if !ok {
			want := strings.Join(c.Expect, " ")
			r.confusions[want+" → "+readAs(got)]++
			r.misses = append(r.misses, fmt.Sprintf("%s [%s, %s] %q: want %s, read %s", c.at, c.Lang, c.Question, c.Text, want, got))
		}
	}
	return r
}

// readAs summarises a reading for the confusion list: what it acted on
// ("+"-joined), else what it only suspected ("?slot=value"), else nothing.
func readAs(got string) string {
	var acted []string
	suspect := ""
	for _, part := range strings.Split(got, ", ") {
		switch {
		case part == "nothing":
		case strings.HasPrefix(part, "("):
			if suspect == "" {
				suspect = "?" + strings.Fields(strings.Trim(part, "()"))[0]
			}
		default:
			acted = append(acted, strings.Fields(part)[0])
		}
	}
	switch {
	case len(acted) > 0:
		return strings.Join(acted, "+")
	case suspect != "":
		return suspect
	}
	return "nothing"
}

// Accuracy returns the share of right cases for a kind (or "all") in a
// language (or "all"), and how many cases there were.
func (r *evalResult) Accuracy(kind, lang string) (float64, int) {
	n := r.total[[2]string{kind, lang}]
	if n == 0 {
		return 0, 0
	}
	return float64(r.right[[2]string{kind, lang}]) / float64(n), n
}

func (r *evalResult) print(w io.Writer, name string) {
	acc, n := r.Accuracy("all", "all")
	fmt.Fprintf(w, "== %s: %d cases, %.1f %% right\n\n", name, n, 100*acc)
	var kinds, tags []string
	for k := range r.total {
		if k[1] != "all" || k[0] == "all" {
			continue
		}
		if t, ok := strings.CutPrefix(k[0], "tag:"); ok {
			tags = append(tags, t)
		} else {
			kinds = append(kinds, k[0])
		}
	}
	order := func(s string) int {
		if i := slices.Index(knowledge.Slots, s); i >= 0 {
			return i
		}
		return len(knowledge.Slots)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if order(kinds[i]) != order(kinds[j]) {
			return order(kinds[i]) < order(kinds[j])
		}
		return kinds[i] < kinds[j]
	})
	sort.Strings(tags)
	langs := append(slices.Clone(knowledge.Languages), "all")
	fmt.Fprintf(w, "%-12s", "kind")
	for _, l := range langs {
		fmt.Fprintf(w, " %13s", l)
	}
	fmt.Fprintln(w)
	row := func(label, key string) {
		fmt.Fprintf(w, "%-12s", label)
		for _, l := range langs {
			if n := r.total[[2]string{key, l}]; n > 0 {
				right := r.right[[2]string{key, l}]
				fmt.Fprintf(w, " %13s", fmt.Sprintf("%d/%d %3.0f%%", right, n, 100*float64(right)/float64(n)))
			} else {
				fmt.Fprintf(w, " %13s", "-")
			}
		}
		fmt.Fprintln(w)
	}
	for _, k := range kinds {
		row(k, k)
	}
	row("all", "all")
	if len(tags) > 0 {
		fmt.Fprintln(w)
		for _, t := range tags {
			row("#"+t, "tag:"+t)
		}
	}
	if len(r.confusions) > 0 {
		fmt.Fprintf(w, "\nconfusions (expected → read), most frequent first:\n")
		type kv struct {
			k string
			n int
		}
		var cs []kv
		for k, n := range r.confusions {
			cs = append(cs, kv{k, n})
		}
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].n != cs[j].n {
				return cs[i].n > cs[j].n
			}
			return cs[i].k < cs[j].k
		})
		for _, c := range cs {
			fmt.Fprintf(w, "  %3d  %s\n", c.n, c.k)
		}
	}
	if len(r.misses) > 0 {
		fmt.Fprintf(w, "\nmisses:\n")
		for _, m := range r.misses {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	fmt.Fprintln(w)
}
