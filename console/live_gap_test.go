package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
)

// slowFeed, once armed, holds LastChange until released: a process whose
// first read of the feed is late, as on a loaded machine.
type slowFeed struct {
	console.Feed
	armed   atomic.Bool
	release chan struct{}
}

func (f *slowFeed) LastChange(ctx context.Context) (string, error) {
	if !f.armed.Load() {
		return f.Feed.LastChange(ctx)
	}
	select {
	case <-f.release:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return f.Feed.LastChange(ctx)
}

// TestLiveStreamMissesNothingWhileConnecting: a change made after a page's
// stream replayed what the page missed, but before the process's feed
// reader started, still reaches the page. The reader used to start at the
// feed's end, after that change, which stalled the live view until the
// next change (seen as TestConsoleLiveAcrossProcesses failing under load).
func TestLiveStreamMissesNothingWhileConnecting(t *testing.T) {
	var feed *slowFeed
	f := newFixtureFeed(t, nil, func(st console.Feed) console.Feed {
		feed = &slowFeed{Feed: st, release: make(chan struct{})}
		return feed
	})
	var once sync.Once
	release := func() { once.Do(func() { close(feed.release) }) }
	t.Cleanup(release) // before the fixture's own
	c := f.client(t)
	c.mustLogin("aiko")
	f.send(t, bot.LINE, "U-gap", bot.KindStart, "")
	after := waitFeedMoves(t, f, "")

	feed.armed.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/console/events?after="+url.QueryEscape(after), nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: status %d", resp.StatusCode)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(what string, ok func(string) bool) {
		t.Helper()
		for {
			select {
			case l, open := <-lines:
				if !open {
					t.Fatalf("stream ended before %s", what)
				}
				if ok(l) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s on the stream within 10 s", what)
			}
		}
	}
	next("hello (the replay is over)", func(l string) bool { return l == "event: hello" })

	// The replay is over, the reader not started: a message now.
	f.send(t, bot.LINE, "U-gap", bot.KindText, "明日の面接について")
	waitFeedMoves(t, f, after)
	release() // the reader's first look comes now
	next("the message's change", func(l string) bool {
		return strings.HasPrefix(l, "data: ") && strings.Contains(l, `"c":"line:U-gap"`)
	})
}

// waitFeedMoves waits until the store's feed is past from and returns its
// position (changes are published off the turn's path).
func waitFeedMoves(t *testing.T, f *fixture, from string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		id, err := f.store.LastChange(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if id != from && id != "0-0" {
			return id
		}
	}
	t.Fatal("the change feed did not move")
	return ""
}
