package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sentinel is a real Redis Sentinel deployment on loopback owned by one
// test: a master, its replicas and the Sentinels (redis-server --sentinel)
// that watch them. The data nodes require a password, so a test also proves
// that the URL carries it to the master the Sentinels name.
type Sentinel struct {
	*nodes
	data      []int // master and replicas, the master first until a failover
	sentinels []int
}

// SentinelMaster is the name the Sentinels know the master by.
const SentinelMaster = "sswbot"

// SentinelPassword is the data nodes' password (the Sentinels have none).
const SentinelPassword = "sentinel-test-pw"

// StartSentinel starts a master with replicas replicas and sentinels
// Sentinels (quorum: a majority), and waits until every replica is in sync
// and every Sentinel knows the others. A master is considered down after
// 1 s without an answer, so a killed master's replica is promoted within a
// few seconds. Without redis-server or redis-cli the test is skipped, or
// fails when CI is set.
func StartSentinel(tb testing.TB, replicas, sentinels int) *Sentinel {
	tb.Helper()
	s := &Sentinel{nodes: newNodes(tb)}
	for range 1 + replicas {
		s.data = append(s.data, freePort(tb))
	}
	for i, p := range s.data {
		args := []string{"--save", "", "--appendonly", "no",
			"--requirepass", SentinelPassword, "--masterauth", SentinelPassword,
			// Redis 7 waits 5 s for more replicas before a diskless sync.
			"--repl-diskless-sync-delay", "0"}
		if i > 0 {
			args = append(args, "--replicaof", "127.0.0.1", strconv.Itoa(s.data[0]))
		}
		s.start(p, s.auth(), args...)
	}
	for range sentinels {
		p := freePort(tb)
		s.sentinels = append(s.sentinels, p)
		// A Sentinel rewrites its config file, so each has its own; the
		// monitor line must come before the settings of that master.
		conf := filepath.Join(s.nodeDir(p), "sentinel.conf")
		text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d %[3]d\n"+
			"sentinel auth-pass %[1]s %[4]s\n"+
			"sentinel down-after-milliseconds %[1]s 1000\n"+
			// A failed election is retried after twice this.
			"sentinel failover-timeout %[1]s 2000\n"+
			"sentinel parallel-syncs %[1]s 1\n",
			SentinelMaster, s.data[0], sentinels/2+1, SentinelPassword)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
		s.start(p, nil, conf, "--sentinel")
	}
	s.WaitHealthy(30 * time.Second)
	return s
}

// auth is the redis-cli options for a data node.
func (s *Sentinel) auth() []string {
	return []string{"--no-auth-warning", "-a", SentinelPassword}
}

// URL is the Sentinel form of REDIS_URL: the Sentinels' addresses (one in
// the host, the others as addr=), the master's name, and the data nodes'
// password as password= (a password in the URL's user part would be the
// Sentinels' own).
func (s *Sentinel) URL() string {
	u := fmt.Sprintf("redis://127.0.0.1:%d?master_name=%s", s.sentinels[0], SentinelMaster)
	for _, p := range s.sentinels[1:] {
		u += fmt.Sprintf("&addr=127.0.0.1:%d", p)
	}
	return u + "&password=" + SentinelPassword
}

// Master is the port of the master as the first live Sentinel names it.
func (s *Sentinel) Master() (int, error) {
	for _, p := range s.sentinels {
		if !s.live(p) {
			continue
		}
		out, err := s.do(p, "SENTINEL", "get-master-addr-by-name", SentinelMaster)
		if err != nil {
			return 0, fmt.Errorf("sentinel %d: %w", p, err)
		}
		f := strings.Fields(out)
		if len(f) != 2 {
			return 0, fmt.Errorf("sentinel %d names no master: %q", p, out)
		}
		return strconv.Atoi(f[1])
	}
	return 0, fmt.Errorf("no live sentinel")
}

// KillMaster kills (SIGKILL, no goodbye) the master the Sentinels name, once
// its replicas have its writes (see killInSync), and returns its port; the
// Sentinels promote a replica after the down-after time.
func (s *Sentinel) KillMaster() int {
	s.tb.Helper()
	p, err := s.Master()
	if err != nil || !s.live(p) {
		s.tb.Fatalf("no live master to kill (%d): %v", p, err)
	}
	s.killInSync(p, s.auth())
	return p
}

// WaitHealthy waits until every live Sentinel names the same live master,
// that node is a master, every other live data node replicates it in sync,
// and every Sentinel sees the others and the master as up.
func (s *Sentinel) WaitHealthy(timeout time.Duration) {
	s.tb.Helper()
	s.waitFor("sentinel deployment", timeout, s.unhealthy)
}

func (s *Sentinel) unhealthy() string {
	master, err := s.Master()
	if err != nil {
		return err.Error()
	}
	if !s.live(master) {
		return fmt.Sprintf("the sentinels name %d, which is down", master)
	}
	live := 0
	for _, p := range s.sentinels {
		if !s.live(p) {
			continue
		}
		live++
		if m, err := s.do(p, "SENTINEL", "get-master-addr-by-name", SentinelMaster); err != nil || !strings.HasSuffix(m, "\n"+strconv.Itoa(master)) {
			return fmt.Sprintf("sentinel %d names %q, not %d", p, m, master)
		}
	}
	for _, p := range s.sentinels {
		if !s.live(p) {
			continue
		}
		info, err := s.do(p, "INFO", "sentinel")
		if err != nil {
			return err.Error()
		}
		if want := fmt.Sprintf("status=ok,address=127.0.0.1:%d,", master); !strings.Contains(info, want) {
			return fmt.Sprintf("sentinel %d: %s", p, lastLine(info))
		}
		if want := fmt.Sprintf(",sentinels=%d", live); !strings.Contains(info, want) {
			return fmt.Sprintf("sentinel %d does not see all %d sentinels: %s", p, live, lastLine(info))
		}
	}
	for _, p := range s.data {
		if !s.live(p) {
			continue
		}
		repl, err := s.do(p, append(s.auth(), "INFO", "replication")...)
		if err != nil {
			return err.Error()
		}
		switch {
		case p == master && field(repl, "role") != "master":
			return fmt.Sprintf("%d is named master but is not one yet", p)
		case p != master && (field(repl, "master_port") != strconv.Itoa(master) || field(repl, "master_link_status") != "up"):
			return fmt.Sprintf("replica %d not in sync with %d", p, master)
		}
	}
	return ""
}

func lastLine(s string) string { return s[strings.LastIndexByte(s, '\n')+1:] }
