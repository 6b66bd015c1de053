package redistest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodes is a set of redis-server processes on loopback ports, each with its
// own directory and log under the test's temp dir: what a Cluster and a
// Sentinel deployment are made of. Any of them can be killed without a
// goodbye; the rest are killed when the test ends.
type nodes struct {
	tb    testing.TB
	bin   string // redis-server (also the Sentinel, with --sentinel)
	cli   string // redis-cli
	dir   string
	procs map[int]*exec.Cmd // port → process
	done  map[int]chan struct{}
}

// newNodes finds redis-server and redis-cli. Without them the test is
// skipped, or fails when CI is set, so CI cannot pass without having run
// the test.
func newNodes(tb testing.TB) *nodes {
	tb.Helper()
	n := &nodes{tb: tb, dir: tb.TempDir(), procs: map[int]*exec.Cmd{}, done: map[int]chan struct{}{}}
	for _, name := range []string{"redis-server", "redis-cli"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				tb.Fatalf("%s is required in CI: %v", name, err)
			}
			tb.Skipf("%s not found: %v", name, err)
		}
		if name == "redis-server" {
			n.bin = p
		} else {
			n.cli = p
		}
	}
	tb.Cleanup(n.stopAll)
	return n
}

// nodeDir is the directory of the node on port, created on first use.
func (n *nodes) nodeDir(port int) string {
	n.tb.Helper()
	dir := filepath.Join(n.dir, strconv.Itoa(port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.tb.Fatal(err)
	}
	return dir
}

// start runs redis-server with args (a config file, when given, must come
// first) on port and waits until it answers PING; auth is the redis-cli
// options that PING needs (-a, when the node has a password).
func (n *nodes) start(port int, auth []string, args ...string) {
	n.tb.Helper()
	dir := n.nodeDir(port)
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	cmd := exec.Command(n.bin, args...)
	if err := cmd.Start(); err != nil {
		n.tb.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.procs[port], n.done[port] = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := n.do(port, slices.Concat(auth, []string{"PING"})...); err == nil && out == "PONG" {
			return
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			n.tb.Fatalf("redis-server on %d exited: %s", port, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			n.tb.Fatalf("redis-server on %d did not answer: %s", port, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills the node on port with SIGKILL, as a crash or a pulled cable
// would stop it, and waits until it is gone.
func (n *nodes) kill(port int) {
	if cmd, ok := n.procs[port]; ok {
		_ = cmd.Process.Kill()
		<-n.done[port]
		delete(n.procs, port)
	}
}

// killInSync kills the master on port (SIGKILL) once each of its replicas
// has everything it wrote: it pauses writes first (the commands wait in the
// server and fail when it dies, as in a crash) and waits up to 5 s for the
// replicas. Redis replicates asynchronously, so a master killed at any
// moment may take with it the last writes it acknowledged, and those users
// see the previous step again (README, "More than one machine"); the
// failover tests check what sswbot does when its master dies (refused
// calls, redeliveries, following the promoted replica), not that window.
// Without the pause, 2 of about 20 runs of the Sentinel test on a loaded
// machine failed with a few users whose answers diverged. auth is the
// redis-cli options the nodes need.
func (n *nodes) killInSync(port int, auth []string) {
	_, _ = n.do(port, slices.Concat(auth, []string{"CLIENT", "PAUSE", "10000", "WRITE"})...)
	deadline := time.Now().Add(5 * time.Second)
	for !n.replicasCaughtUp(port, auth) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	n.kill(port)
}

// replicasCaughtUp reports whether every replica of the master on port has
// processed its whole replication stream.
func (n *nodes) replicasCaughtUp(port int, auth []string) bool {
	info, err := n.do(port, slices.Concat(auth, []string{"INFO", "replication"})...)
	if err != nil {
		return false
	}
	want, err := strconv.ParseInt(field(info, "master_repl_offset"), 10, 64)
	if err != nil {
		return false
	}
	replicas := 0
	for _, line := range strings.Split(info, "\n") {
		// slave0:ip=127.0.0.1,port=6380,state=online,offset=123,lag=0
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if !strings.HasPrefix(k, "slave") || !strings.HasPrefix(v, "ip=") {
			continue
		}
		var rport int
		for _, kv := range strings.Split(v, ",") {
			if p, ok := strings.CutPrefix(kv, "port="); ok {
				rport, _ = strconv.Atoi(p)
			}
		}
		rinfo, err := n.do(rport, slices.Concat(auth, []string{"INFO", "replication"})...)
		if err != nil {
			return false
		}
		if got, err := strconv.ParseInt(field(rinfo, "slave_repl_offset"), 10, 64); err != nil || got < want {
			return false
		}
		replicas++
	}
	// A master of these tests always has a replica: none means the INFO
	// was not understood.
	return replicas > 0
}

// field is the value of key in INFO output ("key:value" lines).
func field(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (n *nodes) live(port int) bool {
	_, ok := n.procs[port]
	return ok
}

func (n *nodes) stopAll() {
	for p := range n.procs {
		n.kill(p)
	}
}

// do runs one command with redis-cli against a node and returns its output;
// redis-cli options (-a) may come before the command.
func (n *nodes) do(port int, args ...string) (string, error) {
	out, err := exec.Command(n.cli, append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// waitFor polls cond until it returns "" (healthy) or timeout passes, and
// then fails the test with cond's last answer.
func (n *nodes) waitFor(what string, timeout time.Duration, cond func() string) {
	n.tb.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		if why = cond(); why == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.tb.Fatalf("%s not healthy after %v: %s", what, timeout, why)
}
