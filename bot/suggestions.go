package bot

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Suggestion is a staff member's reading of a message the bot did not
// understand: what it meant (a slot value such as "topic=visa", a choice
// such as "route=agency", or an out-of-scope topic such as "oos=fees") at
// the question it was sent to. Suggestions change nothing live: `sswbot
// examples export` writes them as a YAML snippet that someone reviews and
// moves into the content. They keep the message text and its language, not
// who sent it.
type Suggestion struct {
	Text     string    `json:"text"`
	Lang     string    `json:"lang"`
	Question string    `json:"q"`       // role, country, location, route, or walk (see QuestionAt)
	Meaning  string    `json:"meaning"` // slot=value
	Staff    string    `json:"staff"`
	Time     time.Time `json:"time"`
}

// MaxSuggestions bounds what a store keeps; past it, new suggestions are
// refused with ErrTooManySuggestions until the stored ones are exported
// and cleared (sswbot examples export --clear).
const MaxSuggestions = 10000

// ErrTooManySuggestions refuses a suggestion when MaxSuggestions are kept.
var ErrTooManySuggestions = errors.New("too many suggestions kept: export and clear them")

// Key identifies the message a suggestion is about: the same text in the
// same language at the same question is one suggestion, the latest wins.
func (s Suggestion) Key() string {
	text := strings.Join(strings.Fields(strings.ToLower(s.Text)), " ")
	return s.Lang + "\x00" + s.Question + "\x00" + text
}

// Check reports what is wrong with a suggestion before it is stored.
func (s Suggestion) Check() error {
	slot, value, ok := strings.Cut(s.Meaning, "=")
	switch {
	case strings.TrimSpace(s.Text) == "":
		return fmt.Errorf("bot: a suggestion needs the message text")
	case !ok || slot == "" || value == "":
		return fmt.Errorf("bot: meaning %q is not slot=value", s.Meaning)
	case s.Staff == "":
		return fmt.Errorf("bot: a suggestion needs the staff member")
	}
	return nil
}

// SortSuggestions orders suggestions oldest first (then by Key), the order
// every store returns them in.
func SortSuggestions(ss []Suggestion) {
	slices.SortFunc(ss, func(a, b Suggestion) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Key(), b.Key()))
	})
}

// QuestionAt names the question a state label asks ("role", "location",
// "route", "country"); every other state is inside the walk ("walk").
func QuestionAt(state string) string {
	switch state {
	case "role", "location", "route", "country":
		return state
	}
	return "walk"
}

// ExportSuggestions writes suggestions as a snippet in the content's
// intents format, grouped by slot value and language, each example with a
// comment saying where it was sent and who suggested it. It is meant for
// review: nothing reads it back into the bot by itself.
func ExportSuggestions(w io.Writer, ss []Suggestion, now time.Time) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Examples suggested by staff in the console, exported %s.\n", now.UTC().Format(time.DateOnly))
	fmt.Fprintf(bw, "# Review each one, then move it under the same slot and value in\n")
	fmt.Fprintf(bw, "# knowledge/content/understanding.yaml (a country's places, routes and contacts\n")
	fmt.Fprintf(bw, "# in its own file), and run sswbot check and sswbot eval.\n")
	fmt.Fprintf(bw, "# `sswbot eval --cases THIS_FILE` measures how the bot reads them today.\n")
	byMeaning := map[string][]Suggestion{}
	var meanings []string
	for _, s := range ss {
		if _, ok := byMeaning[s.Meaning]; !ok {
			meanings = append(meanings, s.Meaning)
		}
		byMeaning[s.Meaning] = append(byMeaning[s.Meaning], s)
	}
	slices.Sort(meanings)
	fmt.Fprintf(bw, "intents:\n")
	if len(meanings) == 0 {
		fmt.Fprintf(bw, "  [] # no suggestions\n")
	}
	for _, m := range meanings {
		slot, value, _ := strings.Cut(m, "=")
		fmt.Fprintf(bw, "  - slot: %s\n    value: %s\n    examples:\n", slot, quoteYAML(value))
		group := byMeaning[m]
		slices.SortStableFunc(group, func(a, b Suggestion) int {
			return strings.Compare(a.Lang+a.Text, b.Lang+b.Text)
		})
		lang := ""
		for _, s := range group {
			if s.Lang != lang {
				lang = s.Lang
				fmt.Fprintf(bw, "      %s:\n", quoteYAML(cmp.Or(lang, "any")))
			}
			fmt.Fprintf(bw, "        - %s # %s · %s · %s\n", quoteYAML(s.Text), s.Question, oneLine(s.Staff), s.Time.UTC().Format(time.DateOnly))
		}
	}
	return bw.Flush()
}

// quoteYAML writes s as a YAML double-quoted scalar (a JSON string is one).
func quoteYAML(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
