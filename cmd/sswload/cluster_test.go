package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/sswbot/store/redisstore/redistest"
)

// built is the sswbot binary, built once for every test of the package
// that runs it (TestMain removes it).
var built struct {
	sync.Mutex
	dir, bin string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildSSWBot builds the real binary, so the test runs `sswbot serve`
// processes exactly as deployed.
func buildSSWBot(t *testing.T) string {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if built.bin != "" {
		return built.bin
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if built.dir == "" {
		if built.dir, err = os.MkdirTemp("", "sswload-test-"); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(built.dir, "sswbot")
	cmd := exec.Command(gobin, "build", "-o", bin, "example.com/sswbot/cmd/sswbot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built.bin = bin
	return bin
}

// startServe runs `sswbot serve` with LINE pointed at the fake API and
// the store at redisURL, and waits until it is ready.
func startServe(t *testing.T, bin, redisURL, api string) string {
	t.Helper()
	return startServeAt(t, bin, freeAddr(t), redisURL, api)
}

// startServeAt is startServe on addr; env is added to (and overrides) the
// environment.
func startServeAt(t *testing.T, bin, addr, redisURL, api string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// A turn whose commit failed with the master keeps its event's lease
	// until it expires; the redelivery is refused (503) till then. 5 s
	// instead of 40 keeps the test short; the fake API answers at once.
	cmd.Env = append(os.Environ(), "SSWBOT_ADDR="+addr, "SSWBOT_ADMIN_ADDR=off", "REDIS_URL="+redisURL, "SSWBOT_LOG_LEVEL=warn", "SSWBOT_EVENT_LEASE=5s",
		"LINE_CHANNEL_SECRET=testsecret", "LINE_CHANNEL_ACCESS_TOKEN=test-token", "LINE_API_BASE_URL=http://"+api,
		"TELEGRAM_BOT_TOKEN=", "SSWBOT_CONSOLE_USERS=", "SSWBOT_CONSOLE_USERS_FILE=")
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		t0 := time.Now()
		defer func() { t.Logf("serve %s stopped in %v", addr, time.Since(t0)) }()
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("serve %s log:\n%s", addr, b)
		}
	})
	for range 200 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return "http://" + addr
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("serve exited:\n%s", b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("serve did not become ready")
	return ""
}

func reportString(r *report) string {
	var b strings.Builder
	r.print(&b)
	return b.String()
}

// Two sswbot processes share a real 3-master + 3-replica Redis Cluster;
// every user's events alternate between them, and a master is killed in
// the middle of the load (see failoverUnderLoad).
func TestTwoServersOnRedisClusterWithFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster and two servers")
	}
	failoverUnderLoad(t, redistest.StartCluster(t, 3, 1))
}

// The same on Redis Sentinel: a master with two replicas, watched by three
// Sentinels; the servers reach the master through go-redis's failover
// client (the Sentinel form of REDIS_URL), which asks the Sentinels where
// the master is and follows them when they promote a replica.
func TestTwoServersOnRedisSentinelWithFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis Sentinel and two servers")
	}
	failoverUnderLoad(t, redistest.StartSentinel(t, 2, 3))
}

// failingOver is a Redis deployment with automatic failover.
type failingOver interface {
	URL() string                    // its REDIS_URL
	KillMaster() int                // kills the master (SIGKILL) and returns its port
	WaitHealthy(wait time.Duration) // waits until a promoted master serves everything
}

// failoverUnderLoad runs two sswbot processes on redis, every user's events
// alternating between them. All users walk the same conversation (follow,
// then the first button of each answer), so with per-user order kept every
// user reads the same answers turn by turn. Then a master is killed in the
// middle of the load: the requests that need it fail with 503 until a
// replica is promoted, the load tool redelivers them as LINE does, and
// nothing is lost or doubled.
func failoverUnderLoad(t *testing.T, redis failingOver) {
	bin := buildSSWBot(t)
	api := freeAddr(t)
	a, b := startServe(t, bin, redis.URL(), api), startServe(t, bin, redis.URL(), api)

	cfg := testConfig(api, a, b)
	cfg.Users, cfg.C, cfg.Events, cfg.Mode = 40, 8, 600, "walk"
	cfg.Redeliver, cfg.Drain = 40, 300*time.Millisecond
	rep, err := load(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steady:\n%s", reportString(rep))
	if p := rep.problems(); p != "" || rep.Events != 600 || rep.Errors != 0 || rep.Redelivered != 0 {
		t.Fatalf("steady load: problems %q, %d events, %d errors, %d redelivered", p, rep.Events, rep.Errors, rep.Redelivered)
	}

	cfg.Events, cfg.Warmup, cfg.Duration = 0, 0, 8*time.Second
	killed := make(chan int, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		killed <- redis.KillMaster()
	}()
	rep, err = load(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	port := <-killed
	t.Logf("master on port %d killed 1.5 s into the load:\n%s", port, reportString(rep))
	if p := rep.problems(); p != "" {
		t.Fatalf("after the failover: %s", p)
	}
	if rep.Redelivered == 0 {
		t.Fatal("no request failed while the master was down: the failover was not exercised")
	}
	t0 := time.Now()
	redis.WaitHealthy(20 * time.Second)
	t.Logf("healthy after %v", time.Since(t0))
}

// The Telegram mode end to end: `sswbot serve` (in-memory store) with its
// Telegram webhook pointed at the load tool, answers in the webhook's
// response (the default) and by sendMessage, all checked by the fake Bot API.
func TestTelegramWalkThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sswbot serve")
	}
	bin := buildSSWBot(t)
	api, addr := freeAddr(t), freeAddr(t)
	cfg := testConfig(api, "http://"+addr)
	cfg.Platform, cfg.Mode, cfg.Users, cfg.C, cfg.Events = "telegram", "walk", 12, 4, 60
	cfg.TGToken, cfg.TGSecret = "123456:test-token", "test-secret"
	rep, err := load(context.Background(), cfg, func(apiURL string) {
		startServeAt(t, bin, addr, "", api, "TELEGRAM_BOT_TOKEN="+cfg.TGToken, "TELEGRAM_API_BASE_URL="+apiURL,
			"TELEGRAM_WEBHOOK_URL=https://example.invalid/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET="+cfg.TGSecret)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", reportString(rep))
	if p := rep.problems(); p != "" || rep.Events != 60 || rep.Errors != 0 || rep.Messages < 60 {
		t.Fatalf("problems %q, %d events, %d errors, %d messages", p, rep.Events, rep.Errors, rep.Messages)
	}
}
