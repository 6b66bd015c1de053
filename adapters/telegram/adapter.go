package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"example.com/sswbot/adapters/internal/delivery"
	"example.com/sswbot/internal/apiclient"
	"example.com/sswbot/metrics"
)

// DefaultAPIBaseURL is the public Bot API server.
const DefaultAPIBaseURL = "https://api.telegram.org"

// allowedUpdates is set explicitly on setWebhook and getUpdates: a missing
// value would keep whatever an earlier deployment registered.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

var (
	// errConflict is what Telegram's 409 to getUpdates means: another
	// process polls with the same token, or a webhook is set. Run logs it and
	// keeps trying, so the other channels stay up.
	errConflict = errors.New("telegram: another instance is polling with this bot token (or a webhook is set)")
	// ErrBlocked is returned by Push when the user blocked the bot.
	ErrBlocked = errors.New("telegram: the user blocked the bot")
)

// Handler is the bot service as the adapter sees it (bot.Service implements it).
type Handler = delivery.Handler

// OffsetStore keeps the long-polling offset, so a restart neither loses nor
// repeats updates. The offset is the next update_id to ask for (the last
// handled one + 1); LoadOffset returns 0 when none is stored. The name is
// "telegram:<bot id>".
type OffsetStore interface {
	LoadOffset(ctx context.Context, name string) (int64, error)
	SaveOffset(ctx context.Context, name string, offset int64) error
}

// Command is one entry of the bot's command menu.
type Command struct {
	Name        string // without the slash: "start", "help"
	Description string
}

// Config configures an Adapter. Zero values get defaults.
type Config struct {
	Token         string
	APIBaseURL    string // default DefaultAPIBaseURL; tests point it at a fake
	WebhookURL    string // public HTTPS URL; empty means long polling
	WebhookSecret string // required with WebhookURL; 1-256 of [A-Za-z0-9_-]
	// HTTPClient makes the API calls. Every call gets its own deadline, so the
	// client needs no Timeout (one shorter than PollTimeout breaks polling).
	HTTPClient *http.Client
	// APIConns is how many keep-alive connections to the Bot API the
	// default HTTPClient keeps idle; apiclient.DefaultConns when 0.
	APIConns int
	Logger   *slog.Logger
	Metrics  *metrics.Set
	// Commands are the command menus by language ("ja", "en", "ru", "ky";
	// "" is the default for other languages), registered by Setup.
	Commands        map[string][]Command
	PerChatInterval time.Duration // minimum spacing per chat after a short burst; default 1s
	GlobalRate      int           // messages per second over all chats; default 25
	PollTimeout     time.Duration // getUpdates long-poll timeout, whole seconds, at least 1s; default 30s
	// WebhookReplyByAPI sends every answer with sendMessage calls. By
	// default the webhook gives a one-message answer in its response
	// instead, which Telegram sends when it takes the acknowledgement:
	// exactly once across crashes, but a method Telegram refuses there
	// fails unseen (our HTML is escaped and checked, so none should be).
	WebhookReplyByAPI bool
}

// Adapter is the Telegram channel. Create it with New.
type Adapter struct {
	cfg        Config
	h          Handler
	delivery   *delivery.Platform
	offsets    OffsetStore
	api        api
	log        *slog.Logger
	m          *metrics.Set
	limit      *limiter
	offsetName string
	now        func() time.Time
	// sleep waits out rate limits and backoffs; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// botName is the bot's @username (from getMe in Setup), lower case; group
	// commands count only when addressed to it.
	botName atomic.Pointer[string]
	// inflight holds the update ids the webhook is processing right now.
	inflightMu sync.Mutex
	inflight   map[int]struct{}
}

var (
	secretRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	commandRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	tokenRe   = regexp.MustCompile(`^[0-9]+:`)
)

// New checks cfg and builds an Adapter. It makes no network call; Setup
// registers commands and the webhook.
func New(cfg Config, h Handler, offsets OffsetStore) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if h == nil {
		return nil, errors.New("telegram: no handler")
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = DefaultAPIBaseURL
	}
	if u, err := url.Parse(cfg.APIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("telegram: API base URL must be an absolute http(s) URL")
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, errors.New("telegram: webhook URL must be an absolute https URL")
		}
		if cfg.WebhookSecret == "" {
			return nil, errors.New("telegram: a webhook URL needs a webhook secret")
		}
	} else if offsets == nil {
		return nil, errors.New("telegram: long polling needs an offset store")
	}
	if cfg.WebhookSecret != "" && !secretRe.MatchString(cfg.WebhookSecret) {
		return nil, errors.New("telegram: webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	for lang, cmds := range cfg.Commands {
		if len(cmds) > 100 {
			return nil, fmt.Errorf("telegram: commands %q: more than 100", lang)
		}
		for _, c := range cmds {
			n := utf8.RuneCountInString(c.Description)
			if !commandRe.MatchString(c.Name) || n < 1 || n > 256 {
				return nil, fmt.Errorf("telegram: commands %q: bad command %q (name [a-z0-9_]{1,32}, description 1-256 characters)", lang, c.Name)
			}
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = apiclient.New(cfg.APIConns, 0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PerChatInterval <= 0 {
		cfg.PerChatInterval = time.Second
	}
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = 25
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 30 * time.Second
	}
	// Telegram counts the timeout in whole seconds, and 0 would turn long
	// polling into a busy loop.
	cfg.PollTimeout = max(cfg.PollTimeout.Truncate(time.Second), time.Second)
	a := &Adapter{
		cfg:      cfg,
		h:        h,
		offsets:  offsets,
		api:      newLibAPI(cfg.Token, cfg.APIBaseURL, cfg.HTTPClient, cfg.Metrics),
		log:      cfg.Logger.With("platform", "telegram"),
		m:        cfg.Metrics,
		now:      time.Now,
		sleep:    sleepCtx,
		inflight: map[int]struct{}{},
	}
	a.delivery = &delivery.Platform{Name: "telegram", Handler: h, Log: a.log, Metrics: a.m}
	a.limit = newLimiter(cfg.PerChatInterval, cfg.GlobalRate, a.now)
	a.offsetName = "telegram:" + botKey(cfg.Token)
	return a, nil
}

// botKey names the bot in stored keys: its numeric id (the token's public
// part), or a hash for an unusual token.
func botKey(token string) string {
	if m := tokenRe.FindString(token); m != "" {
		return strings.TrimSuffix(m, ":")
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// Setup learns the bot's username (getMe), registers the command menus and
// either the webhook (with its secret) or, for long polling, removes any
// webhook. Call it at startup; it is idempotent, so it may be retried.
func (a *Adapter) Setup(ctx context.Context) error {
	res, err := a.do(ctx, "getMe", map[string]string{})
	if err != nil {
		return fmt.Errorf("get bot: %w", err)
	}
	var me struct {
		Username string `json:"username"`
	}
	if err := json.Unmarshal(res, &me); err != nil || me.Username == "" {
		return errors.New("telegram: getMe returned no username")
	}
	name := strings.ToLower(me.Username)
	a.botName.Store(&name)
	if err := a.setMenus(ctx); err != nil {
		return err
	}
	if a.cfg.WebhookURL != "" {
		p := map[string]string{
			"url":             a.cfg.WebhookURL,
			"secret_token":    a.cfg.WebhookSecret,
			"allowed_updates": mustJSON(allowedUpdates),
		}
		if _, err := a.do(ctx, "setWebhook", p); err != nil {
			return fmt.Errorf("set webhook: %w", err)
		}
		a.log.Info("webhook registered")
		return nil
	}
	if _, err := a.do(ctx, "deleteWebhook", map[string]string{"drop_pending_updates": "false"}); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// setMenus registers the command menu of every language and makes the chat
// menu button show it. Both are idempotent. A failure that may pass
// (network, 429, 5xx) is returned so that Setup is tried again; one
// Telegram refuses for good is logged and counted, and the bot works on
// without that menu.
func (a *Adapter) setMenus(ctx context.Context) error {
	langs := make([]string, 0, len(a.cfg.Commands))
	for l := range a.cfg.Commands {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		p := map[string]string{
			"commands": commandsJSON(a.cfg.Commands[lang]),
			"scope":    `{"type":"all_private_chats"}`,
		}
		if lang != "" {
			p["language_code"] = lang
		}
		if err := a.setupCall(ctx, "setMyCommands", p); err != nil {
			return fmt.Errorf("set commands %q: %w", lang, err)
		}
	}
	if len(langs) == 0 {
		return nil
	}
	// Without chat_id this is the default button of every private chat.
	if err := a.setupCall(ctx, "setChatMenuButton", map[string]string{"menu_button": `{"type":"commands"}`}); err != nil {
		return fmt.Errorf("set menu button: %w", err)
	}
	return nil
}

// commandsJSON is a command menu as setMyCommands takes it.
func commandsJSON(cs []Command) string {
	type cmd struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	out := make([]cmd, 0, len(cs))
	for _, c := range cs {
		out = append(out, cmd{c.Name, c.Description})
	}
	return mustJSON(out)
}

// setupCall makes one best-effort setup call: only a failure worth
// retrying is returned.
func (a *Adapter) setupCall(ctx context.Context, method string, p map[string]string) error {
	_, err := a.do(ctx, method, p)
	if err == nil {
		return nil
	}
	var ae *APIError
	if transient(err) || (errors.As(err, &ae) && (ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound)) {
		return err // tried again, or a bad token that serve reports
	}
	a.log.Error("telegram refused a menu setting; going on without it", "method", method, "lang", p["language_code"], "err", err)
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs get here
	}
	return string(b)
}
