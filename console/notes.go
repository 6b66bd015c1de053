package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

// Notes keeps the staff's own data on a conversation (notes, labels,
// assignment, resolved, who has read how far) in the store beside the
// conversation: it expires with the transcript and Forget erases it. The
// store sees opaque bytes; the console owns their format.
type Notes interface {
	Annotations(ctx context.Context, ids ...bot.ConversationID) ([][]byte, error)
	Annotate(ctx context.Context, id bot.ConversationID, update func(old []byte) ([]byte, error)) error
	// LastEntries is the newest transcript entry of each conversation.
	LastEntries(ctx context.Context, ids ...bot.ConversationID) ([]bot.Entry, error)
}

const (
	maxNotes     = 200
	maxNoteText  = 2000
	maxLabels    = 10
	maxLabelText = 32
)

// annotations is the stored form.
type annotations struct {
	Notes    []note         `json:"notes,omitempty"`
	Labels   []string       `json:"labels,omitempty"`
	Assignee string         `json:"assignee,omitempty"`
	Resolved *stamp         `json:"resolved,omitempty"`
	Seen     map[string]int `json:"seen,omitempty"` // staff → Meta.Turns when they last looked
}

// note is a private remark of a staff member; it is never sent.
type note struct {
	Time  time.Time `json:"t"`
	Staff string    `json:"staff"`
	Text  string    `json:"text"`
}

type stamp struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// resolved reports whether a person marked the conversation resolved after
// its last activity: a new message from the user reopens it.
func (a annotations) resolved(m bot.Meta) bool {
	return a.Resolved != nil && !a.Resolved.At.Before(m.LastActive)
}

// unread is how many turns staff has not seen yet.
func (a annotations) unread(m bot.Meta, staff string) int {
	return max(0, m.Turns-a.Seen[staff])
}

func decodeAnnotations(b []byte) annotations {
	var a annotations
	if len(b) > 0 {
		_ = json.Unmarshal(b, &a) // unreadable notes read as none rather than block the page
	}
	return a
}

// annotationsOf reads the annotations of ms; a store error reads as none
// (the pages still work, without badges).
func (c *Console) annotationsOf(ctx context.Context, ms []bot.Meta) []annotations {
	out := make([]annotations, len(ms))
	if c.deps.Notes == nil || len(ms) == 0 {
		return out
	}
	ids := make([]bot.ConversationID, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	raws, err := c.deps.Notes.Annotations(ctx, ids...)
	if err != nil {
		c.log.Warn("console: load annotations", "err", err)
		return out
	}
	for i := range raws {
		out[i] = decodeAnnotations(raws[i])
	}
	return out
}

// annotate applies change to a conversation's annotations and tells the
// other console processes.
func (c *Console) annotate(ctx context.Context, id bot.ConversationID, change func(a *annotations) error) error {
	if c.deps.Notes == nil {
		return errors.New("console: staff tools need a store with annotations")
	}
	err := c.deps.Notes.Annotate(ctx, id, func(old []byte) ([]byte, error) {
		a := decodeAnnotations(old)
		if err := change(&a); err != nil {
			return nil, err
		}
		return json.Marshal(a)
	})
	return err
}

// markSeen records that staff has seen the conversation up to turns.
func (c *Console) markSeen(ctx context.Context, id bot.ConversationID, staff string, turns int) {
	if c.deps.Notes == nil {
		return
	}
	err := c.annotate(ctx, id, func(a *annotations) error {
		if a.Seen[staff] >= turns {
			return errUnchanged
		}
		if a.Seen == nil {
			a.Seen = map[string]int{}
		}
		a.Seen[staff] = turns
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		c.log.Warn("console: mark seen", "conversation", maskID(id), "err", redact(err, id))
	}
}

var errUnchanged = errors.New("unchanged")

// toolAction runs one staff tool's change and answers like every action:
// a flash and back to the conversation.
func (c *Console) toolAction(w http.ResponseWriter, r *http.Request, s *session, what string, change func(a *annotations) (detail, done string, err error)) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	var detail, done string
	err := c.annotate(r.Context(), id, func(a *annotations) error {
		var err error
		detail, done, err = change(a)
		return err
	})
	var bad badInput
	switch {
	case errors.As(err, &bad):
		s.setFlash(bad.msg+" Nothing changed.", true)
	case errors.Is(err, errUnchanged):
		s.setFlash("Nothing to change.", false)
	case err != nil:
		c.actionFailed(w, r, s, id, what, err)
		return
	default:
		c.audit.add(c.log, c.cfg.Now(), s.staff, what, id, detail)
		c.publish(r.Context(), id)
		s.setFlash(done, false)
	}
	back(w, r, id)
}

// badInput is a refusal the staff member can fix.
type badInput struct{ msg string }

func (b badInput) Error() string { return b.msg }

func (c *Console) addNote(w http.ResponseWriter, r *http.Request, s *session) {
	text := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n"))
	c.toolAction(w, r, s, "note", func(a *annotations) (string, string, error) {
		switch {
		case text == "":
			return "", "", badInput{"Write the note first."}
		case utf8.RuneCountInString(text) > maxNoteText:
			return "", "", badInput{fmt.Sprintf("The note is too long (at most %d characters).", maxNoteText)}
		case len(a.Notes) >= maxNotes:
			return "", "", badInput{fmt.Sprintf("This conversation has %d notes, the most it can keep.", maxNotes)}
		}
		a.Notes = append(a.Notes, note{Time: c.cfg.Now(), Staff: s.staff, Text: text})
		return "", "Note saved (only staff see it).", nil
	})
}

// parseLabels reads "visa, urgent" into clean, unique labels.
func parseLabels(s string) ([]string, error) {
	var out []string
	for l := range strings.SplitSeq(s, ",") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || slices.Contains(out, l) {
			continue
		}
		if utf8.RuneCountInString(l) > maxLabelText || !utf8.ValidString(l) {
			return nil, badInput{fmt.Sprintf("A label has at most %d characters.", maxLabelText)}
		}
		out = append(out, l)
	}
	if len(out) > maxLabels {
		return nil, badInput{fmt.Sprintf("At most %d labels.", maxLabels)}
	}
	return out, nil
}

func (c *Console) setLabels(w http.ResponseWriter, r *http.Request, s *session) {
	labels, err := parseLabels(r.PostFormValue("labels"))
	c.toolAction(w, r, s, "labels", func(a *annotations) (string, string, error) {
		if err != nil {
			return "", "", err
		}
		if slices.Equal(a.Labels, labels) {
			return "", "", errUnchanged
		}
		a.Labels = labels
		return strings.Join(labels, ", "), "Labels saved.", nil
	})
}

func (c *Console) assign(w http.ResponseWriter, r *http.Request, s *session) {
	to := r.PostFormValue("to")
	c.toolAction(w, r, s, "assign", func(a *annotations) (string, string, error) {
		if _, ok := c.cfg.Users[to]; to != "" && !ok {
			return "", "", badInput{"There is no staff member of that name."}
		}
		if a.Assignee == to {
			return "", "", errUnchanged
		}
		a.Assignee = to
		if to == "" {
			return "nobody", "Nobody is assigned now.", nil
		}
		return to, "Assigned to " + to + ".", nil
	})
}

func (c *Console) resolve(w http.ResponseWriter, r *http.Request, s *session) {
	reopen := r.PostFormValue("reopen") != ""
	c.toolAction(w, r, s, "resolve", func(a *annotations) (string, string, error) {
		if reopen {
			if a.Resolved == nil {
				return "", "", errUnchanged
			}
			a.Resolved = nil
			return "reopened", "Reopened.", nil
		}
		a.Resolved = &stamp{By: s.staff, At: c.cfg.Now()}
		return "resolved", "Marked resolved: it leaves the waiting list until the user writes again.", nil
	})
}
