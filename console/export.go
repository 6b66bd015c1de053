package console

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"example.com/sswbot/bot"
)

// exportRow is one transcript entry with its conversation, the unit of
// both export formats.
type exportRow struct {
	Conversation bot.ConversationID `json:"conversation"`
	Platform     bot.Platform       `json:"platform"`
	bot.Entry
}

// exportSet is a conversation and its transcript.
type exportSet struct {
	meta    bot.Meta
	entries []bot.Entry
}

// collect reads what the query asks for: ?id= for one conversation, or
// ?since=&until= (days, inclusive) for the entries of that period, grouped
// by conversation.
func (c *Console) collect(r *http.Request) (sets []exportSet, name string, status int, err error) {
	v := r.URL.Query()
	ctx := r.Context()
	if s := v.Get("id"); s != "" {
		id, ok := parseID(s)
		if !ok {
			return nil, "", http.StatusBadRequest, errors.New("that is not a conversation id")
		}
		m, err := c.deps.Index.Meta(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			return nil, "", http.StatusNotFound, errors.New("no such conversation")
		}
		if err != nil {
			return nil, "", http.StatusInternalServerError, err
		}
		es, err := c.deps.Index.Transcript(ctx, id)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, "", http.StatusInternalServerError, err
		}
		return []exportSet{{m, es}}, "conversation-" + string(id.Platform()), 0, nil
	}
	since, until, err := period(v.Get("since"), v.Get("until"))
	if err != nil {
		return nil, "", http.StatusBadRequest, err
	}
	if since.IsZero() || until.IsZero() {
		return nil, "", http.StatusBadRequest, errors.New("give id=<conversation>, or since= and until= as YYYY-MM-DD")
	}
	ms, _, err := c.deps.Index.List(ctx, activeSince(since))
	if err != nil {
		return nil, "", http.StatusInternalServerError, err
	}
	for _, m := range ms {
		es, err := c.deps.Index.Transcript(ctx, m.ID)
		if errors.Is(err, bot.ErrNotFound) {
			continue // forgotten meanwhile
		}
		if err != nil {
			return nil, "", http.StatusInternalServerError, errors.New(redact(err, m.ID))
		}
		// Only the period's entries: a long conversation must not bring
		// its whole history into a one-day export.
		if es = inPeriod(es, since, until); len(es) > 0 {
			sets = append(sets, exportSet{m, es})
		}
	}
	return sets, "conversations-" + v.Get("since") + "-to-" + v.Get("until"), 0, nil
}

func (c *Console) export(w http.ResponseWriter, r *http.Request, s *session, format string) {
	sets, name, status, err := c.collect(r)
	if err != nil {
		if status == http.StatusInternalServerError {
			id, _ := parseID(r.URL.Query().Get("id"))
			c.log.Error("console: export", "err", redact(err, id))
			http.Error(w, "internal error", status)
			return
		}
		http.Error(w, err.Error(), status)
		return
	}
	c.withStaffData(r, sets)
	what := r.URL.Query().Get("id")
	if what == "" {
		what = r.URL.Query().Get("since") + ".." + r.URL.Query().Get("until")
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, "export "+format, "", exportDetail(what, len(sets)))
	h := w.Header()
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", safeFileName(name)+"."+format))
	switch format {
	case "jsonl":
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, set := range sets {
			for _, e := range set.entries {
				_ = enc.Encode(exportRow{set.meta.ID, set.meta.Platform, e})
			}
		}
		_ = bw.Flush()
	case "csv":
		h.Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(w)
		_ = cw.Write(csvHeader)
		for _, set := range sets {
			for _, e := range set.entries {
				_ = cw.Write(csvRecord(set.meta, e))
			}
		}
		cw.Flush()
	}
}

// Directions of the staff's own data in exports (never sent to the user).
const (
	dirNote        bot.Direction = "note"        // a private note
	dirAnnotations bot.Direction = "annotations" // labels, assignment, resolved
)

// withStaffData adds each conversation's private notes (as entries timed
// when they were written) and a summary of labels, assignment and
// resolution, so an export carries everything kept about the user.
func (c *Console) withStaffData(r *http.Request, sets []exportSet) {
	metas := make([]bot.Meta, len(sets))
	for i, set := range sets {
		metas[i] = set.meta
	}
	for i, a := range c.annotationsOf(r.Context(), metas) {
		for _, n := range a.Notes {
			sets[i].entries = append(sets[i].entries, bot.Entry{Time: n.Time, Dir: dirNote, Staff: n.Staff, Text: n.Text})
		}
		var parts []string
		if len(a.Labels) > 0 {
			parts = append(parts, "labels: "+strings.Join(a.Labels, ", "))
		}
		if a.Assignee != "" {
			parts = append(parts, "assigned to "+a.Assignee)
		}
		if a.Resolved != nil {
			parts = append(parts, "resolved by "+a.Resolved.By+" at "+a.Resolved.At.UTC().Format(time.RFC3339))
		}
		if len(parts) > 0 {
			sets[i].entries = append(sets[i].entries, bot.Entry{Time: c.cfg.Now(), Dir: dirAnnotations, Text: strings.Join(parts, "; ")})
		}
	}
}

// exportDetail names the export for the audit without a raw user id.
func exportDetail(what string, n int) string {
	if id, ok := parseID(what); ok {
		what = maskID(id)
	}
	return what + " (" + strconv.Itoa(n) + " conversations)"
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

var csvHeader = []string{"conversation", "platform", "time", "dir", "text", "choices", "from", "to", "kb", "event", "staff", "unrecognized"}

func csvRecord(m bot.Meta, e bot.Entry) []string {
	return []string{
		string(m.ID), string(m.Platform), e.Time.UTC().Format(time.RFC3339), string(e.Dir),
		cell(e.Text), cell(strings.Join(e.Choices, " | ")), e.StateBefore, e.StateAfter,
		e.KBVersion, e.EventID, e.Staff, strconv.FormatBool(e.Unrecognized),
	}
}

// cell defuses user text a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *Console) exportJSONL(w http.ResponseWriter, r *http.Request, s *session) {
	c.export(w, r, s, "jsonl")
}

func (c *Console) exportCSV(w http.ResponseWriter, r *http.Request, s *session) {
	c.export(w, r, s, "csv")
}
