package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

const (
	pageSize       = 50
	missesFlag     = 3 // Meta.Misses from which a conversation is flagged
	maxStaffText   = bot.MaxText
	maxQueryLength = 200
)

var platforms = []bot.Platform{bot.LINE, bot.Telegram, bot.Console, bot.CLI}

// langs are the filter's choices; an unlisted code still works in the URL.
var langs = []string{"ja", "en", "ru", "ky"}

type flagView struct {
	Text  string
	Class string
}

type row struct {
	Ref      convRef
	Platform string
	Lang     string
	Role     string
	Location string
	Route    string
	Step     string
	Last     when
	Rel      string // "5 min ago"
	Flags    []flagView
	Preview  string // the newest entry, shortened
	Who      string // who wrote it: "user", "bot", "staff aiko"
	Unread   int
	Labels   []string
	Assignee string
}

func flags(m bot.Meta, a annotations, me string) []flagView {
	var fs []flagView
	switch {
	case m.Owner == me && me != "":
		fs = append(fs, flagView{"owned by me", "flag-mine"})
	case m.Owner != "":
		fs = append(fs, flagView{"owned by " + m.Owner, "flag-owned"})
	case a.resolved(m):
		fs = append(fs, flagView{"resolved", "flag-done"})
	case m.Handoff:
		fs = append(fs, flagView{"waiting for a person", "flag-handoff"})
	}
	if a.Assignee != "" && a.Assignee != m.Owner {
		fs = append(fs, flagView{"assigned to " + a.Assignee, "flag-assigned"})
	}
	if m.Misses >= missesFlag {
		fs = append(fs, flagView{strconv.Itoa(m.Misses) + " misunderstandings", "flag-misses"})
	}
	if m.Inactive {
		fs = append(fs, flagView{"inactive/blocked", "flag-inactive"})
	}
	if m.Finished {
		fs = append(fs, flagView{"finished", "flag-done"})
	}
	return fs
}

func step(m bot.Meta) string {
	if m.Step != "" {
		return fmt.Sprintf("%s (%d/%d)", m.Step, m.StepN, m.StepTotal)
	}
	return m.State
}

// rowOf is one conversation as lists show it, for staff member s.
func (c *Console) rowOf(s *session, m bot.Meta, a annotations, last bot.Entry, show bool) row {
	me := ""
	if s != nil {
		me = s.staff
	}
	r := row{
		Ref: ref(m.ID, m.DisplayName, show), Platform: string(m.Platform), Lang: m.Lang,
		Role: m.Role, Location: m.Location, Route: m.Route, Step: step(m),
		Last: c.when(s, m.LastActive), Rel: relative(c.cfg.Now(), m.LastActive), Flags: flags(m, a, me),
		Labels: a.Labels, Assignee: a.Assignee,
	}
	if last.Dir != "" {
		r.Preview, r.Who = preview(last.Text), who(last)
	}
	// Unread counts where a person is involved: the bot answers the rest.
	if me != "" && (m.Handoff && m.Owner == "" && !a.resolved(m) || m.Owner == me || a.Assignee == me) {
		r.Unread = a.unread(m, me)
	}
	return r
}

// rows builds the rows of ms with their annotations and previews.
func (c *Console) rows(ctx context.Context, s *session, ms []bot.Meta, show bool) []row {
	as := c.annotationsOf(ctx, ms)
	lasts := make([]bot.Entry, len(ms))
	if c.deps.Notes != nil && len(ms) > 0 {
		ids := make([]bot.ConversationID, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		if es, err := c.deps.Notes.LastEntries(ctx, ids...); err == nil {
			lasts = es
		}
	}
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = c.rowOf(s, m, as[i], lasts[i], show)
	}
	return out
}

func who(e bot.Entry) string {
	switch e.Dir {
	case bot.In:
		return "user"
	case bot.Out:
		return "bot"
	case bot.Staff:
		return "staff " + e.Staff
	}
	return "system"
}

// preview is the first line of a text, cut to 90 characters.
func preview(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 90 {
		return string(r[:89]) + "…"
	}
	return s
}

// relative says how long ago t was, roughly.
func relative(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
	return t.Format("2006-01")
}

// listQuery is the conversation list's query string, parsed.
type listQuery struct {
	Platform, Lang, Q, Since, Until string
	Handoff, Owned, Inactive        bool
	View                            string // "", "waiting" or "mine"
	ShowIDs                         bool
	Page                            int
}

// platformAndLang puts a page's platform and language filters into f. An
// unknown platform or a language that is no code is reported in errs and
// dropped, so the page shows all.
func platformAndLang(platform, lang *string, f *bot.Filter, errs []error) []error {
	if *platform != "" && !slices.Contains(platforms, bot.Platform(*platform)) {
		errs = append(errs, fmt.Errorf("unknown platform %q", *platform))
		*platform = ""
	}
	f.Platform = bot.Platform(*platform)
	if len(*lang) > 8 {
		errs = append(errs, errors.New("language: use a code like ja or ru"))
		*lang = ""
	}
	f.Lang = *lang
	return errs
}

func parseListQuery(v url.Values) (listQuery, bot.Filter, error) {
	q := listQuery{
		Platform: v.Get("platform"), Lang: v.Get("lang"), Q: strings.TrimSpace(v.Get("q")),
		Since: v.Get("since"), Until: v.Get("until"),
		Handoff: v.Get("handoff") != "", Owned: v.Get("owned") != "", Inactive: v.Get("inactive") != "",
		ShowIDs: v.Get("ids") == "1", Page: 1,
	}
	f := bot.Filter{Handoff: q.Handoff, Owned: q.Owned, Inactive: q.Inactive}
	var errs []error
	switch view := v.Get("view"); view {
	case "", "all":
	case "waiting", "mine":
		q.View = view
	default:
		errs = append(errs, fmt.Errorf("unknown view %q", view))
	}
	errs = platformAndLang(&q.Platform, &q.Lang, &f, errs)
	if utf8.RuneCountInString(q.Q) > maxQueryLength {
		errs = append(errs, fmt.Errorf("search text: at most %d characters", maxQueryLength))
		q.Q = ""
	}
	f.Query = q.Q
	since, until, err := period(q.Since, q.Until)
	if err != nil {
		errs = append(errs, err)
		q.Since, q.Until = "", ""
	} else {
		f.Since, f.Until = since, until
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			errs = append(errs, errors.New("page: a positive number"))
		} else {
			q.Page = n
		}
	}
	f.Offset, f.Limit = (q.Page-1)*pageSize, pageSize
	return q, f, errors.Join(errs...)
}

// period parses an inclusive day range into [since, until).
func period(sinceS, untilS string) (since, until time.Time, err error) {
	if since, err = parseDay(sinceS); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("from: %w", err)
	}
	if until, err = parseDay(untilS); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("to: %w", err)
	}
	if !until.IsZero() {
		until = until.Add(24 * time.Hour)
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return time.Time{}, time.Time{}, errors.New("the period ends before it starts")
	}
	return since, until, nil
}

func (q listQuery) values(page int) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("view", q.View)
	set("platform", q.Platform)
	set("lang", q.Lang)
	set("q", q.Q)
	set("since", q.Since)
	set("until", q.Until)
	if q.Handoff {
		v.Set("handoff", "1")
	}
	if q.Owned {
		v.Set("owned", "1")
	}
	if q.Inactive {
		v.Set("inactive", "1")
	}
	if q.ShowIDs {
		v.Set("ids", "1")
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

func (q listQuery) url(page int, show bool) string {
	q.ShowIDs = show
	if e := q.values(page).Encode(); e != "" {
		return "/console/conversations?" + e
	}
	return "/console/conversations"
}

func (c *Console) listPage(w http.ResponseWriter, r *http.Request, s *session) {
	q, f, qerr := parseListQuery(r.URL.Query())
	var ms []bot.Meta
	var total int
	var err error
	if q.View == "" {
		ms, total, err = c.deps.Index.List(r.Context(), f)
	} else {
		ms, total, err = c.view(r.Context(), s, q.View, f)
	}
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The conversation list is unavailable right now.", err)
		return
	}
	pages := max(1, (total+pageSize-1)/pageSize)
	data := map[string]any{
		"Q": q, "Rows": c.rows(r.Context(), s, ms, q.ShowIDs), "Total": total, "Page": q.Page, "Pages": pages,
		"Platforms": platforms, "Langs": langs, "ToggleIDs": q.url(q.Page, !q.ShowIDs),
	}
	views := []map[string]any{}
	for _, v := range []struct{ id, label string }{{"", "All"}, {"waiting", "Waiting for a person"}, {"mine", "Mine"}} {
		vq := q
		vq.View, vq.Page = v.id, 1
		views = append(views, map[string]any{"Label": v.label, "URL": vq.url(1, q.ShowIDs), "Current": q.View == v.id})
	}
	data["Views"] = views
	if q.Page > 1 {
		data["Prev"] = q.url(q.Page-1, q.ShowIDs)
	}
	if q.Page < pages {
		data["Next"] = q.url(q.Page+1, q.ShowIDs)
	}
	if qerr != nil {
		data["QueryError"] = qerr.Error()
	}
	c.render(w, r, http.StatusOK, "list", s, data)
}

// view lists the waiting conversations (asked for a person, nobody took
// them, not resolved) or the staff member's own (owned by or assigned to
// them, among those waiting or owned), paged like the store pages.
func (c *Console) view(ctx context.Context, s *session, view string, f bot.Filter) ([]bot.Meta, int, error) {
	offset, limit := f.Offset, f.Limit
	f.Offset, f.Limit = 0, 0
	hf := f
	hf.Handoff = true
	ms, _, err := c.deps.Index.List(ctx, hf)
	if err != nil {
		return nil, 0, err
	}
	if view == "mine" {
		of := f
		of.Owned = true
		owned, _, err := c.deps.Index.List(ctx, of)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range owned {
			if !slices.ContainsFunc(ms, func(x bot.Meta) bool { return x.ID == m.ID }) {
				ms = append(ms, m)
			}
		}
		slices.SortStableFunc(ms, func(a, b bot.Meta) int { return b.LastActive.Compare(a.LastActive) })
	}
	as := c.annotationsOf(ctx, ms)
	var out []bot.Meta
	for i, m := range ms {
		switch view {
		case "waiting":
			if m.Owner == "" && !as[i].resolved(m) {
				out = append(out, m)
			}
		case "mine":
			if m.Owner == s.staff || as[i].Assignee == s.staff {
				out = append(out, m)
			}
		}
	}
	total := len(out)
	out = out[min(offset, total):]
	return out[:min(limit, len(out))], total, nil
}

// bubble is one transcript entry on a page.
type bubble struct {
	Class   string
	Who     string
	Time    when
	Text    string
	Choices []string
	States  string
	KB      string
	Unrec   bool
}

func (c *Console) bubbles(s *session, es []bot.Entry) []bubble {
	out := make([]bubble, 0, len(es))
	for _, e := range es {
		b := bubble{Class: "b-" + string(e.Dir), Time: c.when(s, e.Time), Text: e.Text, Choices: e.Choices, KB: e.KBVersion, Unrec: e.Unrecognized, Who: who(e)}
		if e.StateBefore != "" || e.StateAfter != "" {
			b.States = e.StateBefore + " → " + e.StateAfter
		}
		out = append(out, b)
	}
	return out
}

// convID reads and checks the {id} path value, answering 400 when it is bad.
func (c *Console) convID(w http.ResponseWriter, r *http.Request, s *session) (bot.ConversationID, bool) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		c.fail(w, r, s, http.StatusBadRequest, "That is not a conversation id.", nil)
	}
	return id, ok
}

func (c *Console) conversationPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	show := r.URL.Query().Get("ids") == "1"
	m, err := c.deps.Index.Meta(r.Context(), id)
	if errors.Is(err, bot.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "No such conversation (it may have been forgotten or expired).", nil)
		return
	}
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The conversation is unavailable right now.", err)
		return
	}
	es, err := c.deps.Index.Transcript(r.Context(), id)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		c.fail(w, r, s, http.StatusInternalServerError, "The transcript is unavailable right now.", err)
		return
	}
	a := c.annotationsOf(r.Context(), []bot.Meta{m})[0]
	c.markSeen(r.Context(), id, s.staff, m.Turns)
	var last bot.Entry
	if len(es) > 0 {
		last = es[len(es)-1]
	}
	var notes []map[string]any
	for _, n := range a.Notes {
		notes = append(notes, map[string]any{"Staff": n.Staff, "Time": c.when(s, n.Time), "Text": n.Text})
	}
	var staff []string
	for name := range c.cfg.Users {
		staff = append(staff, name)
	}
	slices.Sort(staff)
	canned := c.cfg.Canned[m.Lang]
	draft := ""
	if i, err := strconv.Atoi(r.URL.Query().Get("canned")); err == nil && i >= 0 && i < len(canned) {
		draft = canned[i].Text // without JavaScript, a canned reply comes in through the URL
	}
	var cannedRefs []map[string]any
	for i, cr := range canned {
		cannedRefs = append(cannedRefs, map[string]any{"Title": cr.Title, "Text": cr.Text, "URL": convURL(id, show) + sep(show) + "canned=" + strconv.Itoa(i) + "#composer"})
	}
	toggle := convURL(id, !show)
	c.render(w, r, http.StatusOK, "conversation", s, map[string]any{
		"Row": c.rowOf(s, m, a, last, show), "Meta": m, "Started": c.when(s, m.Started), "Bubbles": c.bubbles(s, es),
		"Path": convURL(id, false), "ToggleIDs": toggle, "ShowIDs": show,
		"Mine": m.Owner == s.staff, "Notes": notes, "Labels": strings.Join(a.Labels, ", "),
		"Assignee": a.Assignee, "Staff": staff, "Resolved": a.resolved(m), "ResolvedBy": a.Resolved,
		"Canned": cannedRefs, "Draft": draft, "LangName": langName(m.Lang), "Zone": c.zone(s).String(),
		"Tools": c.deps.Notes != nil,
	})
}

func sep(show bool) string {
	if show {
		return "&"
	}
	return "?"
}

// langName names a user's language for the composer.
func langName(code string) string {
	switch code {
	case "ja":
		return "Japanese (ja)"
	case "en":
		return "English (en)"
	case "ru":
		return "Russian (ru)"
	case "ky":
		return "Kyrgyz (ky)"
	case "":
		return "not chosen yet"
	}
	return code
}

// back sends the browser to the conversation page after an action.
func back(w http.ResponseWriter, r *http.Request, id bot.ConversationID) {
	http.Redirect(w, r, convURL(id, false), http.StatusSeeOther)
}

// ownerOf reads who owns the conversation now; false means the answer was
// already sent.
func (c *Console) ownerOf(w http.ResponseWriter, r *http.Request, s *session, id bot.ConversationID, what string) (string, bool) {
	m, err := c.deps.Index.Meta(r.Context(), id)
	if err != nil {
		c.actionFailed(w, r, s, id, what, err)
		return "", false
	}
	return m.Owner, true
}

// conflict refuses an action on a conversation someone else owns.
func (c *Console) conflict(w http.ResponseWriter, r *http.Request, s *session, id bot.ConversationID, msg string) {
	c.render(w, r, http.StatusConflict, "error", s, map[string]any{
		"Status": http.StatusConflict, "Message": msg, "Back": convURL(id, false),
	})
}

// takeOver makes the staff member the owner. Taking a conversation away
// from another staff member needs the form's from=<owner> confirmation,
// so nobody loses a conversation to a stale page or a double click.
func (c *Console) takeOver(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	defer c.locks.lock(id)()
	owner, ok := c.ownerOf(w, r, s, id, "take over")
	if !ok {
		return
	}
	action := "take over"
	switch from := r.PostFormValue("from"); {
	case owner == s.staff:
		s.setFlash("You already own this conversation.", false)
		back(w, r, id)
		return
	case owner != "" && from != owner:
		c.conflict(w, r, s, id, owner+" owns this conversation now, so nothing changed. "+
			"To take it over anyway, open the conversation and use \"Take over from "+owner+"\".")
		return
	case owner != "":
		action = "take over from " + owner
	}
	notice, err := c.deps.Bot.TakeOver(r.Context(), id, s.staff)
	c.ownerChanged(w, r, s, id, ownerChange{what: "take over", audit: action, notice: notice, err: err,
		sent:   "You own the conversation now; the bot stays silent until you hand it back.",
		unsent: "You own the conversation now"})
}

// ownerChange is a take-over or hand-back bot made (or failed to make):
// the user's notice and what the staff member is told.
type ownerChange struct {
	what   string // the action, for errors and logs: "take over"
	audit  string // the action, for the audit log: "take over from aiko"
	notice string // bot's notice to the user
	err    error
	sent   string // the flash when the notice went out
	unsent string // what changed, the flash's start when it did not
}

// ownerChanged records a change of owner in the audit log, sends the user
// its notice and tells the staff member; a failed change changes nothing.
func (c *Console) ownerChanged(w http.ResponseWriter, r *http.Request, s *session, id bot.ConversationID, ch ownerChange) {
	if ch.err != nil {
		c.actionFailed(w, r, s, id, ch.what, ch.err)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, ch.audit, id, "")
	if err := c.deps.Pusher.Push(r.Context(), id, ch.notice); err != nil {
		c.log.Warn("console: push "+strings.ReplaceAll(ch.what, " ", "-")+" notice", "conversation", maskID(id), "err", redact(err, id))
		s.setFlash(ch.unsent+", but the notice could not be sent to the user: "+pushFailure(err), true)
	} else {
		s.setFlash(ch.sent, false)
	}
	back(w, r, id)
}

// notOwner explains why only the owner may reply or hand back.
func notOwner(owner, what string) string {
	if owner == "" {
		return "Nobody owns this conversation, so you cannot " + what + ": take it over first. Nothing changed."
	}
	return owner + " owns this conversation: only " + owner + " can " + what + ". Nothing changed. " +
		"If " + owner + " is away, take the conversation over from them first."
}

func (c *Console) handBack(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	defer c.locks.lock(id)()
	owner, ok := c.ownerOf(w, r, s, id, "hand back")
	if !ok {
		return
	}
	if owner != s.staff {
		c.conflict(w, r, s, id, notOwner(owner, "hand it back"))
		return
	}
	notice, err := c.deps.Bot.HandBack(r.Context(), id, s.staff)
	c.ownerChanged(w, r, s, id, ownerChange{what: "hand back", audit: "hand back", notice: notice, err: err,
		sent: "Handed back: the bot answers again.", unsent: "The bot answers again"})
}

func (c *Console) reply(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	text := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"))
	switch {
	case text == "":
		s.setFlash("Write a message first.", true)
		back(w, r, id)
		return
	case utf8.RuneCountInString(text) > maxStaffText:
		s.setFlash(fmt.Sprintf("The message is too long (at most %d characters); nothing was sent.", maxStaffText), true)
		back(w, r, id)
		return
	}
	defer c.locks.lock(id)()
	owner, ok := c.ownerOf(w, r, s, id, "reply")
	if !ok {
		return
	}
	if owner != s.staff {
		// Unowned, the bot would talk over the reply; owned by someone
		// else, two people would.
		c.conflict(w, r, s, id, strings.Replace(notOwner(owner, "reply"), "Nothing changed.", "Nothing was sent.", 1))
		return
	}
	// Send first: a reply the user never got must not appear as sent.
	if err := c.deps.Pusher.Push(r.Context(), id, text); err != nil {
		c.log.Warn("console: push staff reply", "conversation", maskID(id), "err", redact(err, id))
		s.setFlash("The message could not be sent, nothing was recorded: "+pushFailure(err), true)
		back(w, r, id)
		return
	}
	if err := c.deps.Bot.StaffReply(r.Context(), id, s.staff, text); err != nil {
		c.log.Error("console: record staff reply", "conversation", maskID(id), "err", redact(err, id))
		s.setFlash("The message was sent but could not be recorded in the transcript.", true)
		back(w, r, id)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, "reply", id, "")
	s.setFlash("Sent.", false)
	back(w, r, id)
}

// actionFailed explains a failed conversation action.
func (c *Console) actionFailed(w http.ResponseWriter, r *http.Request, s *session, id bot.ConversationID, what string, err error) {
	if errors.Is(err, bot.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "No such conversation (it may have been forgotten or expired).", nil)
		return
	}
	c.log.Error("console: "+what, "conversation", maskID(id), "err", redact(err, id))
	s.setFlash("Could not "+what+" right now; nothing changed. Try again.", true)
	back(w, r, id)
}

func (c *Console) forgetPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	m, err := c.deps.Index.Meta(r.Context(), id)
	if errors.Is(err, bot.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "No such conversation (it may have been forgotten or expired).", nil)
		return
	}
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The conversation is unavailable right now.", err)
		return
	}
	c.render(w, r, http.StatusOK, "forget", s, map[string]any{"Row": c.rowOf(s, m, annotations{}, bot.Entry{}, false), "Path": convURL(id, false)})
}

func (c *Console) forget(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := c.convID(w, r, s)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.setFlash("Nothing was erased: tick the confirmation first.", true)
		http.Redirect(w, r, convURL(id, false)+"/forget", http.StatusSeeOther)
		return
	}
	if err := c.deps.Bot.Forget(r.Context(), id); err != nil {
		c.actionFailed(w, r, s, id, "forget the user", err)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, "forget", id, "")
	s.setFlash("Everything kept about "+maskID(id)+" was erased.", false)
	http.Redirect(w, r, "/console/conversations", http.StatusSeeOther)
}

func (c *Console) handoffPage(w http.ResponseWriter, r *http.Request, s *session) {
	show := r.URL.Query().Get("ids") == "1"
	waiting, _, err := c.view(r.Context(), s, "waiting", bot.Filter{Limit: 1000})
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The handoff queue is unavailable right now.", err)
		return
	}
	owned, _, err := c.deps.Index.List(r.Context(), bot.Filter{Owned: true})
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "The handoff queue is unavailable right now.", err)
		return
	}
	toggle := "/console/handoff"
	if !show {
		toggle += "?ids=1"
	}
	c.render(w, r, http.StatusOK, "handoff", s, map[string]any{
		"Waiting": c.rows(r.Context(), s, waiting, show), "Owned": c.rows(r.Context(), s, owned, show),
		"ToggleIDs": toggle, "ShowIDs": show,
	})
}

// pushFailure explains a failed push to staff; the monthly quota gets
// words of its own, since trying again will not help.
func pushFailure(err error) string {
	if errors.Is(err, bot.ErrQuotaExhausted) {
		return "LINE's monthly push quota is used up (see Insights), so LINE would not deliver it. " +
			"Messages to LINE users can be sent again next month or once the plan's limit (SSWBOT_LINE_PUSH_MONTHLY_LIMIT) is raised; " +
			"meanwhile, handed back, the bot answers the user's own messages (replies cost no push)."
	}
	return err.Error()
}
