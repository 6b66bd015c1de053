package console

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"example.com/sswbot/bot"
)

// auditSize is how many audit lines the store keeps.
const auditSize = 1000

// auditLine is one staff action.
type auditLine struct {
	Time         time.Time          `json:"t"`
	Staff        string             `json:"staff"`
	Action       string             `json:"action"`
	Conversation bot.ConversationID `json:"conv,omitempty"` // may be empty
	Detail       string             `json:"detail,omitempty"`
}

// auditLog keeps the last staff actions of every console process in the
// StaffStore, for the Audit page; the log has them too (and, for
// conversation actions, the transcript).
type auditLog struct {
	store StaffStore
	keep  int
}

// add records an action and logs it. The log gets the masked conversation
// id only: raw user ids stay out of logs. The page does not wait for a
// store that is down: the line is then only in the log.
func (a *auditLog) add(log *slog.Logger, now time.Time, staff, action string, id bot.ConversationID, detail string) {
	log.Info("console: staff action", "staff", staff, "action", action,
		"conversation", maskID(id), "detail", detail, "time", now.UTC())
	raw, _ := json.Marshal(auditLine{Time: now, Staff: staff, Action: action, Conversation: id, Detail: detail})
	ctx, cancel := context.WithTimeout(context.Background(), staffStoreTimeout)
	defer cancel()
	if err := a.store.AddAudit(ctx, raw, a.keep); err != nil {
		log.Warn("console: audit line not stored (it is in this log)", "action", action, "err", err)
	}
}

// recent returns up to n lines, newest first.
func (a *auditLog) recent(ctx context.Context, n int) ([]auditLine, error) {
	raws, err := a.store.Audit(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]auditLine, 0, len(raws))
	for _, raw := range raws {
		var l auditLine
		if json.Unmarshal(raw, &l) == nil {
			out = append(out, l)
		}
	}
	return out, nil
}

// auditPageSize is how many lines the Audit page shows.
const auditPageSize = 200

type auditView struct {
	Time   when
	Staff  string
	Action string
	Conv   convRef
	Detail string
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	show := r.URL.Query().Get("ids") == "1"
	var rows []auditView
	lines, err := c.audit.recent(r.Context(), auditPageSize)
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The audit log is unavailable right now.", err)
		return
	}
	for _, l := range lines {
		rows = append(rows, auditView{
			Time: c.when(s, l.Time), Staff: l.Staff, Action: l.Action,
			Conv: ref(l.Conversation, "", show), Detail: l.Detail,
		})
	}
	c.render(w, r, http.StatusOK, "audit", s, map[string]any{"Rows": rows, "ShowIDs": show})
}
