package console

import (
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"example.com/sswbot/bot"
)

const auditSize = 200

// auditLine is one staff action.
type auditLine struct {
	Time         time.Time
	Staff        string
	Action       string
	Conversation bot.ConversationID // may be empty
	Detail       string
}

// auditLog keeps the last staff actions for the Audit page; the durable
// record is the log (and, for conversation actions, the transcript).
type auditLog struct {
	mu    sync.Mutex
	lines []auditLine
	next  int
	full  bool
}

func newAuditLog(n int) *auditLog { return &auditLog{lines: make([]auditLine, n)} }

// add records an action and logs it. The log gets the masked conversation
// id only: raw user ids stay out of logs.
func (a *auditLog) add(log *slog.Logger, now time.Time, staff, action string, id bot.ConversationID, detail string) {
	log.Info("console: staff action", "staff", staff, "action", action,
		"conversation", maskID(id), "detail", detail, "time", now.UTC())
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lines[a.next] = auditLine{Time: now, Staff: staff, Action: action, Conversation: id, Detail: detail}
	a.next = (a.next + 1) % len(a.lines)
	if a.next == 0 {
		a.full = true
	}
}

// recent returns the lines, newest first.
func (a *auditLog) recent() []auditLine {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []auditLine
	if a.full {
		out = append(out, a.lines[a.next:]...)
	}
	out = append(out, a.lines[:a.next]...)
	slices.Reverse(out)
	return out
}

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
	for _, l := range c.audit.recent() {
		rows = append(rows, auditView{
			Time: c.when(s, l.Time), Staff: l.Staff, Action: l.Action,
			Conv: ref(l.Conversation, "", show), Detail: l.Detail,
		})
	}
	c.render(w, r, http.StatusOK, "audit", s, map[string]any{"Rows": rows, "ShowIDs": show})
}
