package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
	"example.com/sswbot/store/redisstore"
)

// Config is every setting of sswbot. Defaults come from defaultConfig,
// environment variables override them, flags override both. Secrets come
// only from the environment.
type Config struct {
	Addr                string
	AdminAddr           string // /metrics; "off" = none
	RedisURL            string
	RedisPrefix         string
	RedisLegacyCases    bool // new shared cases in the earlier one-slot layout (redisstore.Options.LegacyCases)
	SessionTTL          time.Duration
	TranscriptRetention time.Duration
	EventLease          time.Duration // 0 = the stores' default
	MaxEntries          int           // per transcript; 0 = the stores' default
	MaxStoredText       int           // characters per transcript entry; 0 = the bot's default
	MemoryMaxBytes      int64         // bound of the in-memory store; 0 = its default
	KnowledgeDir        string

	LineSecret  string
	LineToken   string
	LineBaseURL string
	// LineDataBaseURL is LINE's host for content and rich menu images.
	LineDataBaseURL string

	TelegramToken      string
	TelegramBaseURL    string
	TelegramWebhookURL string
	TelegramSecret     string
	TelegramReply      string // "response" (default): a one-message answer in the webhook's response; "api": sendMessage calls

	ConsoleUsers     string // "name:bcrypthash,name2:hash2"
	ConsoleUsersFile string // one "name:hash" a line
	ConsoleSecure    bool   // cookies marked Secure (behind TLS)
	ConsoleSecureSet bool   // ConsoleSecure was given; else it follows Addr (Secure unless loopback)
	TrustedProxies   string // reverse proxies whose X-Forwarded-For is believed: "10.0.0.0/8,192.0.2.7"
	ConsoleTZ        string // time zone of the console's pages (default Asia/Tokyo)
	ConsoleStaffTZ   string // per staff member: "bek=Asia/Bishkek,aiko=Asia/Tokyo"

	LogLevel string

	InviteTTL        time.Duration // how long an invite code is valid; 0 = the bot's default (14 days)
	TelegramUsername string        // the bot's @username for invite links; empty = from getMe
	PublicURL        string        // https://host where serve is reached from outside (the invites' QR images)

	LinePushLimit int64         // LINE pushes a month before notifications are held; 0 = LINE's own limit, if any
	LinePushNear  int64         // percent of the limit from which case notifications are held (default 90)
	LineQuotaPoll time.Duration // how often LINE's own quota numbers are read (default 10m)
}

func defaultConfig() Config {
	return Config{
		Addr:                ":8080",
		AdminAddr:           "127.0.0.1:9090",
		RedisPrefix:         "sswbot:",
		SessionTTL:          30 * 24 * time.Hour,
		TranscriptRetention: 180 * 24 * time.Hour,
		LineBaseURL:         "https://api.line.me",
		LineDataBaseURL:     "https://api-data.line.me",
		TelegramBaseURL:     "https://api.telegram.org",
		LogLevel:            "info",
		LinePushNear:        90,
		LineQuotaPoll:       10 * time.Minute,
	}
}

// envHelp documents the environment variables; --help prints it.
const envHelp = `
Environment variables (flags override them):
  SSWBOT_ADDR                   listen address (default :8080)
  SSWBOT_ADMIN_ADDR             admin listener with /metrics (default 127.0.0.1:9090; "off" = none)
  REDIS_URL                     redis://, rediss:// or unix:///path/redis.sock URL; empty = the embedded in-memory store
  SSWBOT_REDIS_PREFIX           key prefix in Redis (default "sswbot:")
  SSWBOT_REDIS_LEGACY_CASES     true: new shared cases in the old one-slot layout (first step of a rolling update; README)
  SSWBOT_SESSION_TTL            how long answers are kept after the last message (default 720h = 30 days)
  SSWBOT_TRANSCRIPT_RETENTION   how long transcripts are kept (default 4320h = 180 days)
  SSWBOT_EVENT_LEASE            how long an event stays in flight without news from its handler (default 40s)
  SSWBOT_TRANSCRIPT_MAX_ENTRIES entries kept per conversation, the oldest dropped (default 1000)
  SSWBOT_MAX_STORED_TEXT        characters kept of one transcript entry, cut with a marker (default 2000)
  SSWBOT_MEMORY_MAX_BYTES       size bound of the in-memory store: idle transcripts trimmed, then idle conversations evicted (default 268435456 = 256 MiB)
  SSWBOT_KNOWLEDGE              content directory overriding the embedded content
  SSWBOT_LOG_LEVEL              debug, info, warn or error (default info)
  SSWBOT_INVITE_TTL             how long a shared case's invite code is valid (default 336h = 14 days)
  SSWBOT_TELEGRAM_USERNAME      the Telegram bot's username for invite links (default: as getMe reports it)
  SSWBOT_PUBLIC_URL             https:// address of this server from outside; invites then carry a QR image (/qr/CODE.png)
  SSWBOT_LINE_PUSH_MONTHLY_LIMIT  LINE pushes per month (Japan time) the plan allows; 0 = none but LINE's own (default 0)
  SSWBOT_LINE_PUSH_NEAR         percent of the limit from which case notifications wait for the employer's next message (default 90)
  SSWBOT_LINE_QUOTA_POLL        how often LINE's own quota and usage are read (default 10m)
  LINE_CHANNEL_SECRET           LINE channel secret (LINE is off when both LINE variables are empty)
  LINE_CHANNEL_ACCESS_TOKEN     LINE channel access token
  LINE_API_BASE_URL             LINE API base URL (default https://api.line.me)
  LINE_DATA_API_BASE_URL        LINE host for rich menu images (default https://api-data.line.me)
  TELEGRAM_BOT_TOKEN            Telegram bot token (Telegram is off when empty)
  TELEGRAM_API_BASE_URL         Telegram Bot API base URL (default https://api.telegram.org)
  TELEGRAM_WEBHOOK_URL          public HTTPS URL of /telegram/webhook; empty = long polling
  TELEGRAM_WEBHOOK_SECRET       secret_token for the webhook (required with TELEGRAM_WEBHOOK_URL)
  TELEGRAM_WEBHOOK_REPLY        "response" (default: a one-message answer in the webhook's response, exactly once) or "api" (sendMessage calls)
  SSWBOT_CONSOLE_USERS          staff accounts "name:bcrypt-hash,name2:hash2" (console off when none)
  SSWBOT_CONSOLE_USERS_FILE     file with one "name:bcrypt-hash" a line
  SSWBOT_CONSOLE_SECURE_COOKIES cookies marked Secure (default: true unless SSWBOT_ADDR is a loopback address)
  SSWBOT_TRUSTED_PROXIES        reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client (login lockout)
  SSWBOT_CONSOLE_TZ             time zone of the console's pages (default Asia/Tokyo; exports stay UTC)
  SSWBOT_CONSOLE_STAFF_TZ       per staff member, e.g. "bek=Asia/Bishkek,aiko=Asia/Tokyo"
`

// fromEnv overrides c with the environment.
func (c *Config) fromEnv(getenv func(string) string) error {
	str := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	str(&c.Addr, "SSWBOT_ADDR")
	str(&c.AdminAddr, "SSWBOT_ADMIN_ADDR")
	str(&c.RedisURL, "REDIS_URL")
	str(&c.RedisPrefix, "SSWBOT_REDIS_PREFIX")
	str(&c.KnowledgeDir, "SSWBOT_KNOWLEDGE")
	str(&c.LogLevel, "SSWBOT_LOG_LEVEL")
	str(&c.LineSecret, "LINE_CHANNEL_SECRET")
	str(&c.LineToken, "LINE_CHANNEL_ACCESS_TOKEN")
	str(&c.LineBaseURL, "LINE_API_BASE_URL")
	str(&c.LineDataBaseURL, "LINE_DATA_API_BASE_URL")
	str(&c.TelegramToken, "TELEGRAM_BOT_TOKEN")
	str(&c.TelegramBaseURL, "TELEGRAM_API_BASE_URL")
	str(&c.TelegramWebhookURL, "TELEGRAM_WEBHOOK_URL")
	str(&c.TelegramSecret, "TELEGRAM_WEBHOOK_SECRET")
	str(&c.TelegramReply, "TELEGRAM_WEBHOOK_REPLY")
	str(&c.ConsoleUsers, "SSWBOT_CONSOLE_USERS")
	str(&c.ConsoleUsersFile, "SSWBOT_CONSOLE_USERS_FILE")
	str(&c.ConsoleTZ, "SSWBOT_CONSOLE_TZ")
	str(&c.ConsoleStaffTZ, "SSWBOT_CONSOLE_STAFF_TZ")
	str(&c.TelegramUsername, "SSWBOT_TELEGRAM_USERNAME")
	str(&c.PublicURL, "SSWBOT_PUBLIC_URL")
	var errs []error
	dur := func(dst *time.Duration, key string) {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 720h", key, v))
				return
			}
			*dst = d
		}
	}
	dur(&c.SessionTTL, "SSWBOT_SESSION_TTL")
	dur(&c.TranscriptRetention, "SSWBOT_TRANSCRIPT_RETENTION")
	dur(&c.EventLease, "SSWBOT_EVENT_LEASE")
	dur(&c.InviteTTL, "SSWBOT_INVITE_TTL")
	dur(&c.LineQuotaPoll, "SSWBOT_LINE_QUOTA_POLL")
	if v := getenv("SSWBOT_LINE_PUSH_MONTHLY_LIMIT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("SSWBOT_LINE_PUSH_MONTHLY_LIMIT: %q is not a whole number ≥ 0 (0 = no limit)", v))
		} else {
			c.LinePushLimit = n
		}
	}
	if v := getenv("SSWBOT_LINE_PUSH_NEAR"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), "%"), 10, 64)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("SSWBOT_LINE_PUSH_NEAR: %q is not a percentage from 1 to 100", v))
		} else {
			c.LinePushNear = n
		}
	}
	positive := func(key string, set func(int64)) {
		if v := getenv(key); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive whole number", key, v))
				return
			}
			set(n)
		}
	}
	positive("SSWBOT_TRANSCRIPT_MAX_ENTRIES", func(n int64) { c.MaxEntries = int(min(n, 1<<31-1)) })
	positive("SSWBOT_MAX_STORED_TEXT", func(n int64) { c.MaxStoredText = int(min(n, 1<<31-1)) })
	positive("SSWBOT_MEMORY_MAX_BYTES", func(n int64) { c.MemoryMaxBytes = n })
	boolean := func(dst *bool, key string) {
		if v := getenv(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, v))
			}
			*dst = b
		}
	}
	boolean(&c.ConsoleSecure, "SSWBOT_CONSOLE_SECURE_COOKIES")
	boolean(&c.RedisLegacyCases, "SSWBOT_REDIS_LEGACY_CASES")
	c.ConsoleSecureSet = getenv("SSWBOT_CONSOLE_SECURE_COOKIES") != ""
	str(&c.TrustedProxies, "SSWBOT_TRUSTED_PROXIES")
	if getenv("SSWBOT_CONSOLE_TRUST_PROXY") != "" {
		errs = append(errs, errors.New("SSWBOT_CONSOLE_TRUST_PROXY is gone: list the proxies in SSWBOT_TRUSTED_PROXIES (e.g. 10.0.0.5 or 10.0.0.0/24)"))
	}
	if _, err := console.ParseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("SSWBOT_TRUSTED_PROXIES: %w", err))
	}
	return errors.Join(errs...)
}

// storeFlags registers the flags every store-using command shares.
func (c *Config) storeFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.RedisURL, "redis", c.RedisURL, "Redis URL (empty = in-memory store) [REDIS_URL]")
	fs.StringVar(&c.KnowledgeDir, "knowledge", c.KnowledgeDir, "content directory instead of the embedded content [SSWBOT_KNOWLEDGE]")
}

// validate reports half-configured channels.
func (c *Config) validate() error {
	var errs []error
	if (c.LineSecret == "") != (c.LineToken == "") {
		errs = append(errs, errors.New("LINE is half-configured: set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN, or neither"))
	}
	if c.TelegramReply != "" && c.TelegramReply != "response" && c.TelegramReply != "api" {
		errs = append(errs, fmt.Errorf("TELEGRAM_WEBHOOK_REPLY: %q is not response or api", c.TelegramReply))
	}
	if c.TelegramWebhookURL != "" && c.TelegramSecret == "" {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET"))
	}
	if c.TelegramWebhookURL != "" && c.TelegramToken == "" {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is empty"))
	}
	if c.TelegramWebhookURL != "" && !strings.HasPrefix(c.TelegramWebhookURL, "https://") {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_URL must be an https:// URL"))
	}
	return errors.Join(errs...)
}

// loadKnowledge loads the embedded content, or the directory given.
func (c *Config) loadKnowledge() (*knowledge.Base, error) {
	if c.KnowledgeDir != "" {
		// Name a wrong directory rather than report it as empty content.
		switch fi, err := os.Stat(c.KnowledgeDir); {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("content directory %s (--knowledge / SSWBOT_KNOWLEDGE): no such directory", c.KnowledgeDir)
		case err != nil:
			return nil, fmt.Errorf("content directory: %w", err)
		case !fi.IsDir():
			return nil, fmt.Errorf("content directory %s (--knowledge / SSWBOT_KNOWLEDGE): not a directory", c.KnowledgeDir)
		}
		return knowledge.Load(os.DirFS(c.KnowledgeDir))
	}
	return knowledge.Default()
}

// storage is what sswbot needs of a store: the bot's port, the console's
// read side and the Telegram poller's offset.
type storage interface {
	bot.Store
	bot.Index
	bot.CaseStore
	bot.QuotaStore
	console.Feed
	console.Notes
	LoadOffset(ctx context.Context, name string) (int64, error)
	SaveOffset(ctx context.Context, name string, offset int64) error
}

// openStore opens Redis when configured, else the in-memory store.
func (c *Config) openStore(ctx context.Context) (storage, error) {
	if c.RedisURL == "" {
		return memstore.New(memstore.Options{
			SessionTTL: c.SessionTTL, TranscriptRetention: c.TranscriptRetention, LeaseTTL: c.EventLease,
			MaxEntries: c.MaxEntries, MaxBytes: c.MemoryMaxBytes,
		}), nil
	}
	s, err := redisstore.New(ctx, redisstore.Options{
		URL: c.RedisURL, Prefix: c.RedisPrefix, LegacyCases: c.RedisLegacyCases,
		SessionTTL: c.SessionTTL, TranscriptRetention: c.TranscriptRetention, LeaseTTL: c.EventLease,
		MaxEntries: c.MaxEntries,
	})
	if err != nil {
		return nil, fmt.Errorf("open redis: %w", err)
	}
	return s, nil
}

// consoleZones reads the console's time zone and the staff members' own.
func (c *Config) consoleZones() (*time.Location, map[string]*time.Location, error) {
	def := console.Tokyo()
	if c.ConsoleTZ != "" {
		l, err := time.LoadLocation(c.ConsoleTZ)
		if err != nil {
			return nil, nil, fmt.Errorf("SSWBOT_CONSOLE_TZ: %q is not a time zone such as Asia/Tokyo", c.ConsoleTZ)
		}
		def = l
	}
	zones := map[string]*time.Location{}
	for entry := range strings.SplitSeq(c.ConsoleStaffTZ, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, zone, ok := strings.Cut(entry, "=")
		l, err := time.LoadLocation(strings.TrimSpace(zone))
		if !ok || err != nil || zone == "" {
			return nil, nil, fmt.Errorf("SSWBOT_CONSOLE_STAFF_TZ: %q: want name=Area/City", entry)
		}
		zones[strings.TrimSpace(name)] = l
	}
	return def, zones, nil
}

// secureCookies is whether the console marks its cookies Secure: as told,
// else unless serve listens on a loopback address only (a local trial over
// plain HTTP; anything reachable from outside is expected behind TLS).
func (c *Config) secureCookies() bool {
	if c.ConsoleSecureSet {
		return c.ConsoleSecure
	}
	return !isLoopback(c.Addr)
}

// isLoopback reports whether a listen address ("127.0.0.1:8080",
// "localhost:0", "[::1]:80") accepts only local connections.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
