package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
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

// startServe runs `sswbot serve` on a free port with env, as main would,
// and returns its address, "127.0.0.1:PORT". The server stops when the test ends; the test
// fails if it does not stop cleanly.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	addr, _ := startServeLogs(t, env)
	return addr
}

// startServeLogs is startServe that also returns what serve logs.
func startServeLogs(t *testing.T, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, envOf(env), strings.NewReader(""), pw, stderr)
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
	return base, stderr
}

// runCmd runs sswbot with args and returns the exit code and output.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, envOf(env), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}
