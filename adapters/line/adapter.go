package line

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sync"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	handshake "example.com/sswbot/adapters/internal/delivery"
	"example.com/sswbot/bot"
	"example.com/sswbot/internal/apiclient"
	"example.com/sswbot/metrics"
)

const (
	platform = "line"
	// maxBody bounds a webhook request; LINE's are a few KiB.
	maxBody = 1 << 20
	// tokenMaxAge is how old an event may be for its reply token to be
	// trusted; LINE guarantees one minute.
	tokenMaxAge = 50 * time.Second
	// profileTimeout bounds the profile lookup on follow, which runs inside
	// LINE's 2 s budget.
	profileTimeout = 700 * time.Millisecond
)

// SendTimeout bounds the sending of one webhook request's replies, counted
// from the request's arrival and including the part that continues in the
// background after the acknowledgement. Give Shutdown at least this long
// (after the HTTP server has stopped) so no committed answer is cut off.
const SendTimeout = 30 * time.Second

// Handler is what the adapter needs from the bot (bot.Service implements
// it): Handle commits an event, MarkDelivered records that its answer was
// sent, Release gives its lease back early.
type Handler = handshake.Handler

// Config configures an Adapter. ChannelSecret and AccessToken are required.
type Config struct {
	ChannelSecret string
	AccessToken   string
	// APIBaseURL is the Messaging API endpoint, "https://api.line.me" by
	// default; tests point it at a fake.
	APIBaseURL string
	// HTTPClient calls the Messaging API; by default one with a 10 s timeout
	// (a call, or the wait for LINE's answer when the call's context has a
	// deadline of its own) that keeps APIConns idle connections to LINE.
	HTTPClient *http.Client
	// APIConns is how many keep-alive connections to the Messaging API are
	// kept idle for reuse: at least the replies in flight at once (about
	// the webhook concurrency); apiclient.DefaultConns when 0.
	APIConns int
	Logger   *slog.Logger
	Metrics  *metrics.Set
	// ReplyBudget is how long a webhook request may take before it is
	// answered; 1.5 s by default (LINE waits 2 s). Handling the events must
	// end within it, or the request is answered 503 and LINE redelivers;
	// sending that takes longer goes on in the background after a 200.
	ReplyBudget time.Duration
	// Now is the clock, used to judge a reply token's age; time.Now by default.
	Now func() time.Time
	// RichMenus links a user's rich menu to their language after a turn
	// that set it (the menus and their aliases come from `sswbot line
	// setup`). Off, the channel's default menu is everyone's.
	RichMenus bool
	// Pushes counts every push LINE accepts against the monthly quota
	// (bot.PushQuota) and refuses a staff message when it is used up; nil
	// counts nothing.
	Pushes PushMeter
}

// PushMeter is what the adapter needs of the monthly push quota.
type PushMeter interface {
	// Count counts one accepted push request; key is its retry key.
	Count(ctx context.Context, key string) error
	// Allow returns an error wrapping bot.ErrQuotaExhausted when the
	// month's quota is used up.
	Allow(ctx context.Context) error
}

// Adapter serves LINE's webhook and sends messages through the Messaging API.
type Adapter struct {
	cfg Config
	// handshake is the delivery handshake shared with the other adapters.
	handshake *handshake.Platform
	log       *slog.Logger
	m         *metrics.Set
	wg        sync.WaitGroup // background sends
	workers   *workers       // where they run
	// menus caches the rich menu id of each language.
	menus menuLinker
	// auth is the Authorization header of every Messaging API call.
	auth []string
	// replyTo and pushTo are where replies and pushes go (newPost's
	// templates).
	replyTo, pushTo *http.Request
	// signer checks the webhook's signatures.
	signer *signer
	// untimed is cfg.HTTPClient without its Timeout, for calls whose
	// context has a deadline (see apiclient.Untimed).
	untimed *http.Client
}

// New returns an Adapter that passes events to h.
func New(cfg Config, h Handler) (*Adapter, error) {
	if cfg.ChannelSecret == "" {
		return nil, errors.New("line: missing channel secret")
	}
	if cfg.AccessToken == "" {
		return nil, errors.New("line: missing channel access token")
	}
	if h == nil {
		return nil, errors.New("line: missing handler")
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = "https://api.line.me"
	}
	if err := checkBaseURL(cfg.APIBaseURL); err != nil {
		return nil, fmt.Errorf("line: api base url: %w", err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = apiclient.New(cfg.APIConns, 10*time.Second)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReplyBudget <= 0 {
		cfg.ReplyBudget = 1500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger.With("platform", platform), m: cfg.Metrics,
		auth: []string{"Bearer " + cfg.AccessToken}, untimed: apiclient.Untimed(cfg.HTTPClient),
		signer: newSigner(cfg.ChannelSecret), workers: newWorkers()}
	var err error
	if a.replyTo, err = postTo(endpoint(cfg.APIBaseURL, "/v2/bot/message/reply")); err != nil {
		return nil, fmt.Errorf("line: api base url: %w", err)
	}
	if a.pushTo, err = postTo(endpoint(cfg.APIBaseURL, "/v2/bot/message/push")); err != nil {
		return nil, fmt.Errorf("line: api base url: %w", err)
	}
	a.handshake = &handshake.Platform{Name: platform, Handler: h, Log: a.log, Metrics: a.m}
	// Fail at startup on a malformed endpoint rather than on the first send.
	if _, err := a.api(context.Background()); err != nil {
		return nil, fmt.Errorf("line: api base url: %w", err)
	}
	return a, nil
}

// checkBaseURL accepts only an absolute http(s) URL with a host: the SDK
// takes "localhost:8080" as scheme "localhost" and builds broken URLs.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q is not an http or https URL", s)
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not carry user info, a query or a fragment", s)
	}
	return nil
}

// endpoint joins the API's base URL (checked by checkBaseURL) and a path
// as the SDK does.
func endpoint(base, p string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + p
	}
	u.Path = path.Join(u.Path, p)
	return u.String()
}

// api returns a Messaging API client bound to ctx. The SDK's WithContext
// mutates the client it is called on, so every call gets its own (building
// one only allocates).
func (a *Adapter) api(ctx context.Context) (*messaging_api.MessagingApiAPI, error) {
	c, err := messaging_api.NewMessagingApiAPI(a.cfg.AccessToken,
		messaging_api.WithEndpoint(a.cfg.APIBaseURL),
		messaging_api.WithHTTPClient(a.cfg.HTTPClient))
	if err != nil {
		return nil, err
	}
	return c.WithContext(ctx), nil
}

// Shutdown waits until the sends still running after their requests were
// acknowledged have finished, or ctx is done. Call it after the HTTP server
// has stopped taking requests (http.Server.Shutdown), with a ctx of up to
// SendTimeout: a send cut off here is an answer that may never be sent.
func (a *Adapter) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		a.workers.stop()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP serves LINE's webhook (mount it at POST /line/webhook).
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	bp, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.m.Event(platform, "webhook", "too_large")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	body := *bp
	if !a.signer.valid(r.Header.Get("X-Line-Signature"), body) {
		freeBody(bp)
		a.m.Event(platform, "webhook", "bad_signature")
		a.log.Warn("line webhook: bad signature")
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	cb, err := decode(body)
	freeBody(bp) // decode copied what it keeps
	if err != nil {
		// The error may quote the body: user text and ids. Not logged.
		a.m.Event(platform, "webhook", "bad_json")
		a.log.Warn("line webhook: malformed body")
		http.Error(w, "malformed body", http.StatusBadRequest)
		return
	}
	if len(cb.Events) == 0 { // the console's "Verify" request
		w.WriteHeader(http.StatusOK)
		return
	}

	// Sends run one after another on their own goroutine, so a slow LINE
	// API delays neither the next commit nor the acknowledgement.
	s := &sender{jobs: make(chan delivery, len(cb.Events)), done: make(chan struct{})}
	// Sends outlive the request; they need none of its values.
	sendCtx, cancel := context.WithDeadline(context.Background(), start.Add(SendTimeout))
	a.wg.Add(1)
	a.workers.run(func() {
		defer a.wg.Done()
		defer cancel()
		var doneBuf [1]finished // one event per request is the rule
		done := doneBuf[:0]
		var links []delivery
		for d := range s.jobs {
			if d.menuLang != "" {
				links = append(links, d)
			}
			if len(d.replies) > 0 {
				done = append(done, finished{d.job, a.sendOne(sendCtx, s, d)})
			}
		}
		// The webhook may answer now: recording the deliveries is off its
		// path. Correctness does not hang on it: until it is written the
		// event's lease refuses copies, and after that a copy's retried
		// reply token tells LINE's truth.
		close(s.done)
		for _, f := range done {
			f.job.Finish(sendCtx, f.redeliver)
		}
		// Last, as nothing waits for it: the menu of a newly chosen language.
		for _, l := range links {
			a.linkMenu(sendCtx, l.to, l.menuLang)
		}
	})

	// Handling must end inside LINE's wait: a slow store then turns into a
	// 503 that LINE redelivers instead of a timeout on LINE's side.
	hctx, hcancel := context.WithDeadline(r.Context(), start.Add(a.cfg.ReplyBudget))
	defer hcancel()
	status := http.StatusOK
	for i := range cb.Events {
		d, err := a.handle(hctx, &cb.Events[i])
		if err != nil {
			// Later events are not handled: LINE redelivers the whole
			// request and those already committed come back as duplicates.
			status = http.StatusServiceUnavailable
			break
		}
		if d != nil {
			s.jobs <- *d
		}
	}
	close(s.jobs)
	if status != http.StatusOK {
		http.Error(w, "temporarily unavailable", status)
		return
	}

	a.awaitSends(hctx, s, start)
	if !s.ack() {
		// What failed was not marked delivered: the redelivered copy is
		// pushed with the stable retry key.
		http.Error(w, "sending failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// awaitSends waits until s has sent everything or the reply budget, which
// is hctx's deadline, is over: then the webhook answers and the sending
// goes on in the background. The deadline's own timer does the waiting
// (a timer of its own cost every request one more); only when the
// request's context ended early (LINE hung up) is the rest of the budget
// waited for with a timer, so the answer is decided as it would be.
func (a *Adapter) awaitSends(hctx context.Context, s *sender, start time.Time) {
	select {
	case <-s.done:
		return
	case <-hctx.Done():
	}
	if left := a.cfg.ReplyBudget - time.Since(start); left > 0 && !errors.Is(hctx.Err(), context.DeadlineExceeded) {
		t := time.NewTimer(left)
		defer t.Stop()
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
	a.log.Info("line webhook: answering before sending finished")
}

// finished is a delivery's end: redeliver when LINE will deliver the
// event again.
type finished struct {
	job       *handshake.Job
	redeliver bool
}

// sendOne delivers d, logs what a failure means for the user and reports
// whether LINE will deliver the event again (a transient failure before
// the webhook's answer, which is then a 500). A redelivery repeats
// nothing: the reply token is refused once used and every push has its
// retry key, so its lease is given back for it.
func (a *Adapter) sendOne(ctx context.Context, s *sender, d delivery) (redeliver bool) {
	err := a.deliver(ctx, d)
	switch {
	case err == nil:
		return false
	case !transient(err):
		a.log.Error("line: sending failed for good", "event", d.eventID, "user", hashID(d.to), "err", err)
	case s.fail():
		// LINE will not redeliver an acknowledged event.
		a.log.Error("line: sending failed after the acknowledgement, answer lost", "event", d.eventID, "user", hashID(d.to), "err", err)
	default:
		a.log.Warn("line: sending failed, asking for redelivery", "event", d.eventID, "err", err)
		return true
	}
	return false
}

// sender is one request's queue of deliveries.
type sender struct {
	jobs chan delivery
	done chan struct{}

	mu     sync.Mutex
	failed bool // a transient failure before the answer: LINE should redeliver
	acked  bool // answered 200: LINE will not redeliver
}

// fail records a transient failure and reports whether the request was
// already acknowledged, so that no redelivery will come.
func (s *sender) fail() (acked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = true
	return s.acked
}

// ack decides the webhook's answer: it marks the request acknowledged and
// returns true, or returns false when a transient failure came first and
// LINE must redeliver.
func (s *sender) ack() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed {
		return false
	}
	s.acked = true
	return true
}

// delivery is what to send for one handled event.
type delivery struct {
	job        *handshake.Job
	to         string // user, group or room id
	eventID    string
	replyToken string // "" when the token must not be used
	replies    []bot.Reply
	// resolve marks a redelivery whose first send is uncertain: a refused
	// reply token then means the first reply got through.
	resolve bool
	// possibleDouble marks a resolve without a usable token although the
	// first handler had one: pushing may double the first message.
	possibleDouble bool
	// menuLang is the language whose rich menu the user gets after the
	// send ("" for none).
	menuLang string
}
