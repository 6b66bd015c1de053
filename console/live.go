package console

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/sswbot/bot"
)

// Feed is the change feed the live view follows. Both stores have it: a
// Redis stream shared by every process, or a ring in memory.
type Feed interface {
	bot.Publisher
	// LastChange is the id of the newest change ("0-0" when none).
	LastChange(ctx context.Context) (string, error)
	// Changes returns changes after the id after, oldest first; with
	// wait > 0 and none yet it waits that long for one.
	Changes(ctx context.Context, after string, wait time.Duration) ([]bot.Change, error)
}

const (
	feedWait      = 15 * time.Second // one blocked read per process at a time
	heartbeat     = 15 * time.Second // keeps proxies from closing an idle stream
	streamMaxLife = 10 * time.Minute // then the browser reconnects and logs in again if it must
	retryMillis   = 2000
)

// liveEvent is what the browser receives for one change.
type liveEvent struct {
	ID           string             `json:"-"`
	Conversation bot.ConversationID `json:"c"`
	Kind         bot.ChangeKind     `json:"k"`
	Waiting      int                `json:"waiting"` // people waiting for a person, after the change
}

// hub reads the feed once per process and fans changes out to the
// browsers' streams: with Redis, one blocked connection serves every
// staff tab. It runs while someone listens.
type hub struct {
	c *Console

	mu     sync.Mutex
	subs   map[chan liveEvent]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// subscribe adds a stream. from is the feed position the subscriber has
// seen (its page's, or Last-Event-ID; "" for none): a hub it starts reads
// on from there, not from the feed's end. Starting at the end lost every
// change made between the subscriber's replay and the hub's first read —
// a message arriving while a page's stream connected never showed
// (TestConsoleLiveAcrossProcesses stalled on it under load).
func (h *hub) subscribe(from string) (<-chan liveEvent, func()) {
	ch := make(chan liveEvent, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan liveEvent]struct{}{}
	}
	h.subs[ch] = struct{}{}
	if h.cancel == nil {
		if _, ok := changeID(from); !ok {
			from = ""
		}
		ctx, cancel := context.WithCancel(h.c.root)
		h.cancel, h.done = cancel, make(chan struct{})
		go h.run(ctx, h.done, from)
	}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		if len(h.subs) == 0 && h.cancel != nil {
			h.cancel()
			h.cancel = nil
		}
	}
}

// run reads the feed from position last ("" = from its end) and fans the
// changes out while anyone listens.
func (h *hub) run(ctx context.Context, done chan struct{}, last string) {
	defer close(done)
	feed, log := h.c.deps.Feed, h.c.log
	fromSubscriber := last != ""
	for ctx.Err() == nil {
		if last == "" {
			id, err := feed.LastChange(ctx)
			if err != nil {
				log.Warn("console: live feed unavailable; retrying", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			last = id
		}
		cs, err := feed.Changes(ctx, last, feedWait)
		if err != nil {
			if fromSubscriber {
				// A position the feed does not take (a browser's, from
				// another store): follow the feed from its end instead.
				last, fromSubscriber = "", false
			}
			if ctx.Err() == nil {
				log.Warn("console: live feed unavailable; retrying", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		fromSubscriber = false
		if len(cs) == 0 {
			continue
		}
		last = cs[len(cs)-1].ID
		waiting, _ := h.c.waiting(ctx)
		h.mu.Lock()
		for _, ch := range cs {
			ev := liveEvent{ID: ch.ID, Conversation: ch.Conversation, Kind: ch.Kind, Waiting: waiting}
			for sub := range h.subs {
				select {
				case sub <- ev:
				default: // a stalled browser misses a change; its next one refreshes the page
				}
			}
		}
		h.mu.Unlock()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// changeID reads a feed position: a stream id ("1733024000000-0") or one
// per stream of a sharded feed joined by "."; ok is false for anything
// else. A part may say how far into a stream entry holding several changes
// the reader is ("1733024000000-0-2": up to its change 2), which orders
// before the whole entry; a plain id is the whole entry.
func changeID(s string) (pos [][3]uint64, ok bool) {
	if len(s) > 1024 {
		return nil, false
	}
	for part := range strings.SplitSeq(s, ".") {
		a, rest, found := strings.Cut(part, "-")
		b, c, inside := strings.Cut(rest, "-")
		ms, err1 := strconv.ParseUint(a, 10, 64)
		seq, err2 := strconv.ParseUint(b, 10, 64)
		k, err3 := uint64(math.MaxUint64), error(nil)
		if inside {
			k, err3 = strconv.ParseUint(c, 10, 32)
		}
		if !found || err1 != nil || err2 != nil || err3 != nil {
			return nil, false
		}
		pos = append(pos, [3]uint64{ms, seq, k})
	}
	return pos, true
}

// after reports whether the change at position x is past position y, that
// is, not yet covered by a reader at y: some stream of x is further on (a
// change moves only its own stream's part). Positions of different shapes
// compare by their newest part.
func after(x, y string) bool {
	xp, _ := changeID(x)
	yp, _ := changeID(y)
	less := func(a, b [3]uint64) bool {
		return a[0] < b[0] || a[0] == b[0] && (a[1] < b[1] || a[1] == b[1] && a[2] < b[2])
	}
	if len(xp) != len(yp) {
		newest := func(p [][3]uint64) (m [3]uint64) {
			for _, v := range p {
				if less(m, v) {
					m = v
				}
			}
			return m
		}
		return less(newest(yp), newest(xp))
	}
	for i := range xp {
		if less(yp[i], xp[i]) {
			return true
		}
	}
	return false
}

// events is the server-sent event stream of changes. It replays what a
// reconnecting browser missed (Last-Event-ID), sends a heartbeat comment
// every 15 s, disables proxy buffering and ends after a while so the
// session is checked again on reconnect.
func (c *Console) events(w http.ResponseWriter, r *http.Request, s *session) {
	if c.deps.Feed == nil {
		http.Error(w, "live updates are off", http.StatusNotFound)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout would cut the stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	ctx := r.Context()
	last := r.Header.Get("Last-Event-ID") // a reconnect
	if last == "" {
		last = r.URL.Query().Get("after") // the feed's position when the page was read
	}
	// Subscribed before the replay, so nothing falls between the two.
	sub, unsubscribe := c.hub.subscribe(last)
	defer unsubscribe()

	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", retryMillis)
	sent := ""
	if last != "" {
		if _, ok := changeID(last); ok {
			sent = last
			for range 10 { // at most 1,000 missed changes; a page reload covers the rest
				cs, err := c.deps.Feed.Changes(ctx, sent, 0)
				if err != nil || len(cs) == 0 {
					break
				}
				waiting, _ := c.waiting(ctx)
				for _, ch := range cs {
					writeEvent(w, liveEvent{ID: ch.ID, Conversation: ch.Conversation, Kind: ch.Kind, Waiting: waiting})
				}
				sent = cs[len(cs)-1].ID
			}
		}
	}
	if waiting, err := c.waiting(ctx); err == nil {
		b, _ := json.Marshal(map[string]int{"waiting": waiting})
		fmt.Fprintf(w, "event: hello\ndata: %s\n\n", b)
	}
	if rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	end := time.NewTimer(streamMaxLife)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.root.Done():
			return
		case <-end.C:
			return
		case <-beat.C:
			if s, err := c.auth.session(r); s == nil && err == nil {
				return // logged out or expired: the reconnect gets a 401
			}
			fmt.Fprint(w, ": ping\n\n")
		case ev := <-sub:
			if sent != "" && !after(ev.ID, sent) {
				continue // already replayed
			}
			sent = ""
			writeEvent(w, ev)
		}
		if rc.Flush() != nil {
			return
		}
	}
}

func writeEvent(w http.ResponseWriter, ev liveEvent) {
	b, _ := json.Marshal(ev)
	fmt.Fprintf(w, "id: %s\nevent: change\ndata: %s\n\n", ev.ID, b)
}

// publish tells every console process about a staff annotation.
func (c *Console) publish(ctx context.Context, id bot.ConversationID) {
	if c.deps.Feed == nil {
		return
	}
	ch := bot.Change{Conversation: id, Kind: bot.ChangeAnnotate, Time: c.cfg.Now()}
	if err := c.deps.Feed.Publish(context.WithoutCancel(ctx), ch); err != nil {
		c.log.Warn("console: publish change", "err", err)
	}
}

// waiting counts the people who asked for a person and whom nobody has
// taken over or marked resolved since.
func (c *Console) waiting(ctx context.Context) (int, error) {
	ms, _, err := c.deps.Index.List(ctx, bot.Filter{Handoff: true})
	if err != nil {
		return 0, err
	}
	ms = slicesFilter(ms, func(m bot.Meta) bool { return m.Owner == "" })
	as := c.annotationsOf(ctx, ms)
	n := 0
	for i, m := range ms {
		if !as[i].resolved(m) {
			n++
		}
	}
	return n, nil
}

func slicesFilter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
