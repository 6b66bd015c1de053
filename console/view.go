package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

var pageNames = []string{"login", "list", "conversation", "forget", "handoff", "insights", "try", "audit", "cases", "error", "off"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"time": fmtTime,
		"pct": func(f float64) string {
			return fmt.Sprintf("%.0f%%", f*100)
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets,
			"templates/layout.html", "templates/partials.html", "templates/lineview.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// pageData is what every page's layout sees.
type pageData struct {
	Page    string
	Staff   string
	CSRF    string
	Flash   *flash
	Data    any
	Waiting int    // people waiting for a person (the nav's counter)
	Conv    string // the open conversation, for the live updates
	Zone    string // the time zone times are shown in
	Live    bool   // the page follows the change feed
	Stream  string // its event stream, from the feed's position when the page was read
	Refresh int    // seconds until the page reloads itself (the outage page)
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data any) {
	pd := pageData{Page: name, Data: data, Live: c.deps.Feed != nil}
	if s != nil {
		pd.Staff, pd.CSRF, pd.Flash = s.staff, s.csrf, s.takeFlash()
		pd.Zone = c.zone(s).String()
		if name != "error" {
			pd.Waiting, _ = c.waiting(r.Context())
		}
	}
	if name == "conversation" {
		pd.Conv = r.PathValue("id")
	}
	if pos, ok := r.Context().Value(feedPosKey{}).(string); ok && pd.Live {
		pd.Stream = "/console/events?after=" + url.QueryEscape(pos)
	} else if pd.Live {
		pd.Stream = "/console/events"
	}
	if name == "error" && status == http.StatusServiceUnavailable {
		pd.Refresh, pd.Live = 5, false
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		c.log.Error("console: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail shows an error page. Internal causes go to the log, not to the page.
// A store outage becomes a 503 page that reloads itself until the store
// answers again.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, err error) {
	if err != nil {
		id := bot.ConversationID(r.PathValue("id"))
		c.log.Error("console: request failed", "path", logPath(r), "err", redact(err, id))
	}
	if status == http.StatusInternalServerError && errors.Is(err, bot.ErrUnavailable) {
		status, msg = http.StatusServiceUnavailable, outageMessage
		w.Header().Set("Retry-After", "5")
	}
	c.render(w, r, status, "error", s, map[string]any{"Status": status, "Message": msg})
}

// outageMessage is the page staff see while the store is down.
const outageMessage = "The conversation store is not reachable; retrying. This page reloads by itself every few seconds and shows the page you asked for as soon as the store answers again."

// when is a time as pages show it: in the staff member's time zone, with
// the ISO form (offset included) on hover.
type when struct {
	Text string
	ISO  string
}

func (c *Console) when(s *session, t time.Time) when {
	if t.IsZero() {
		return when{}
	}
	lt := t.In(c.zone(s))
	return when{Text: lt.Format("2006-01-02 15:04:05"), ISO: lt.Format(time.RFC3339)}
}

// zone is the staff member's time zone, else the console's.
func (c *Console) zone(s *session) *time.Location {
	if s != nil {
		if z := c.cfg.Zones[s.staff]; z != nil {
			return z
		}
	}
	return c.cfg.Location
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// maskID shortens the user part of a conversation id so it cannot be
// copied into a platform: "line:U206d…b8".
func maskID(id bot.ConversationID) string {
	if id == "" {
		return ""
	}
	u := []rune(id.UserID())
	switch {
	case len(u) > 8:
		return string(id.Platform()) + ":" + string(u[:4]) + "…" + string(u[len(u)-2:])
	case len(u) > 0:
		return string(id.Platform()) + ":" + string(u[:1]) + "…"
	}
	return string(id.Platform()) + ":…"
}

// maskSegment masks a raw id taken from a URL, valid or not.
func maskSegment(s string) string {
	if id, ok := parseID(s); ok {
		return maskID(id)
	}
	if r, _ := utf8.DecodeRuneInString(s); s != "" {
		return string(r) + "…"
	}
	return ""
}

// logPath is the request path as logs may show it: a conversation id in it
// is masked like the pages mask it.
func logPath(r *http.Request) string {
	p := r.URL.Path
	if id := r.PathValue("id"); id != "" {
		return strings.Replace(p, id, maskSegment(id), 1)
	}
	// Not routed to a conversation (yet): mask whatever follows the prefix.
	const conv = "/console/conversations/"
	rest, ok := strings.CutPrefix(p, conv)
	if !ok || rest == "" {
		return p
	}
	seg, tail, slash := strings.Cut(rest, "/")
	p = conv + maskSegment(seg)
	if slash {
		p += "/" + tail
	}
	return p
}

// redact is err's text for a log line, with the conversation's raw id and
// user id masked: store and platform errors may quote them.
func redact(err error, id bot.ConversationID) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if id == "" {
		return s
	}
	s = strings.ReplaceAll(s, string(id), maskID(id))
	s = strings.ReplaceAll(s, url.PathEscape(string(id)), maskID(id))
	if u := id.UserID(); len(u) >= 4 {
		_, masked, _ := strings.Cut(maskID(id), ":")
		s = strings.ReplaceAll(s, u, masked)
	}
	return s
}

// maskName keeps a display name's first letter.
func maskName(name string) string {
	if name == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r) + "…"
}

// convRef is how pages show and link a conversation.
type convRef struct {
	ID    string // raw, for form values
	URL   string // the conversation page
	Label string // the id, masked unless ids are shown
	Name  string // display name, masked likewise
}

func ref(id bot.ConversationID, name string, show bool) convRef {
	if id == "" {
		return convRef{}
	}
	r := convRef{ID: string(id), URL: convURL(id, show), Label: maskID(id), Name: maskName(name)}
	if show {
		r.Label, r.Name = string(id), name
	}
	return r
}

func convURL(id bot.ConversationID, show bool) string {
	u := "/console/conversations/" + url.PathEscape(string(id))
	if show {
		u += "?ids=1"
	}
	return u
}

// parseID validates a conversation id from a URL or form.
func parseID(s string) (bot.ConversationID, bool) {
	p, u, ok := strings.Cut(s, ":")
	if !ok || p == "" || u == "" || len(s) > 256 || !utf8.ValidString(s) {
		return "", false
	}
	return bot.ConversationID(s), true
}

// parseDay reads a YYYY-MM-DD date (UTC).
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: use YYYY-MM-DD", s)
	}
	return t, nil
}
