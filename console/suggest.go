package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

// Suggestions keeps what staff say misunderstood messages meant; both
// stores have it. Nothing a suggestion says changes the bot live: `sswbot
// examples export` (or the download here) turns them into a snippet that
// someone reviews into the content.
type Suggestions interface {
	Suggest(ctx context.Context, s bot.Suggestion) error
	Suggestions(ctx context.Context) ([]bot.Suggestion, error)
}

// maxSuggestText bounds a suggested message; longer ones are not examples.
const maxSuggestText = 500

// unrecognised is one row of the "not understood" list, with the reading
// staff already suggested for it.
type unrecognised struct {
	Text, Short, Lang, Question string
	Count                       int
	Suggested, By               string
}

// unrecognisedRows returns the most common misses, each with the language
// and question it was first seen at and its suggestion, if any.
func (c *Console) unrecognisedRows(ctx context.Context, ms map[string]*missed, top int) ([]unrecognised, error) {
	list := make([]*missed, 0, len(ms))
	for _, m := range ms {
		list = append(list, m)
	}
	slices.SortFunc(list, func(a, b *missed) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.text, b.text)
	})
	list = list[:min(top, len(list))]
	known := map[string]bot.Suggestion{}
	if c.deps.Suggestions != nil {
		ss, err := c.deps.Suggestions.Suggestions(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			known[s.Key()] = s
		}
	}
	rows := make([]unrecognised, 0, len(list))
	for _, m := range list {
		row := unrecognised{Text: m.full, Short: m.text, Lang: m.lang, Question: m.question, Count: m.n}
		if s, ok := known[(bot.Suggestion{Text: m.full, Lang: m.lang, Question: m.question}).Key()]; ok {
			row.Suggested, row.By = s.Meaning, s.Staff
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// suggest stores a staff member's reading of a misunderstood message and
// goes back to the insights page it came from.
func (c *Console) suggest(w http.ResponseWriter, r *http.Request, s *session) {
	if c.deps.Suggestions == nil {
		c.fail(w, r, s, http.StatusNotFound, "Suggestions are not kept by this store.", nil)
		return
	}
	sg := bot.Suggestion{
		Text: strings.TrimSpace(r.PostFormValue("text")), Lang: r.PostFormValue("lang"),
		Question: r.PostFormValue("q"), Meaning: r.PostFormValue("meaning"),
		Staff: s.staff, Time: c.cfg.Now(),
	}
	switch {
	case sg.Text == "" || utf8.RuneCountInString(sg.Text) > maxSuggestText:
		s.setFlash("Nothing was saved: the message is empty or too long to be an example.", true)
	case !slices.Contains(c.cfg.Meanings, sg.Meaning):
		s.setFlash("Nothing was saved: choose what the message meant from the list.", true)
	case bot.QuestionAt(sg.Question) != sg.Question:
		s.setFlash("Nothing was saved: the question the message answered is unknown.", true)
	default:
		err := c.deps.Suggestions.Suggest(r.Context(), sg)
		switch {
		case errors.Is(err, bot.ErrTooManySuggestions):
			s.setFlash("Nothing was saved: "+err.Error()+" (sswbot examples export --clear).", true)
		case err != nil:
			c.fail(w, r, s, http.StatusServiceUnavailable, "The suggestion could not be saved right now; try again.", err)
			return
		default:
			c.audit.add(c.log, c.cfg.Now(), s.staff, "suggest "+sg.Meaning, "", "")
			s.setFlash("Saved: \""+short(sg.Text, 40)+"\" means "+sg.Meaning+". It changes nothing until someone reviews the export into the content.", false)
		}
	}
	back := "/console/insights"
	if q := r.PostFormValue("back"); q != "" {
		if v, err := url.ParseQuery(q); err == nil {
			back += "?" + v.Encode() // only a query: the redirect stays on this page
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// suggestionsFile downloads every suggestion as the snippet `sswbot
// examples export` writes, for deployments without Redis.
func (c *Console) suggestionsFile(w http.ResponseWriter, r *http.Request, s *session) {
	if c.deps.Suggestions == nil {
		http.Error(w, "suggestions are not kept by this store", http.StatusNotFound)
		return
	}
	ss, err := c.deps.Suggestions.Suggestions(r.Context())
	if err != nil {
		c.log.Error("console: read suggestions", "err", err)
		http.Error(w, "suggestions are unavailable right now", http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := bot.ExportSuggestions(&buf, ss, c.cfg.Now()); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, "export suggestions", "", "")
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="suggested-examples.yaml"`)
	_, _ = buf.WriteTo(w)
}
