package redistest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a real Redis Cluster of redis-server processes on loopback,
// created with `redis-cli --cluster create`, owned by one test.
type Cluster struct {
	*nodes
	ports []int
}

// StartCluster starts masters×(1+replicas) nodes, creates the cluster and
// waits until every slot is served and every replica is in sync. Without
// redis-server or redis-cli the test is skipped, or fails when CI is set.
// A node is considered failed after 1 s, so a killed master's replica is
// promoted within a few seconds.
func StartCluster(tb testing.TB, masters, replicas int) *Cluster {
	tb.Helper()
	c := &Cluster{nodes: newNodes(tb)}
	c.ports = clusterPorts(tb, masters*(1+replicas))
	for _, p := range c.ports {
		c.start(p, nil, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
			"--save", "", "--appendonly", "no")
	}
	args := []string{"--cluster", "create"}
	for _, p := range c.ports {
		args = append(args, fmt.Sprintf("127.0.0.1:%d", p))
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command(c.cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitHealthy(30 * time.Second)
	return c
}

// clusterPorts picks n ports whose cluster bus ports (+10000) are free too.
func clusterPorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			tb.Fatal("no free ports for a cluster")
		}
		p := 20000 + rand.IntN(10000)
		if free(p) && free(p+10000) {
			ports = append(ports, p)
		}
	}
	return ports
}

func free(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// URL is the Cluster form of REDIS_URL: one node, the others as addr=.
func (c *Cluster) URL() string {
	u := fmt.Sprintf("redis://127.0.0.1:%d", c.ports[0])
	for i, p := range c.ports[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += fmt.Sprintf("%saddr=127.0.0.1:%d", sep, p)
	}
	return u
}

// Node is one line of CLUSTER NODES.
type Node struct {
	Port   int
	Master bool
	Failed bool
	Slots  int // how many slots it serves
}

// Nodes reads CLUSTER NODES from a live node.
func (c *Cluster) Nodes() []Node {
	c.tb.Helper()
	for p := range c.procs {
		out, err := c.do(p, "CLUSTER", "NODES")
		if err != nil || out == "" {
			continue
		}
		var ns []Node
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			_, port, _ := net.SplitHostPort(addr)
			n := Node{Master: strings.Contains(f[2], "master"), Failed: strings.Contains(f[2], "fail")}
			n.Port, _ = strconv.Atoi(port)
			for _, r := range f[8:] {
				if lo, hi, ok := strings.Cut(r, "-"); ok {
					a, _ := strconv.Atoi(lo)
					b, _ := strconv.Atoi(hi)
					n.Slots += b - a + 1
				} else if !strings.HasPrefix(r, "[") {
					n.Slots++
				}
			}
			ns = append(ns, n)
		}
		return ns
	}
	c.tb.Fatal("no cluster node answers")
	return nil
}

// KillMaster kills (SIGKILL, no goodbye) a master that serves slots, once
// its replica has its writes (see killInSync), and returns its port; its
// replica takes over after the node timeout.
func (c *Cluster) KillMaster() int {
	c.tb.Helper()
	for _, n := range c.Nodes() {
		if n.Master && !n.Failed && n.Slots > 0 {
			if c.live(n.Port) {
				c.killInSync(n.Port, nil)
				return n.Port
			}
		}
	}
	c.tb.Fatal("no master to kill")
	return 0
}

// WaitHealthy waits until a live node reports cluster_state:ok, all 16384
// slots are served by live masters, and every live replica is in sync.
func (c *Cluster) WaitHealthy(timeout time.Duration) {
	c.tb.Helper()
	c.waitFor("cluster", timeout, c.unhealthy)
}

func (c *Cluster) unhealthy() string {
	for p := range c.procs {
		info, err := c.do(p, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return fmt.Sprintf("node %d: cluster state not ok", p)
		}
		repl, err := c.do(p, "INFO", "replication")
		if err != nil {
			return err.Error()
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Sprintf("replica %d not in sync", p)
		}
	}
	slots := 0
	for _, n := range c.Nodes() {
		if n.Master && !n.Failed {
			if c.live(n.Port) {
				slots += n.Slots
			}
		}
	}
	if slots != 16384 {
		return fmt.Sprintf("%d of 16384 slots served by live masters", slots)
	}
	return ""
}
