package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// adminAddrs maps each started serve's address to its admin listener's.
var adminAddrs sync.Map

// adminOf is the admin listener of the serve at base.
func adminOf(t *testing.T, base string) string {
	t.Helper()
	a, ok := adminAddrs.Load(base)
	if !ok {
		t.Fatalf("serve at %s announced no admin listener", base)
	}
	return a.(string)
}

// staffPassword is the console password of every user serveOpts.staff names.
const staffPassword = "correct horse"

// serveOpts is what an end-to-end test's serve is wired to. The zero value
// is serve on the memory store with no channel.
type serveOpts struct {
	lineAPI string   // a fake LINE API's URL: the LINE channel (lineSecret, "test-token")
	tgAPI   string   // a fake Bot API's URL: the Telegram channel (tgToken), polling
	webhook bool     // Telegram by webhook (tgHook, tgSecret) instead of polling
	redis   string   // the store's REDIS_URL; "" is the memory store
	staff   []string // console users, each with staffPassword
	// env holds more variables; they win over the ones above.
	env map[string]string
}

// environ is serve's environment for o.
func (o serveOpts) environ() map[string]string {
	env := map[string]string{}
	if o.lineAPI != "" {
		env["LINE_CHANNEL_SECRET"], env["LINE_CHANNEL_ACCESS_TOKEN"], env["LINE_API_BASE_URL"] = lineSecret, "test-token", o.lineAPI
	}
	if o.tgAPI != "" {
		env["TELEGRAM_BOT_TOKEN"], env["TELEGRAM_API_BASE_URL"] = tgToken, o.tgAPI
		if o.webhook {
			env["TELEGRAM_WEBHOOK_URL"], env["TELEGRAM_WEBHOOK_SECRET"] = tgHook, tgSecret
		}
	}
	if o.redis != "" {
		env["REDIS_URL"] = o.redis
	}
	if len(o.staff) > 0 {
		hash, err := bcrypt.GenerateFromPassword([]byte(staffPassword), bcrypt.MinCost)
		if err != nil {
			panic(err) // only for a password over 72 bytes
		}
		users := make([]string, len(o.staff))
		for i, u := range o.staff {
			users[i] = u + ":" + string(hash)
		}
		env["SSWBOT_CONSOLE_USERS"] = strings.Join(users, ",")
	}
	maps.Copy(env, o.env)
	return env
}

// served is a running `sswbot serve`.
type served struct {
	addr string      // "127.0.0.1:PORT"
	logs *syncBuffer // what it logged so far
}

// startServe runs `sswbot serve` on a free port as main would, wired as o
// says. The server stops when the test ends; the test fails if it does not
// stop cleanly.
func startServe(t *testing.T, o serveOpts) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, envOf(o.environ()), strings.NewReader(""), pw, stderr)
		pw.Close()
		done <- code
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "sswbot serving on "); ok {
				base := strings.TrimPrefix(strings.Fields(a)[0], "http://")
				if _, admin, ok := strings.Cut(a, "admin http://"); ok {
					adminAddrs.Store(base, strings.TrimSuffix(admin, ")"))
				}
				addr <- base
			}
		}
		close(addr)
	}()
	var base string
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("serve exited early:\n%s", stderr.String())
		}
		base = a
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d:\n%s", code, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Errorf("serve did not shut down:\n%s", stderr.String())
		}
	})
	return &served{addr: base, logs: stderr}
}

// runCmd runs sswbot with args and returns the exit code and output.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, envOf(env), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}
