// Package redistest runs a throwaway redis-server for tests: on a free port,
// in the test's temp dir, stopped when the test ends. It knows nothing of
// sswbot's keys; it only starts, stops and restarts a server.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a redis-server process owned by one test.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int    // 0 with a socket
	sock string // the unix socket's path, when it listens on one (StartUnix)
	cmd  *exec.Cmd
	done chan struct{}
	aof  bool
}

// Start starts a redis-server and stops it when tb ends. Without a
// redis-server binary the test is skipped, or fails when CI is set, so CI
// cannot pass without having run the Redis tests.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb, false)
}

// StartUnix is Start listening on a unix socket only (--port 0), as a
// Redis on the bot's own host is best reached; URL gives a unix:// URL.
func StartUnix(tb testing.TB) *Server {
	tb.Helper()
	s := newServer(tb, false)
	// A socket's path is limited to about 100 bytes, which a test's temp
	// dir (named after the test) can exceed: a short dir of its own.
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	s.sock = filepath.Join(dir, "redis.sock")
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func startServer(tb testing.TB, aof bool) *Server {
	tb.Helper()
	s := newServer(tb, aof)
	s.port = freePort(tb)
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func newServer(tb testing.TB, aof bool) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("redis-server is required in CI: %v", err)
		}
		tb.Skipf("redis-server not found: %v", err)
	}
	return &Server{tb: tb, bin: bin, dir: tb.TempDir(), aof: aof}
}

// StartAppendOnly is Start with append-only persistence, synced before
// every answer (appendfsync always), so a SIGKILL (Kill) loses nothing Redis
// acknowledged. (docker-compose.yml runs everysec: there, while a
// background fsync is slow, Redis postpones writing its log for up to 2 s
// and still answers, and a kill then loses those writes. The fault suite
// under a busy disk met that window; it tests the bot, not the disk.)
func StartAppendOnly(tb testing.TB) *Server {
	tb.Helper()
	return startServer(tb, true)
}

// URL is the server's address for redisstore.Options.URL.
func (s *Server) URL() string {
	if s.sock != "" {
		return "unix://" + s.sock
	}
	return fmt.Sprintf("redis://127.0.0.1:%d", s.port)
}

func (s *Server) network() (network, addr string) {
	if s.sock != "" {
		return "unix", s.sock
	}
	return "tcp", fmt.Sprintf("127.0.0.1:%d", s.port)
}

// Stop shuts the server down, saving its data so Restart brings it back
// (what a managed Redis with persistence does). Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	// The server closing the connection (EOF) is the normal answer.
	if _, err := s.do("SHUTDOWN SAVE"); err != nil && !errors.Is(err, io.EOF) {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Kill stops the server with SIGKILL, as a crash would: without append-only
// persistence (StartAppendOnly) its data is gone. Restart brings it back.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

func (s *Server) start() {
	s.tb.Helper()
	aof := "no"
	if s.aof {
		aof = "yes"
	}
	listen := []string{"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1"}
	if s.sock != "" {
		listen = []string{"--port", "0", "--unixsocket", s.sock, "--unixsocketperm", "700"}
	}
	cmd := exec.Command(s.bin, append(listen,
		"--dir", s.dir,
		"--save", "", "--appendonly", aof, "--appendfsync", "always", "--dbfilename", "dump.rdb",
		"--logfile", filepath.Join(s.dir, "redis.log"))...)
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)

	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err := s.do("PING")
		if err == nil && reply == "+PONG" {
			return
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.tb.Fatalf("redis-server exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("redis-server did not answer: %v %q", err, reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends one inline command and returns the first reply line.
func (s *Server) do(cmd string) (string, error) {
	network, addr := s.network()
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
