package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
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

	// lockAfter failed logins for one name from one client address lock
	// that pair; every further failure doubles the wait, from lockFirst up
	// to lockMax. The key is the pair, so someone who knows a staff name
	// cannot lock that person out: from another address they log in as
	// usual.
	lockAfter = 5
	// lockAfterAddr failed logins from one address, whatever the names,
	// lock the address the same way (guessing across many names).
	lockAfterAddr = 20
	lockFirst     = time.Minute
	lockMax       = time.Hour
	// failureKeep is how long a counter lives after its last failure.
	failureKeep = 24 * time.Hour
	// staffStoreTimeout bounds a write the page does not wait for (audit
	// lines, flash messages).
	staffStoreTimeout = 2 * time.Second
)

// lockDelay is how long after the last of n failures the next try must
// wait, when the lockout starts at after failures.
func lockDelay(n, after int) time.Duration {
	if n < after {
		return 0
	}
	return min(lockFirst<<min(n-after, 16), lockMax)
}

// session is one logged-in staff member, as the StaffStore keeps it.
type session struct {
	a       *auth
	key     string // the store key: a hash of the cookie's token
	staff   string
	csrf    string
	expires time.Time
	flash   *flash // a one-shot message for the next page
}

type flash struct {
	Text  string `json:"text"`
	Error bool   `json:"err,omitempty"`
}

// sessionRecord is a session's stored form.
type sessionRecord struct {
	Staff   string    `json:"staff"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"exp"`
	Flash   *flash    `json:"flash,omitempty"`
}

func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// setFlash stores a message for the next page, which another console
// process may serve.
func (s *session) setFlash(text string, isErr bool) {
	s.flash = &flash{Text: text, Error: isErr}
	s.a.save(s)
}

func (s *session) takeFlash() *flash {
	f := s.flash
	if f != nil {
		s.flash = nil
		s.a.save(s)
	}
	return f
}

// auth checks passwords and keeps logins and failed-login counters in the
// StaffStore, so every console process on the same store agrees on them
// and a restart logs nobody out.
type auth struct {
	cfg   Config
	store StaffStore
	log   *slog.Logger
	dummy []byte // compared against for unknown users, so they cost the same
}

func newAuth(cfg Config, store StaffStore) *auth {
	cost := bcrypt.DefaultCost
	for _, h := range cfg.Users {
		if c, err := bcrypt.Cost([]byte(h)); err == nil {
			cost = c
		}
		break
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte(randomToken()), cost)
	return &auth{cfg: cfg, store: store, log: cfg.Logger, dummy: dummy}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionKey is where a token's session is stored: its hash, so that
// reading the store gives nobody a login.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// failureKey names the counter of one name from one address. Hashed: the
// name is whatever was typed, and the key must stay short and plain.
func failureKey(name, ip string) string {
	sum := sha256.Sum256([]byte(name + "\x00" + ip))
	return "u:" + hex.EncodeToString(sum[:16])
}

func addrKey(ip string) string { return "a:" + ip }

// session returns the request's live session, nil when there is none. An
// error means the store could not tell.
func (a *auth) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return nil, nil
	}
	key := sessionKey(ck.Value)
	raw, err := a.store.StaffSession(r.Context(), key)
	if err != nil || raw == nil {
		return nil, err
	}
	var rec sessionRecord
	if json.Unmarshal(raw, &rec) != nil {
		return nil, nil
	}
	if !a.cfg.Now().Before(rec.Expires) {
		return nil, a.store.DeleteStaffSession(r.Context(), key)
	}
	return &session{a: a, key: key, staff: rec.Staff, csrf: rec.CSRF, expires: rec.Expires, flash: rec.Flash}, nil
}

// save writes s back (its flash changed) for the rest of its lifetime.
func (a *auth) save(s *session) {
	ctx, cancel := context.WithTimeout(context.Background(), staffStoreTimeout)
	defer cancel()
	if err := a.put(ctx, s); err != nil {
		a.log.Warn("console: session not saved", "err", err)
	}
}

func (a *auth) put(ctx context.Context, s *session) error {
	ttl := s.expires.Sub(a.cfg.Now())
	if ttl <= 0 {
		return nil
	}
	raw, _ := json.Marshal(sessionRecord{Staff: s.staff, CSRF: s.csrf, Expires: s.expires, Flash: s.flash})
	return a.store.PutStaffSession(ctx, s.key, raw, ttl)
}

// lockedFor reports how long name may not log in from ip yet (0: it may).
func (a *auth) lockedFor(ctx context.Context, name, ip string) (time.Duration, error) {
	now := a.cfg.Now()
	var wait time.Duration
	for _, c := range []struct {
		key   string
		after int
	}{{failureKey(name, ip), lockAfter}, {addrKey(ip), lockAfterAddr}} {
		n, last, err := a.store.LoginFailures(ctx, c.key)
		if err != nil {
			return 0, err
		}
		if d := last.Add(lockDelay(n, c.after)).Sub(now); d > wait {
			wait = d
		}
	}
	return wait, nil
}

// fail counts a failed login of name from ip.
func (a *auth) fail(ctx context.Context, name, ip string) error {
	now := a.cfg.Now()
	for _, k := range []string{failureKey(name, ip), addrKey(ip)} {
		if _, err := a.store.AddLoginFailure(ctx, k, now, failureKeep); err != nil {
			return err
		}
	}
	return nil
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

// start logs staff in from ip and returns the cookie's token.
func (a *auth) start(ctx context.Context, staff, ip string) (string, error) {
	token := randomToken()
	s := &session{a: a, key: sessionKey(token), staff: staff, csrf: randomToken(), expires: a.cfg.Now().Add(a.cfg.SessionTTL)}
	if err := a.put(ctx, s); err != nil {
		return "", err
	}
	if err := a.store.ClearLoginFailures(ctx, failureKey(staff, ip)); err != nil {
		a.log.Warn("console: failed logins not cleared", "err", err)
	}
	return token, nil
}

func (a *auth) end(ctx context.Context, s *session) error {
	return a.store.DeleteStaffSession(ctx, s.key)
}

// clientIP is the address failed logins are counted against: the peer,
// unless the peer is one of the trusted proxies; then X-Forwarded-For is
// read from its end, each trusted proxy's entry skipped, and the first
// address no trusted proxy owns is the client. Entries further left were
// written by the client and could name a new address on every try.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr.Unmap(), trusted) {
		if err == nil {
			return addr.Unmap().String()
		}
		return peer
	}
	client := addr.Unmap()
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(entries[j]))
			if err != nil {
				return client.String() // not an address: never a key or a log line
			}
			client = a.Unmap()
			if !isTrusted(client, trusted) {
				return client.String()
			}
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of proxy addresses and
// networks ("10.0.0.0/8, 192.0.2.7").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
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
	if s, _ := c.auth.session(r); s != nil {
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
	ip := clientIP(r, c.cfg.TrustedProxies)
	ctx := r.Context()
	wait, err := c.auth.lockedFor(ctx, name, ip)
	if err != nil {
		c.fail(w, r, nil, http.StatusInternalServerError, "Login is unavailable right now.", err)
		return
	}
	if wait > 0 {
		c.audit.add(c.log, c.cfg.Now(), name, "login refused (locked)", "", "from "+ip)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		c.showLogin(w, r, http.StatusTooManyRequests, name,
			fmt.Sprintf("Too many failed logins for this name from your address. Try again in %s.", waitText(wait)))
		return
	}
	if len(password) > 1024 || !c.auth.verify(name, password) {
		if err := c.auth.fail(ctx, name, ip); err != nil {
			c.fail(w, r, nil, http.StatusInternalServerError, "Login is unavailable right now.", err)
			return
		}
		c.audit.add(c.log, c.cfg.Now(), name, "login failed", "", "from "+ip)
		c.showLogin(w, r, http.StatusUnauthorized, name, "Wrong name or password.")
		return
	}
	token, err := c.auth.start(ctx, name, ip)
	if err != nil {
		c.fail(w, r, nil, http.StatusInternalServerError, "Login is unavailable right now.", err)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), name, "login", "", "from "+ip)
	http.SetCookie(w, c.cookie(sessionCookie, token, int(c.cfg.SessionTTL/time.Second)))
	http.SetCookie(w, c.cookie(loginCookie, "", -1))
	http.Redirect(w, r, "/console/conversations", http.StatusSeeOther)
}

// waitText says how long a lockout lasts, in whole minutes or seconds.
func waitText(d time.Duration) string {
	switch {
	case d > time.Minute:
		return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " minutes"
	case d > 59*time.Second:
		return "1 minute"
	}
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))) + " seconds"
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.auth.end(r.Context(), s); err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "Logout is unavailable right now; try again.", err)
		return
	}
	c.audit.add(c.log, c.cfg.Now(), s.staff, "logout", "", "")
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
