package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/bot"
	"example.com/sswbot/store/internal/retention"
)

// Options configure a Store. Zero values get defaults.
type Options struct {
	// URL is redis://[user:password@]host:port[/db], rediss:// for TLS,
	// or unix://[user:password@]/path/redis.sock[?db=N] for a Redis on the
	// same host; go-redis query options (dial_timeout, pool_size, ...) are
	// accepted.
	URL    string
	Prefix string // of every key; "sswbot:"

	SessionTTL time.Duration // sliding, renewed by every Commit; 30 days
	// TranscriptRetention keeps meta and transcript after the last activity;
	// 180 days, at least SessionTTL.
	TranscriptRetention time.Duration
	DedupeTTL           time.Duration // how long an event id is remembered; 48 hours
	// MaxEntries caps a conversation's transcript: the oldest entries are
	// dropped (and counted, see Dropped); 1000.
	MaxEntries int
	LeaseTTL   time.Duration // an event's in-flight lease (see bot.Store.Claim); 40 s
	// Senders is how many batches of concurrent turns' commands may be in
	// flight at once (see batcher); 2.
	Senders int
	// LegacyCases creates new shared cases in the earlier versions' layout
	// (all under {cases}, see cases.go): the first step of a rolling update
	// from such a version, so the processes still running it see every
	// case. Once none runs any more, restart without it.
	LegacyCases bool
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "sswbot:"
	}
	retention.Fill(&o.SessionTTL, &o.TranscriptRetention, &o.DedupeTTL)
	retention.FillLease(&o.LeaseTTL)
	retention.FillEntries(&o.MaxEntries)
	if o.Senders <= 0 {
		o.Senders = 2
	}
	return o
}

// Store is a bot.Store and bot.Index on Redis.
type Store struct {
	rdb     redis.UniversalClient
	batch   *batcher // the turn's scripts: Claim, Commit, MarkDelivered, Forget
	opt     Options
	index   string
	dropped atomic.Int64 // transcript entries dropped by the cap
	sc      scripts      // the turn's scripts, with the Options in them
	// pruned is when this process last pruned each index shard (Unix ms).
	pruned [indexShards]atomic.Int64
	// expiring remembers the funnel counters whose expiry this process set
	// lately (see sideWrites.flush).
	expiring      sync.Map // key → Unix ms when set
	expiriesSwept atomic.Int64
	cases         caseState   // see cases.go
	side          *sideWrites // the commits' index and funnel updates, merged (side.go)
	sending       sending     // records to mark delivered (MarkDelivered)
}

// scripts are the turn's scripts with the Options' durations (as
// milliseconds) and the transcript cap written into their text, so no
// turn passes them: redis-server turns each argument of a script into a
// Lua string (hashed and interned), a seventh of its time per event with
// them passed.
type scripts struct{ claim, commit, claimCommit turnScript }

// turnScript is a script with its SHA1 boxed once, for commit's EVALSHA.
type turnScript struct {
	*redis.Script
	sha any
}

func newTurnScript(src string) turnScript {
	sc := redis.NewScript(src)
	return turnScript{sc, sc.Hash()}
}

// The words of an EVALSHA, boxed once: go-redis's EvalSha boxes the
// command's name, the SHA and every key (an allocation each) and copies
// the arguments into a new list, on every turn.
var (
	evalsha any = "evalsha"
	numKeys     = [...]any{"0", "1", "2", "3", "4", "5", "6"}
)

func newScripts(o Options) scripts {
	r := strings.NewReplacer(
		"@SESSION_PX@", ms(o.SessionTTL),
		"@RETENTION_PX@", ms(o.TranscriptRetention),
		"@TRANSCRIPT_PX@", ms(o.TranscriptRetention+renewPeriod(o)),
		"@DEDUPE_PX@", ms(o.DedupeTTL),
		"@LEASE_PX@", ms(o.LeaseTTL),
		"@MAX@", strconv.Itoa(o.MaxEntries),
		"@MARK@", `\0delivered`, // deliveredMark in Lua's notation
	)
	return scripts{
		claim:       newTurnScript(r.Replace(claimScript)),
		commit:      newTurnScript(r.Replace(commitScript)),
		claimCommit: newTurnScript(r.Replace(claimCommitScript)),
	}
}

// renewPeriod is how often a conversation's transcript has its expiry set
// again: a day, or a hundredth of a retention shorter than 100 days.
// Setting it with every turn cost each turn a PEXPIRE (a command and two
// key lookups in the script); set once a period, to the retention plus one
// period, the transcript still outlives the last activity by the retention
// (and its meta by at most one period).
func renewPeriod(o Options) time.Duration {
	return max(min(24*time.Hour, o.TranscriptRetention/100), time.Millisecond)
}

// renewTranscript says whether a turn at now, made from a conversation
// whose last turn left base (nil for none), sets its transcript's expiry:
// when it is the first turn in a new period. A list the turn creates gets
// one anyway (commitWrites).
func (s *Store) renewTranscript(base *bot.Meta, now time.Time) bool {
	if base == nil || now.IsZero() {
		return true
	}
	p := renewPeriod(s.opt).Milliseconds()
	return now.UnixMilli()/p != base.LastActive.UnixMilli()/p
}

var (
	_ bot.Store          = (*Store)(nil)
	_ bot.ClaimCommitter = (*Store)(nil)
	_ bot.Index          = (*Store)(nil)
)

// New connects to the Redis at opt.URL and checks that it answers.
func New(ctx context.Context, opt Options) (*Store, error) {
	opt = opt.withDefaults()
	if strings.ContainsAny(opt.Prefix, "{}") {
		return nil, errors.New("redisstore: the key prefix must not contain { or }")
	}
	uo, err := universalOptions(opt.URL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisstore: parse URL: %w", err)
	}
	if uo.Protocol == 0 {
		// RESP2 unless the URL asks (protocol=3): with RESP3 go-redis peeks
		// for push notifications before reading every reply, about 4 % of
		// a turn's CPU, and nothing here subscribes to any.
		uo.Protocol = 2
	}
	rdb := redis.NewUniversalClient(uo)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, unavailable("connect", err)
	}
	s := &Store{rdb: rdb, batch: newBatcher(rdb, opt.Senders), opt: opt, index: opt.Prefix + "idx",
		sc: newScripts(opt)}
	s.side = newSideWrites(s)
	return s, nil
}

// universalOptions reads one URL into options for a universal client, so
// one setting covers every deployment:
//
//   - redis://host:6379/0 — a single node;
//   - redis://host1:6379?addr=host2:6379&addr=host3:6379 — a Cluster;
//   - redis://sentinel1:26379?master_name=mymaster&addr=sentinel2:26379&password=pw — Sentinel;
//     go-redis takes a password before the @ as the Sentinels' own and
//     password= as the master's;
//   - unix:///run/redis/redis.sock?db=0 — a single node on this host, over
//     its unix socket: loopback TCP cost serve and redis-server 13–25 % of
//     their CPU per event in the kernel's TCP path. The path is absolute
//     (unix:// then the path's own /); a password goes before an @ in
//     front of it (unix://:pw@/run/redis/redis.sock).
//
// A user's keys share one hash slot, so the turn script works on a Cluster.
func universalOptions(raw string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	switch u.Scheme {
	case "redis", "rediss":
	case "unix":
		if q.Has("addr") || q.Has("master_name") {
			return nil, errors.New("a unix:// URL is one node on this host: a Cluster or Sentinel is reached with redis://")
		}
		if !strings.HasPrefix(u.Path, "/") || u.Host != "" {
			return nil, errors.New("a unix:// URL takes the socket's absolute path: unix:///path/to/redis.sock")
		}
	default:
		return nil, errors.New("the URL must start with redis://, rediss:// or unix://")
	}
	switch {
	case q.Get("master_name") != "":
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, err
		}
		return &redis.UniversalOptions{
			Addrs: o.SentinelAddrs, MasterName: o.MasterName,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB, Protocol: o.Protocol,
			MaxRetries: o.MaxRetries, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
			WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns,
			TLSConfig: o.TLSConfig,
		}, nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, err
		}
		return &redis.UniversalOptions{
			Addrs: o.Addrs, IsClusterMode: true, ClientName: o.ClientName,
			Username: o.Username, Password: o.Password, Protocol: o.Protocol,
			MaxRetries: o.MaxRetries, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
			WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns,
			TLSConfig: o.TLSConfig,
		}, nil
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	return &redis.UniversalOptions{
		Addrs:                 []string{o.Addr},
		ClientName:            o.ClientName,
		DB:                    o.DB,
		Protocol:              o.Protocol,
		Username:              o.Username,
		Password:              o.Password,
		MaxRetries:            o.MaxRetries,
		MinRetryBackoff:       o.MinRetryBackoff,
		MaxRetryBackoff:       o.MaxRetryBackoff,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		PoolFIFO:              o.PoolFIFO,
		PoolSize:              o.PoolSize,
		MaxConcurrentDials:    o.MaxConcurrentDials,
		PoolTimeout:           o.PoolTimeout,
		MinIdleConns:          o.MinIdleConns,
		MaxIdleConns:          o.MaxIdleConns,
		MaxActiveConns:        o.MaxActiveConns,
		ConnMaxIdleTime:       o.ConnMaxIdleTime,
		ConnMaxLifetime:       o.ConnMaxLifetime,
		ConnMaxLifetimeJitter: o.ConnMaxLifetimeJitter,
		TLSConfig:             o.TLSConfig,
	}, nil
}

// unavailable marks an error from talking to Redis as an outage. Every such
// error counts, server errors included: the caller's answer (5xx, so the
// platform redelivers) is right for all of them, and the scripts are atomic,
// so nothing was half-written.
func unavailable(op string, err error) error {
	return fmt.Errorf("redisstore: %s: %w: %w", op, bot.ErrUnavailable, err)
}

// unavailable is the package's unavailable for a call that failed: with a
// Cluster client it also has the slot map read again, in the background.
// When a master dies its replica is promoted within the cluster's node
// timeout; without this, go-redis would keep dialling the dead master
// until its periodic refresh (10 s), and every user on those slots would
// wait that long for an answer.
func (s *Store) unavailable(op string, err error) error {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		cc.ReloadState(context.Background())
	}
	return unavailable(op, err)
}

// keys of one conversation.
type keys struct {
	base, session, meta, transcript, event, lease string
	outcome                                       string // commit's outcome key, when it writes one
}

func (s *Store) keys(id bot.ConversationID, eventID string) keys {
	// One concatenation holds them all (one allocation instead of six: a
	// turn builds them twice); each key is a slice of it.
	base := s.opt.Prefix + "{" + string(id) + "}:"
	all := base + "s" + base + "m" + base + "t" + base + "e:" + eventID + base + "l:" + eventID
	n, ne := len(base), len(base)+2+len(eventID)
	return keys{all[:n], all[:n+1], all[n+1 : 2*n+2], all[2*n+2 : 3*n+3], all[3*n+3 : 3*n+3+ne], all[3*n+3+ne:], ""}
}

// outcomeKey holds the outcome of a dedupe record too large to pass
// through the commit script (see Commit), written by holder's commit of
// eventID. The holder makes it the attempt's own: two handlers of one event
// (the first one's lease ran out) never overwrite each other's.
func (k keys) outcomeKey(eventID, holder string) string {
	return k.base + "o:" + eventID + ":" + holder
}

// inlineOutcome is the largest outcome kept inside the dedupe record
// itself; a larger one (any answer with a card: 1–3 KB) goes to its own key
// with a plain SET. Passing a value through a script costs redis-server
// about 9 µs more per 2 KB than a SET (each byte copied into a Lua string
// and out again), and the outcome is read only on a redelivery.
const inlineOutcome = 256

// outcomeRef starts a dedupe record's outcome part that names the holder
// whose outcome key holds the outcome (an outcome itself starts with its
// codec's version byte or "{").
const outcomeRef = 0

// deliveredMark is what MarkDelivered leaves in an event's lease key: the
// replies were sent. (A holder never starts with a NUL byte.) It lives as
// long as the dedupe record, so one plain SET records a delivery where a
// script had to find the record and change its first byte.
const deliveredMark = "\x00delivered"

// Load implements bot.Store in one round trip.
func (s *Store) Load(ctx context.Context, id bot.ConversationID, eventID string) (bot.Snapshot, error) {
	k := s.keys(id, eventID)
	var session, meta, event, lease *redis.StringCmd
	// MULTI, so session and version come from the same turn.
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		session = p.Get(ctx, k.session)
		meta = p.Get(ctx, k.meta)
		if eventID != "" {
			event = p.Get(ctx, k.event)
			lease = p.Get(ctx, k.lease)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return bot.Snapshot{}, s.unavailable("load", err)
	}
	sv, hasSession := value(session)
	mv, _ := value(meta)
	ev, _ := value(event)
	lv, _ := value(lease)
	snap, err := snapshot(hasSession, sv, mv, ev, lv == deliveredMark)
	if err != nil {
		return bot.Snapshot{}, err
	}
	return snap, s.fetchOutcome(ctx, k, eventID, snap.Recorded)
}

// fetchOutcome replaces a record's reference to its outcome key (see
// Commit) with the outcome: a second round trip, only on a redelivery.
// The outcome key is written before the record and outlives it, so it is
// there unless Redis evicted it; then the record answers with no replies
// ("{}", the empty outcome) rather than fail every redelivery.
func (s *Store) fetchOutcome(ctx context.Context, k keys, eventID string, r *bot.Recorded) error {
	if r == nil || len(r.Outcome) == 0 || r.Outcome[0] != outcomeRef {
		return nil
	}
	var get *redis.StringCmd
	err := s.batch.do(ctx, func(p redis.Pipeliner) { get = p.Get(ctx, k.outcomeKey(eventID, string(r.Outcome[1:]))) })
	if err == nil {
		err = get.Err()
	}
	switch {
	case errors.Is(err, redis.Nil):
		r.Outcome = []byte("{}")
	case err != nil:
		return s.unavailable("load outcome", err)
	default:
		r.Outcome = []byte(get.Val())
	}
	return nil
}

// snapshot builds a Snapshot from the raw values of the session, meta and
// event keys ("" = absent, except for the session, where hasSession says);
// marked says the lease key holds deliveredMark.
func snapshot(hasSession bool, session, meta, event string, marked bool) (bot.Snapshot, error) {
	var snap bot.Snapshot
	var err error
	if hasSession {
		snap.Session = []byte(session)
	}
	if meta != "" {
		if snap.Version, snap.Meta, err = parseMeta(meta); err != nil {
			return bot.Snapshot{}, err
		}
	}
	if event != "" {
		snap.Recorded = parseRecord(event)
		snap.Recorded.Delivered = snap.Recorded.Delivered || marked
	}
	return snap, nil
}

// parseRecord reads a dedupe record, "<0 sending|1 delivered><reply
// token>\n<outcome>", or one that ClaimCommit wrote with the lease inside
// (leasedRecord). A record written before reply tokens were kept has no
// newline (an outcome is JSON, which has none): all of it is the outcome.
func parseRecord(raw string) *bot.Recorded {
	body := raw[1:]
	if raw[0] == leasedRecord {
		_, body, _ = strings.Cut(body, "\t")
	}
	r := &bot.Recorded{Delivered: raw[0] == '1'}
	if token, outcome, ok := strings.Cut(body, "\n"); ok {
		r.ReplyToken, r.Outcome = token, []byte(outcome)
	} else {
		r.Outcome = []byte(body)
	}
	return r
}

// leasedRecord starts a dedupe record that holds its event's lease itself:
// "2<lease end, Unix ms>:<holder>\t<reply token>\n<outcome>", sending.
// ClaimCommit writes it instead of a lease key beside the record: a key
// made per event (and turned into a delivery mark kept 48 hours) cost
// redis-server a sixth of its time per event. The end is the writer's
// clock and Claim compares it with its own: processes' clocks must agree
// to well within the lease (40 s), as NTP keeps them.
const leasedRecord = '2'

// appendLease starts a leasedRecord for holder until end.
func appendLease(b []byte, end time.Time, holder string) []byte {
	b = strconv.AppendInt(append(b, leasedRecord), end.UnixMilli(), 10)
	return append(append(append(b, ':'), holder...), '\t')
}

// claimScript is Load plus the event's lease, in one step: it returns
// session, meta and event record (false when absent), 1 when another
// holder's lease is live (then nothing was taken), and 1 when the event is
// marked delivered (deliveredMark; then no lease is taken either). A mark
// without a record (MarkDelivered of an event never committed) is no lease.
// A lease is another holder's lease key, or a leasedRecord's lease that
// has not ended by the caller's clock. The four values come from one MGET:
// each redis.call pays a command lookup and its checks.
//
// (A template: see scripts.)
//
//	KEYS: session, meta, event, lease
//	ARGV: holder, now (Unix ms)
const claimScript = `
local g = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local rec, l = g[3], g[4]
local marked = rec and l == '@MARK@'
if not marked and (not rec or string.sub(rec, 1, 1) ~= '1') then
  if l and l ~= ARGV[1] and l ~= '@MARK@' then return {false, false, false, 1, 0} end
  if rec and string.sub(rec, 1, 1) == '2' then
    local e, h = string.match(rec, '^2(%d+):([^\t]*)\t')
    if h ~= ARGV[1] and tonumber(e) > tonumber(ARGV[2]) then return {false, false, false, 1, 0} end
  end
  redis.call('SET', KEYS[4], ARGV[1], 'PX', '@LEASE_PX@')
end
return {g[1], g[2], rec, 0, marked and 1 or 0}
`

// Claim implements bot.Store in one round trip.
func (s *Store) Claim(ctx context.Context, id bot.ConversationID, eventID, holder string) (bot.Snapshot, error) {
	if eventID == "" {
		return s.Load(ctx, id, "")
	}
	k := s.keys(id, eventID)
	res, err := s.script(ctx, s.sc.claim.Script, []string{k.session, k.meta, k.event, k.lease},
		[]any{holder, time.Now().UnixMilli()}, nil)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return bot.Snapshot{}, s.unavailable("claim", err)
	}
	vals, ok := res.Val().([]any)
	if !ok || len(vals) != 5 {
		return bot.Snapshot{}, fmt.Errorf("redisstore: claim: unexpected reply %T", res.Val())
	}
	if busy, _ := vals[3].(int64); busy == 1 {
		return bot.Snapshot{}, bot.ErrInFlight
	}
	str := func(v any) string { s, _ := v.(string); return s }
	_, hasSession := vals[0].(string)
	marked, _ := vals[4].(int64)
	snap, err := snapshot(hasSession, str(vals[0]), str(vals[1]), str(vals[2]), marked == 1)
	if err != nil {
		return bot.Snapshot{}, err
	}
	return snap, s.fetchOutcome(ctx, k, eventID, snap.Recorded)
}

// value returns the string a GET found, if any. In an executed transaction
// a nil cmd (not sent) or redis.Nil both mean absent.
func value(c *redis.StringCmd) (string, bool) {
	if c == nil || c.Err() != nil {
		return "", false
	}
	return c.Val(), true
}

// parseMeta splits the meta key's value. The meta of a forgotten
// conversation is its version alone.
func parseMeta(raw string) (int64, *bot.Meta, error) {
	v, rec, _ := strings.Cut(raw, "\n")
	version, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("redisstore: bad meta version: %w", err)
	}
	if rec == "" {
		return version, nil, nil
	}
	m, err := decodeMeta(rec)
	if err != nil {
		return 0, nil, fmt.Errorf("redisstore: bad meta: %w", err)
	}
	return version, &m, nil
}

// commitScript writes one turn if the event is new, its lease not taken by
// another holder and the version unchanged. It returns the number of the
// oldest transcript entries dropped to keep at most max (a number, not a
// table: each table is built in Lua and read back as an array), or -1 on a
// version conflict, -2 for a duplicate, -3 when the lease is another's, -4
// when the record names an outcome key that is not there (it is written
// just before, in the same pipeline; see Commit).
// Every value it stores is made whole in Go (the meta value carries the
// next version, the dedupe record its status and reply token): Lua only
// compares and passes them on, since each string it builds is copied and
// interned by the interpreter, and redis-server's time in Lua was most of
// its time per event. For the same reason a large outcome does not pass
// through it at all, and the values it checks come from one MGET. (A
// template: see scripts.)
//
//	KEYS: session, meta, transcript, event, lease, and the outcome key when the record names it
//	ARGV: base version, session ("" = leave it), meta value (next version, "\n", record),
//	      "1" when there is an event id (dedupe), dedupe record, holder,
//	      "1" when the record says delivered (the lease ends),
//	      "1" when the record names the outcome key,
//	      "1" to renew the transcript's expiry (see renewTranscript), entry...
const commitScript = `
local first = 10
local dedupe = ARGV[4] == '1'
local m
if dedupe then
  local g = redis.call('MGET', KEYS[4], KEYS[5], KEYS[2])
  if g[1] then return -2 end
  local l = g[2]
  if l == '@MARK@' then
    redis.call('DEL', KEYS[5]) -- a mark without a record: no lease, no delivery
  elseif l and l ~= ARGV[6] then
    return -3
  end
  if ARGV[8] == '1' and redis.call('EXISTS', KEYS[6]) == 0 then return -4 end
  m = g[3]
else
  m = redis.call('GET', KEYS[2])
end
` + commitWrites + `
if dedupe then
  redis.call('SET', KEYS[4], ARGV[5], 'PX', '@DEDUPE_PX@')
  if ARGV[7] == '1' then redis.call('DEL', KEYS[5]) end
end
return dropped
`

// commitWrites is the part of commitScript and claimCommitScript that
// checks the version (the meta value m) and writes the turn: session, meta,
// the transcript entries from ARGV[first] on, capped at max. The
// transcript's expiry is set when the caller asks (ARGV[9]) or the list is
// new, not by every turn (see renewTranscript). Both scripts take base
// version, session and meta value as ARGV 1–3 and the renew flag as 9.
const commitWrites = `
local v = 0
if m then v = tonumber(string.sub(m, 1, string.find(m, '\n', 1, true) - 1)) end
if v ~= tonumber(ARGV[1]) then return -1 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', '@SESSION_PX@') end
redis.call('SET', KEYS[2], ARGV[3], 'PX', '@RETENTION_PX@')
local dropped = 0
local renew = ARGV[9] == '1'
if #ARGV >= first then
  local n = redis.call('RPUSH', KEYS[3], unpack(ARGV, first))
  if n == #ARGV - first + 1 then renew = true end
  if n > @MAX@ then
    dropped = n - @MAX@
    redis.call('LTRIM', KEYS[3], dropped, -1)
  end
end
if renew then redis.call('PEXPIRE', KEYS[3], '@TRANSCRIPT_PX@') end
`

// claimCommitScript is claimScript and commitScript in one
// (bot.ClaimCommitter): it commits a turn computed from a snapshot the
// caller kept, when the event is not recorded, no other holder's lease is
// live, and the conversation is still that snapshot: the very meta value
// and session it read or wrote ("" for none), not only the version, since
// a version number can come back after Redis lost acknowledged writes (a
// failover to a replica that lagged) and another process committed anew.
// Then the lease is the holder's, inside the record (a leasedRecord: the
// replies are being sent), or ends when the record says delivered; a lease
// key left (the holder's own, or a mark without a record) is deleted. Its
// results are commitScript's; -1 also for a session or meta that changed.
//
//	KEYS: commitScript's
//	ARGV: commitScript's, but for 4 the snapshot's session and for 7 its
//	      meta value (the record, 5, is a leasedRecord unless delivered)
const claimCommitScript = `
local first = 10
local g = redis.call('MGET', KEYS[4], KEYS[5], KEYS[2], KEYS[1])
if g[1] then return -2 end
local l = g[2]
if l and l ~= ARGV[6] and l ~= '@MARK@' then return -3 end
if (g[4] or '') ~= ARGV[4] or (g[3] or '') ~= ARGV[7] then return -1 end
if ARGV[8] == '1' and redis.call('EXISTS', KEYS[6]) == 0 then return -4 end
local m = g[3]
` + commitWrites + `
redis.call('SET', KEYS[4], ARGV[5], 'PX', '@DEDUPE_PX@')
if l then redis.call('DEL', KEYS[5]) end
return dropped
`

// commitBufs holds commit's argument buffers: a turn's encoded meta values
// and transcript entries are 1–3 KB, about a tenth of what serve allocates
// per webhook, and what serve allocates sets how often its collector runs
// and how much it sweeps then (BENCHMARKS.md, the collector and the
// slowest per cent).
var commitBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxCommitBuf bounds the buffers kept: a turn with a long text should not
// pin its buffer.
const maxCommitBuf = 64 << 10

func getCommitBuf(size int) *[]byte {
	bp := commitBufs.Get().(*[]byte)
	if cap(*bp) < size { // kept empty: putCommitBuf stores it so
		*bp = make([]byte, 0, size)
	}
	return bp
}

// putCommitBuf gives back bp, whose bytes end up in buf (the same array
// unless a size bound was short).
func putCommitBuf(bp *[]byte, buf []byte) {
	if cap(buf) > maxCommitBuf {
		return
	}
	*bp = buf[:0]
	commitBufs.Put(bp)
}

// outcomeMargin is how much longer an outcome key lives than its record,
// so that it is there for as long as the record names it.
const outcomeMargin = time.Minute

// Commit implements bot.Store in one round trip: the script, pipelined with
// the index update (another slot in a Cluster, hence not in the script)
// and, before the script, the outcome key's SET when the outcome is large.
// That SET is not atomic with the script, and need not be: it writes a key
// only this attempt's record can name, the script refuses a record whose
// key is missing (-4), and a commit that loses (conflict, duplicate,
// lease) leaves only an unnamed key that expires.
func (s *Store) Commit(ctx context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit) error {
	return s.commit(ctx, id, base, c, false)
}

// ClaimCommit implements bot.ClaimCommitter in one round trip: Commit's,
// with claimCommitScript.
func (s *Store) ClaimCommit(ctx context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit) error {
	if c.EventID == "" || c.Holder == "" {
		return errors.New("redisstore: ClaimCommit needs an event id and a holder")
	}
	return s.commit(ctx, id, base, c, true)
}

// commit is Commit, or with claim ClaimCommit.
func (s *Store) commit(ctx context.Context, id bot.ConversationID, base bot.Snapshot, c bot.Commit, claim bool) error {
	if strings.Contains(c.ReplyToken, "\n") {
		return errors.New("redisstore: a reply token with a newline")
	}
	if strings.ContainsAny(c.Holder, "\t\n") {
		return errors.New("redisstore: a holder with a tab or newline")
	}
	m := c.Meta
	m.ID = id
	dedupe, status := "", "0"
	if c.EventID != "" {
		dedupe = "1"
	}
	if c.Delivered {
		status = "1"
	}
	k := s.keys(id, c.EventID)
	// Only a holder's commit has an outcome key of its own (the bot's
	// always; a store test's may have none). An inline outcome must not
	// look like a reference.
	ref := c.EventID != "" && c.Holder != "" &&
		(len(c.Outcome) > inlineOutcome || len(c.Outcome) > 0 && c.Outcome[0] == outcomeRef)
	// The dedupe record: "<0 sending|1 delivered><reply token>\n<outcome>"
	// (sending with its lease inside for ClaimCommit: a leasedRecord), or,
	// for a large outcome, "...\n" outcomeRef <holder>.
	now := time.Now()
	leased := claim && !c.Delivered
	rec := make([]byte, 0, 3+len(c.ReplyToken)+min(len(c.Outcome), inlineOutcome+len(c.Holder))+24+len(c.Holder))
	if leased {
		rec = appendLease(rec, now.Add(s.opt.LeaseTTL), c.Holder)
	} else {
		rec = append(rec, status...)
	}
	body := len(rec) // where what MarkDelivered keeps starts
	rec = append(append(rec, c.ReplyToken...), '\n')
	refArg := ""
	if ref {
		rec = append(append(rec, outcomeRef), c.Holder...)
		refArg = "1"
	} else {
		rec = append(rec, c.Outcome...)
	}
	renew := ""
	if s.renewTranscript(base.Meta, c.Now) {
		renew = "1"
	}
	// The meta value, the snapshot's (ClaimCommit) and the entries are
	// encoded into one buffer, sized up front, each argument a slice of
	// it: one buffer where growing each value on its own made ten
	// allocations. It is pooled (see commitBufs). (rec has its own:
	// MarkDelivered keeps it.)
	var bm bot.Meta
	size := metaSize(m)
	if claim && base.Meta != nil {
		bm = *base.Meta
		bm.ID = id
		size += metaSize(bm)
	}
	for _, e := range c.Entries {
		size += entrySize(e)
	}
	bp := getCommitBuf(size)
	buf := *bp
	next := func(b []byte) []byte { // the bytes appended since buf
		v := b[len(buf):len(b):len(b)]
		buf = b
		return v
	}
	// The EVALSHA's whole argument list, made here (see evalsha): the keys
	// point into k, one allocation for all of them.
	nk := 5
	if ref {
		k.outcome = k.outcomeKey(c.EventID, c.Holder)
		nk = 6
	}
	cmd := make([]any, 0, 3+nk+9+len(c.Entries))
	cmd = append(cmd, evalsha, nil, numKeys[nk], &k.session, &k.meta, &k.transcript, &k.event, &k.lease)
	if ref {
		cmd = append(cmd, &k.outcome)
	}
	args := append(cmd[len(cmd):], base.Version, c.Session, next(appendMeta(buf, base.Version+1, m)), flag(dedupe), rec, c.Holder, flag(status), flag(refArg), flag(renew))
	script := s.sc.commit
	if claim {
		script = s.sc.claimCommit
		var stored []byte // the meta value the snapshot's commit wrote
		if base.Meta != nil {
			stored = next(appendMeta(buf, base.Version, bm))
		}
		// claimCommitScript takes the snapshot where commitScript takes
		// the dedupe flag (it always dedupes) and the status (its record
		// says it).
		args[3], args[6] = base.Session, stored
	}
	for _, e := range c.Entries {
		args = append(args, next(appendEntry(buf, e)))
	}
	cmd[1] = script.sha
	cmd = append(cmd[:3+nk], args...) // in place: args was appended into cmd's room
	var res *redis.Cmd
	// The batch function uses copies of c's parts, not c: capturing c
	// would move all of it to the heap.
	outcome, mark := c.Outcome, markOf(c)
	err := s.batch.do(ctx, func(p redis.Pipeliner) {
		if ref {
			p.Set(ctx, k.outcome, outcome, s.opt.DedupeTTL+outcomeMargin)
		}
		res = p.Do(ctx, cmd...)
		// A new (or forgotten) conversation enters the index with its
		// first commit; later commits' updates are merged (side.go).
		if base.Meta == nil {
			s.indexAt(ctx, p, id, now)
		} else {
			s.side.index(id, now.UnixMilli())
		}
		s.side.funnel(id, mark)
	})
	if err == nil {
		// The batch was written and answered: nothing reads the arguments
		// after this function (a caller that stopped waiting may leave its
		// batch in flight, so only here).
		defer putCommitBuf(bp, buf)
		err = res.Err()
		if errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT") {
			// Redis lost its script cache (a restart): send the script.
			// The outcome key was written in the same batch, before.
			keys := []string{k.session, k.meta, k.transcript, k.event, k.lease, k.outcome}
			res = script.Eval(ctx, s.rdb, keys[:nk], args...)
			err = res.Err()
		}
	}
	if err != nil {
		return s.unavailable("commit", err)
	}
	switch v := res.Val().(type) {
	case int64:
		switch v {
		case -1:
			return bot.ErrConflict
		case -2:
			return bot.ErrDuplicate
		case -3:
			return bot.ErrInFlight
		case -4:
			// The outcome key's SET failed while the script ran (it
			// cannot, short of an eviction at that instant): nothing was
			// written; the platform redelivers.
			return s.unavailable("commit", errors.New("the outcome key was not written"))
		}
		if v > 0 {
			s.dropped.Add(v)
		}
	}
	// The turn is committed. A failed index update (its node down, in a
	// Cluster) must not report an outage that did not happen to the turn;
	// the next commit repairs the index.
	if c.EventID != "" && !c.Delivered {
		// The record as MarkDelivered will write it: the byte before the
		// body (the status, or the lease's end) becomes "delivered". The
		// pipeline has written rec and holds it no more.
		rec[body-1] = '1'
		s.sending.put(k.event, rec[body-1:])
	}
	return nil
}

// script runs sc pipelined with the commands also queues, in one round trip
// shared with the other turns' calls of the moment (batcher). Only after
// Redis lost its script cache (a restart) does it cost a second one, to send
// the script itself. It returns the script's result and the first error of
// the other commands.
func (s *Store) script(ctx context.Context, sc *redis.Script, keys []string, args []any, also func(redis.Pipeliner)) (*redis.Cmd, error) {
	var (
		res  *redis.Cmd
		rest []redis.Cmder
	)
	err := s.batch.do(ctx, func(p redis.Pipeliner) {
		res = sc.EvalSha(ctx, p, keys, args...)
		if also != nil {
			n := p.Len()
			also(p)
			rest = p.Cmds()[n:]
		}
	})
	if err != nil {
		res = redis.NewCmd(ctx)
		res.SetErr(err)
		return res, nil
	}
	if err := res.Err(); errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT") {
		res = sc.Eval(ctx, s.rdb, keys, args...)
	}
	for _, c := range rest {
		if err := c.Err(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// The scripts' flags as interface values made once: boxing a string
// allocates (but for ""), and a commit passes four.
var (
	flagOn   any = "1"
	flagOff  any = "0"
	flagNone any = ""
)

// flag is v ("1", "0" or "") as one of those.
func flag(v string) any {
	switch v {
	case "1":
		return flagOn
	case "0":
		return flagOff
	case "":
		return flagNone
	}
	return v
}

func ms(d time.Duration) string { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }

// MarkDelivered implements bot.Store with one plain SET, in the shared
// pipeline. For an event this process committed, the dedupe record is
// written again as delivered (without its lease: that ends it), only if it
// is there (XX) and keeping its expiry: no key is made. Otherwise (another
// process committed it, or this one restarted) the lease key becomes
// deliveredMark for as long as the dedupe record lives (it ends the lease:
// the mark is no holder). For an unknown or expired event id the mark is
// left alone by Claim and Commit (it is no record and no lease) and
// expires.
func (s *Store) MarkDelivered(ctx context.Context, id bot.ConversationID, eventID string) error {
	if eventID == "" {
		return nil
	}
	// Only the key it writes (keys builds all six), in keys' layout:
	// TestADeliveredEventKeepsOneKey fails when the two differ.
	event := s.opt.Prefix + "{" + string(id) + "}:e:" + eventID
	rec, mine := s.sending.take(event)
	var set *redis.StatusCmd
	// Nothing waits for it (the answer is sent): it rides in the next
	// batch of the turns' commands.
	err := s.batch.later(ctx, func(p redis.Pipeliner) {
		if mine {
			set = p.SetArgs(ctx, event, rec, redis.SetArgs{Mode: "XX", KeepTTL: true})
		} else {
			set = p.Set(ctx, s.keys(id, eventID).lease, deliveredMark, s.opt.DedupeTTL)
		}
	})
	if err == nil {
		if err = set.Err(); errors.Is(err, redis.Nil) {
			err = nil // XX: the record is gone, there is nothing to mark
		}
	}
	if err != nil {
		return s.unavailable("mark delivered", err)
	}
	return nil
}

// sending holds the dedupe records, as delivered, of the events this
// process committed and is sending the replies of, by event key, for
// MarkDelivered (and dropped by Release). It is bounded: when full it is
// emptied, and the events in it are marked with a mark key instead.
type sending struct {
	mu sync.Mutex
	m  map[string][]byte
}

// maxSending bounds sending: far more events than are sent at once.
const maxSending = 1 << 15

func (p *sending) put(key string, rec []byte) {
	p.mu.Lock()
	if p.m == nil || len(p.m) >= maxSending {
		p.m = make(map[string][]byte)
	}
	p.m[key] = rec
	p.mu.Unlock()
}

func (p *sending) take(key string) ([]byte, bool) {
	p.mu.Lock()
	rec, ok := p.m[key]
	delete(p.m, key)
	p.mu.Unlock()
	return rec, ok
}

// releaseScript ends a lease if it is still the caller's: its lease key,
// or the lease inside its record (a leasedRecord becomes a plain "sending"
// record, as Commit writes it, with the same expiry).
//
//	KEYS: lease, event
//	ARGV: holder
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local r = redis.call('GET', KEYS[2])
if r and string.sub(r, 1, 1) == '2' then
  local h, rest = string.match(r, '^2%d+:([^\t]*)\t(.*)$')
  if h == ARGV[1] then redis.call('SET', KEYS[2], '0' .. rest, 'KEEPTTL') end
end
return 0
`)

// Release implements bot.Store.
func (s *Store) Release(ctx context.Context, id bot.ConversationID, eventID, holder string) error {
	if eventID == "" || holder == "" {
		return nil
	}
	k := s.keys(id, eventID)
	s.sending.take(k.event)
	if err := releaseScript.Run(ctx, s.rdb, []string{k.lease, k.event}, holder).Err(); err != nil {
		return s.unavailable("release", err)
	}
	return nil
}

// forgetScript deletes session and transcript and cuts the meta down to its
// version, moved on, so a turn loaded before the Forget conflicts instead of
// bringing its data back. That tombstone lives only as long as a dedupe
// record (ARGV[1] ms): long enough for turns in flight and redeliveries.
var forgetScript = redis.NewScript(`
redis.call('DEL', KEYS[1], KEYS[3])
local m = redis.call('GET', KEYS[2])
if m then
  local v = tonumber(string.sub(m, 1, string.find(m, '\n', 1, true) - 1))
  redis.call('SET', KEYS[2], (v + 1) .. '\n', 'PX', ARGV[1])
end
return 0
`)

// Forget implements bot.Store.
func (s *Store) Forget(ctx context.Context, id bot.ConversationID) error {
	k := s.keys(id, "")
	// A pending index update flushed after the ZREM would bring it back.
	s.side.drop(id)
	res, err := s.script(ctx, forgetScript, []string{k.session, k.meta, k.transcript}, []any{ms(s.opt.DedupeTTL)}, func(p redis.Pipeliner) {
		p.ZRem(ctx, s.indexKey(id), string(id))
		p.ZRem(ctx, s.index, string(id))
		p.Del(ctx, s.annotationsKey(id))
	})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return s.unavailable("forget", err)
	}
	return nil
}

// Ping implements bot.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return s.unavailable("ping", err)
	}
	return nil
}

// Dropped returns how many transcript entries this process's commits
// dropped to keep conversations within MaxEntries.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

// Pipelines returns how many pipelines this process's turns sent to Redis
// (batcher) and how many calls (Claim, Commit, MarkDelivered, a change
// feed's batch, …) rode in them: batches per event say how well concurrent
// turns share their round trips.
func (s *Store) Pipelines() (batches, calls int64) {
	return s.batch.batches.Load(), s.batch.sent.Load()
}

// Close implements bot.Store.
func (s *Store) Close() error {
	s.side.close(closeFlush)
	s.batch.close()
	return s.rdb.Close()
}

// closeFlush bounds how long Close waits for the pending index and funnel
// updates to be written.
const closeFlush = 2 * time.Second

// LoadOffset returns the offset saved under name, 0 if none. The Telegram
// poller keeps its update offset here.
func (s *Store) LoadOffset(ctx context.Context, name string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.opt.Prefix+"offset:"+name).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return 0, nil
	case err != nil:
		return 0, s.unavailable("load offset", err)
	}
	return n, nil
}

// SaveOffset saves offset under name, without expiry.
func (s *Store) SaveOffset(ctx context.Context, name string, offset int64) error {
	if err := s.rdb.Set(ctx, s.opt.Prefix+"offset:"+name, offset, 0).Err(); err != nil {
		return s.unavailable("save offset", err)
	}
	return nil
}
