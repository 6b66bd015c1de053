package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// ParseUsers reads staff accounts: "name:hash" entries separated by commas
// or newlines (the users file). Blank lines and lines starting with # are
// ignored. Hashes must be bcrypt.
func ParseUsers(s string) (map[string]string, error) {
	users := map[string]string{}
	n := 0
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for entry := range strings.SplitSeq(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			name, hash, ok := strings.Cut(entry, ":")
			if !ok {
				return nil, fmt.Errorf("user entry %d: want name:bcrypt-hash", n)
			}
			name, hash = strings.TrimSpace(name), strings.TrimSpace(hash)
			if err := checkUser(name, hash); err != nil {
				return nil, fmt.Errorf("user entry %d: %w", n, err)
			}
			if _, dup := users[name]; dup {
				return nil, fmt.Errorf("user entry %d: user %q listed twice", n, name)
			}
			users[name] = hash
		}
	}
	return users, nil
}

// checkUser validates one account without ever echoing the hash.
func checkUser(name, hash string) error {
	if name == "" || len(name) > 64 {
		return errors.New("user name must have 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)) {
			return fmt.Errorf("user name %q: use letters, digits and . _ @ - only", name)
		}
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return fmt.Errorf("user %q: password hash is not bcrypt (make one with sswbot hash-password)", name)
	}
	return nil
}

const (
	sessionCookie = "sswbot_console"
	loginCookie   = "sswbot_login" // double-submit CSRF token of the login form
	maxFailures   = 5
	lockWindow    = 15 * time.Minute
)

// session is one logged-in staff member.
type session struct {
	token   string
	staff   string
	csrf    string
	expires time.Time

	mu    sync.Mutex
	flash *flash // a one-shot message for the next page
}

type flash struct {
	Text  string
	Error bool
}

func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

func (s *session) setFlash(text string, isErr bool) {
	s.mu.Lock()
	s.flash = &flash{Text: text, Error: isErr}
	s.mu.Unlock()
}

func (s *session) takeFlash() *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

// auth holds sessions and failed-login counters in memory: the console is
// small and a restart logging staff out is acceptable.
type auth struct {
	cfg   Config
	dummy []byte // compared against for unknown users, so they cost the same

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string][]time.Time // "user:<name>" and "ip:<addr>"
	pruned   time.Time              // when failures were last pruned
}

func newAuth(cfg Config) *auth {
	cost := bcrypt.DefaultCost
	for _, h := range cfg.Users {
		if c, err := bcrypt.Cost([]byte(h)); err == nil {
			cost = c
		}
		break
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte(randomToken()), cost)
	return &auth{cfg: cfg, dummy: dummy, sessions: map[string]*session{}, failures: map[string][]time.Time{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns the request's live session or nil.
func (a *auth) session(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[ck.Value]
	if s == nil {
		return nil
	}
	if !a.cfg.Now().Before(s.expires) {
		delete(a.sessions, s.token)
		return nil
	}
	return s
}

// maxFailureKeys caps the failure counters: every failed login adds up to
// two keys, and neither the name nor (over IPv6) the address costs an
// attacker anything.
const maxFailureKeys = 10000

// pruneLocked drops counters older than the lock window, at most once a
// minute unless forced; a.mu is held.
func (a *auth) pruneLocked(now time.Time, force bool) {
	if !force && now.Sub(a.pruned) < time.Minute {
		return
	}
	a.pruned = now
	for k, ts := range a.failures {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= lockWindow {
			i++
		}
		if i == len(ts) {
			delete(a.failures, k)
		} else {
			a.failures[k] = ts[i:]
		}
	}
}

// recentLocked counts k's failures within the lock window; a.mu is held.
func (a *auth) recentLocked(k string, now time.Time) int {
	n := 0
	for _, t := range a.failures[k] {
		if now.Sub(t) < lockWindow {
			n++
		}
	}
	return n
}

// locked reports whether name or ip has too many recent failures.
func (a *auth) locked(name, ip string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	a.pruneLocked(now, false)
	return a.recentLocked("user:"+name, now) >= maxFailures || a.recentLocked("ip:"+ip, now) >= maxFailures
}

// fail counts a failed login. Past maxFailureKeys live counters, the ones
// whose last failure is oldest go (down to 90% of the cap, so the sort is
// rare): they are the least likely to be part of a running attack.
func (a *auth) fail(name, ip string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	a.pruneLocked(now, false)
	for _, k := range []string{"user:" + name, "ip:" + ip} {
		a.failures[k] = append(a.failures[k], now)
		if n := len(a.failures[k]); n > maxFailures {
			a.failures[k] = a.failures[k][n-maxFailures:] // more do not lock harder
		}
	}
	if len(a.failures) <= maxFailureKeys {
		return
	}
	if a.pruneLocked(now, true); len(a.failures) <= maxFailureKeys {
		return
	}
	type key struct {
		k    string
		last time.Time
	}
	keys := make([]key, 0, len(a.failures))
	for k, ts := range a.failures {
		keys = append(keys, key{k, ts[len(ts)-1]})
	}
	slices.SortFunc(keys, func(x, y key) int { return x.last.Compare(y.last) })
	for _, k := range keys[:len(keys)-maxFailureKeys*9/10] {
		delete(a.failures, k.k)
	}
}

// failureKeys is how many counters are kept (for tests).
func (a *auth) failureKeys() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.failures)
}

// verify checks a password; unknown users take as long as known ones.
func (a *auth) verify(name, password string) bool {
	hash, ok := a.cfg.Users[name]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

func (a *auth) start(staff string) *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	for t, s := range a.sessions {
		if !now.Before(s.expires) {
			delete(a.sessions, t)
		}
	}
	delete(a.failures, "user:"+staff)
	s := &session{token: randomToken(), staff: staff, csrf: randomToken(), expires: now.Add(a.cfg.SessionTTL)}
	a.sessions[s.token] = s
	return s
}

func (a *auth) end(s *session) {
	a.mu.Lock()
	delete(a.sessions, s.token)
	a.mu.Unlock()
}

// clientIP is the address failed logins are counted against: the peer, or
// with TrustProxy the address the proxy put last in X-Forwarded-For.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if ip, ok := forwardedFor(r.Header.Values("X-Forwarded-For")); ok {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor reads the client address a trusted proxy recorded. A proxy
// appends the address it saw to whatever the client sent, so only the last
// entry is the proxy's word; earlier ones are the client's and could name
// a new address on every try.
func forwardedFor(values []string) (string, bool) {
	if len(values) == 0 {
		return "", false
	}
	list := values[len(values)-1]
	if i := strings.LastIndexByte(list, ','); i >= 0 {
		list = list[i+1:]
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(list))
	if err != nil {
		return "", false // not an address: never a key or a log line
	}
	return addr.Unmap().String(), true
}

func (c *Console) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: c.cfg.SecureCookies, SameSite: http.SameSiteStrictMode,
	}
}

type loginData struct {
	CSRF  string
	Name  string
	Error string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.auth.session(r) != nil {
		http.Redirect(w, r, "/console/conversations", http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, "", "")
}

// showLogin renders the form with a fresh double-submit token.
func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	tok := randomToken()
	http.SetCookie(w, c.cookie(loginCookie, tok, 3600))
	c.render(w, r, status, "login", nil, loginData{CSRF: tok, Name: name, Error: msg})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	name := strings.TrimSpace(r.PostFormValue("name"))
	if len(name) > 64 || !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name[:min(len(name), 64)], "") // still counts as a failure below
	}
	password := r.PostFormValue("password")
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "invalid or missing CSRF token: reload the login page and try again", http.StatusForbidden)
		return
	}
	ip := clientIP(r, c.cfg.TrustProxy)
	if c.auth.locked(name, ip) {
		c.audit.add(c.log, c.cfg.Now(), name, "login refused (locked)", "", "from "+ip)
		c.showLogin(w, r, http.StatusTooManyRequests, name,
			"Too many failed logins. Login is locked for 15 minutes; try again later.")
		return
	}
	if len(password) > 1024 || !c.auth.verify(name, password) {
		c.auth.fail(name, ip)
		c.audit.add(c.log, c.cfg.Now(), name, "login failed", "", "from "+ip)
		c.showLogin(w, r, http.StatusUnauthorized, name, "Wrong name or password.")
		return
	}
	s := c.auth.start(name)
	c.audit.add(c.log, c.cfg.Now(), name, "login", "", "from "+ip)
	http.SetCookie(w, c.cookie(sessionCookie, s.token, int(c.cfg.SessionTTL/time.Second)))
	http.SetCookie(w, c.cookie(loginCookie, "", -1))
	http.Redirect(w, r, "/console/conversations", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.auth.end(s)
	c.audit.add(c.log, c.cfg.Now(), s.staff, "logout", "", "")
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
