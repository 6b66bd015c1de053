package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"example.com/sswbot/bot"
)

// Prefix is where the console lives; the caller mounts the handler with
// mux.Handle(console.Prefix, c).
const Prefix = "/console/"

// Bot is what the console needs of the bot service; *bot.Service has it.
type Bot interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Outcome, error)
	TakeOver(ctx context.Context, id bot.ConversationID, staff string) (notice string, err error)
	HandBack(ctx context.Context, id bot.ConversationID, staff string) (notice string, err error)
	StaffReply(ctx context.Context, id bot.ConversationID, staff, text string) error
	Forget(ctx context.Context, id bot.ConversationID) error
}

// Pusher sends a message to a user outside a reply (LINE push, Telegram
// sendMessage). It fails for platforms it cannot reach.
type Pusher interface {
	Push(ctx context.Context, id bot.ConversationID, text string) error
}

// Config is the console's configuration; cmd/sswbot fills it.
type Config struct {
	// Users maps staff names to bcrypt password hashes. It must not be
	// empty: the console never runs without a login.
	Users map[string]string
	// SecureCookies marks the session cookie Secure (behind TLS).
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (SSWBOT_TRUSTED_PROXIES): failed logins count against the
	// client address they recorded. Empty: the connection's peer counts,
	// and the header is ignored (clients could choose it).
	TrustedProxies []netip.Prefix
	// Routes lists each route's step ids in order (from the content), so
	// the funnel names every step and shows steps nobody reached yet.
	// Without it the funnel learns them from the conversations it sees.
	Routes map[string][]string
	// Location is the time zone pages show times in (Asia/Tokyo by
	// default); Zones overrides it per staff member. Exports stay UTC.
	Location *time.Location
	Zones    map[string]*time.Location
	// Canned are ready replies per user language (from the content: each
	// step's summary and the contacts) that staff insert in the composer.
	Canned map[string][]Canned
	// Meanings are the readings staff may suggest for a message the bot
	// did not understand ("role=employer", "topic=visa", "oos=fees" …; from
	// the content). Without them the insights page offers none.
	Meanings   []string
	Logger     *slog.Logger
	Now        func() time.Time
	SessionTTL time.Duration // 12h by default
}

// Canned is one ready reply.
type Canned struct {
	Title string
	Text  string
}

// Deps are the services the console works with.
type Deps struct {
	Bot    Bot
	Index  bot.Index
	Pusher Pusher
	// Feed, when set, makes pages live (server-sent events); without it
	// they are static.
	Feed Feed
	// Notes, when set, turns on the staff tools (notes, labels,
	// assignment, resolved), unread counts and previews.
	Notes Notes
	// Suggestions keeps what staff say misunderstood messages meant (see
	// Config.Meanings). It defaults to Index when that keeps them too, as
	// both stores do.
	Suggestions Suggestions
	// Staff keeps logins, failed-login counters and the audit log. It
	// defaults to Index when that keeps them too, as both stores do; the
	// console needs one.
	Staff StaffStore
	// LINEPreview, when set, returns the JSON of the LINE messages the
	// LINE adapter would send for replies; "Try it" then shows the last
	// answer as it looks on LINE (cmd/sswbot gives it line.Preview).
	LINEPreview func([]bot.Reply) []json.RawMessage
	// TelegramPreview, when set, returns the Telegram messages the Telegram
	// adapter would send for replies; "Try it" shows them next to LINE's
	// (cmd/sswbot converts telegram.Format).
	TelegramPreview func([]bot.Reply) []TelegramMessage
	// Cases, when set, lists the shared cases (the Cases page).
	Cases Cases
	// PushUsage, when set, is LINE's push quota this month (Insights shows
	// it against the limit); cmd/sswbot gives bot.PushQuota.Usage.
	PushUsage func(ctx context.Context) (bot.PushUsage, error)
}

var _ Bot = (*bot.Service)(nil)

//go:embed templates/*.html static/*
var assets embed.FS

// Console is the staff console, an http.Handler for everything under Prefix.
type Console struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template

	auth  *auth
	audit *auditLog
	locks convLocks

	tryMu sync.Mutex
	tries map[string][]bot.Reply // staff → the last replies in "Try it"

	hub  hub
	root context.Context // ends the live streams on Close
	stop context.CancelFunc
}

// New builds the console. It fails without users or without the bot,
// index or pusher.
func New(cfg Config, d Deps) (*Console, error) {
	if len(cfg.Users) == 0 {
		return nil, errors.New("console: no staff users configured")
	}
	for name, hash := range cfg.Users {
		if err := checkUser(name, hash); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	if d.Bot == nil || d.Index == nil || d.Pusher == nil {
		return nil, errors.New("console: Bot, Index and Pusher are required")
	}
	if d.Suggestions == nil {
		d.Suggestions, _ = d.Index.(Suggestions)
	}
	if d.Staff == nil {
		d.Staff, _ = d.Index.(StaffStore)
	}
	if d.Staff == nil {
		return nil, errors.New("console: a StaffStore is required (both stores implement it)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Location == nil {
		cfg.Location = Tokyo()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{
		cfg: cfg, deps: d, log: cfg.Logger, pages: pages,
		auth:  newAuth(cfg, d.Staff),
		audit: &auditLog{store: d.Staff, keep: auditSize},
		tries: map[string][]bot.Reply{},
	}
	c.root, c.stop = context.WithCancel(context.Background())
	c.hub.c = c
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/console/static/", http.FileServerFS(static))
	m.HandleFunc("GET /console/static/{file}", func(w http.ResponseWriter, r *http.Request) {
		files.ServeHTTP(w, r) // one level, so no directory listing
	})
	m.HandleFunc("GET /console/login", c.loginPage)
	m.HandleFunc("POST /console/login", c.login)

	page := func(pattern string, h func(http.ResponseWriter, *http.Request, *session)) {
		m.Handle(pattern, c.requireSession(h, false))
	}
	page("GET /console/{$}", func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/console/conversations", http.StatusSeeOther)
	})
	page("POST /console/logout", c.logout)
	page("GET /console/conversations", c.listPage)
	page("GET /console/conversations/{id}", c.conversationPage)
	page("POST /console/conversations/{id}/takeover", c.takeOver)
	page("POST /console/conversations/{id}/reply", c.reply)
	page("POST /console/conversations/{id}/handback", c.handBack)
	page("GET /console/conversations/{id}/forget", c.forgetPage)
	page("POST /console/conversations/{id}/forget", c.forget)
	page("GET /console/handoff", c.handoffPage)
	page("GET /console/insights", c.insightsPage)
	page("GET /console/try", c.tryPage)
	page("POST /console/try", c.trySend)
	page("GET /console/audit", c.auditPage)
	page("GET /console/cases", c.casesPage)
	page("POST /console/conversations/{id}/note", c.addNote)
	page("POST /console/conversations/{id}/labels", c.setLabels)
	page("POST /console/conversations/{id}/assign", c.assign)
	page("POST /console/conversations/{id}/resolve", c.resolve)
	m.Handle("GET /console/events", c.requireSession(c.events, true))
	page("POST /console/suggest", c.suggest)
	m.Handle("GET /console/suggestions.yaml", c.requireSession(c.suggestionsFile, true))
	m.Handle("GET /console/export.jsonl", c.requireSession(c.exportJSONL, true))
	m.Handle("GET /console/export.csv", c.requireSession(c.exportCSV, true))
	c.mux = m
}

// csp allows only our own script file (no inline scripts) and styles only
// from the embedded sheet.
const csp = "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Close ends the live streams (call it when the server shuts down, or its
// Shutdown waits for them).
func (c *Console) Close() {
	c.stop()
}

// Tokyo is Asia/Tokyo, or a fixed +09:00 where the system has no time zone
// data (Japan has no daylight saving time).
func Tokyo() *time.Location {
	if l, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return l
	}
	return time.FixedZone("JST", 9*60*60)
}

// feedPosKey holds the change feed's position when a page was requested.
type feedPosKey struct{}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "max-age=300")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

// requireSession lets only logged-in staff through. POSTs must carry the
// session's CSRF token. Pages send strangers to the login form; API-like
// endpoints (exports) answer 401.
func (c *Console) requireSession(h func(http.ResponseWriter, *http.Request, *session), api bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.auth.session(r)
		if err != nil {
			if api {
				http.Error(w, "the console's store is unavailable; try again", http.StatusServiceUnavailable)
				return
			}
			c.fail(w, r, nil, http.StatusInternalServerError, "The console is unavailable right now.", err)
			return
		}
		if s == nil {
			if api {
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodGet && !api && c.deps.Feed != nil {
			// Read the feed's position before the page's data, so the page's
			// stream replays whatever changes while it loads.
			if id, err := c.deps.Feed.LastChange(r.Context()); err == nil {
				r = r.WithContext(context.WithValue(r.Context(), feedPosKey{}, id))
			}
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !s.checkCSRF(r.PostFormValue("csrf")) {
				http.Error(w, "invalid or missing CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r, s)
	})
}
