package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"example.com/sswbot/store/redisstore/redistest"
)

// TestSharedCasesSpreadOverRedisCluster runs issue 14's shared case on a
// real 3-master + 3-replica Redis Cluster through two serve instances: each
// employer (LINE) talks to one, the worker (Telegram) to the other, and
// every step alternates. Every case is created, joined, marked on both
// sides and notified once; a redelivered mark notifies nobody again. Then
// the keys are counted on each master: the cases and their invite codes
// are spread over more than one, and nothing is left under the one hash
// tag ({cases}) earlier versions kept them all in.
func TestSharedCasesSpreadOverRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	cluster := redistest.StartCluster(t, 3, 1)
	lineAPI, lineURL := newFakeLINE(t)
	tg := newFakeBotAPI(t)
	opts := serveOpts{lineAPI: lineURL, tgAPI: tg.srv.URL, webhook: true, redis: cluster.URL(), staff: []string{"aiko"}}
	servers := []string{startServe(t, opts).addr, startServe(t, opts).addr}

	// pushesTo returns the texts LINE was asked to push to user.
	pushesTo := func(user string) (out []string) {
		for _, r := range lineAPI.all() {
			if r.Path == "/v2/bot/message/push" && !r.Refused && r.Body["to"] == user {
				texts, _ := r.messages()
				out = append(out, strings.Join(texts, "\n"))
			}
		}
		return out
	}
	count := func(texts []string, want string) (n int) {
		for _, s := range texts {
			n += strings.Count(s, want)
		}
		return n
	}
	tgTo := func(chat int64, want string) (n int) {
		for _, s := range callsOf(tg.all(), "sendMessage") {
			if s.Form.Get("chat_id") == strconv.FormatInt(chat, 10) {
				n += strings.Count(s.text(), want)
			}
		}
		return n
	}

	const cases = 6
	for k := range cases {
		employer := fmt.Sprintf("U%032x", k+1)
		// Each turn to the other instance.
		presses := []func(string) []string{
			lineAPI.presser(t, servers[0], employer, fmt.Sprintf("01JCLUSTER%02dA", k)),
			lineAPI.presser(t, servers[1], employer, fmt.Sprintf("01JCLUSTER%02dB", k)),
		}
		n := 0
		press := func(data string) []string {
			n++
			return presses[n%2](data)
		}
		// Follow first (LINE's profile gives the language, ja).
		follow, err := os.ReadFile("testdata/line/follow.json")
		if err != nil {
			t.Fatal(err)
		}
		follow = bytes.ReplaceAll(follow, []byte("u206d25c2ea6bd87c17655609a1c37cb8"), []byte(employer))
		follow = bytes.ReplaceAll(follow, []byte("01FZ74ASS536FW97EX38NKCZQ3"), fmt.Appendf(nil, "01JCLUSTERFOLLOW%010d", k))
		if got := postLINE(t, servers[k%2], follow, sign(follow)); got != http.StatusOK {
			t.Fatalf("case %d: follow: %d", k, got)
		}
		for _, p := range []string{"r:employer", "w:kg", "rt:direct", "n:A.1.1"} {
			press(p)
		}
		m := regexp.MustCompile(`start=([2-9A-HJ-NP-Z]{10})`).FindStringSubmatch(strings.Join(press("ci"), "\n"))
		if m == nil {
			t.Fatalf("case %d: the invite has no deep link with a code", k)
		}
		worker := tgUser{id: 5512350000 + int64(k), name: "Aibek", lang: "en"}
		turn := 0
		c := &tgConv{t: t, user: worker, nextID: 934500000 + 1000*k, deliver: func(t *testing.T, u []byte) []tgCall {
			turn++
			return webhookDeliver(tg, servers[(turn+1)%2])(t, u)
		}}
		c.command("/start " + m[1])
		c.press("jy:" + m[1])
		waitFor(t, fmt.Sprintf("case %d: the join notice", k), func() bool { return count(pushesTo(employer), "Aibek") > 0 })

		press("cd:A.4")
		waitFor(t, fmt.Sprintf("case %d: the worker's A.4 notice", k), func() bool { return tgTo(worker.id, "(A.4)") > 0 })

		c.press("n:A.1.1")
		c.press("n:A.4")
		c.press("cd:A.5")
		mark := c.updates[len(c.updates)-1]
		waitFor(t, fmt.Sprintf("case %d: the employer's A.5 notice", k), func() bool { return count(pushesTo(employer), "（A.5）") > 0 })
		// Redelivered to the other instance: no second notice. (It may meet
		// the first delivery's lease, held until the answer is recorded as
		// delivered: 503, and Telegram tries again later, as here.)
		waitFor(t, fmt.Sprintf("case %d: the redelivered mark answered", k), func() bool {
			return postWebhook(t, servers[turn%2], mark, tgSecret) == http.StatusOK
		})
		c.press("chg")
		c.press("cl")
		waitFor(t, fmt.Sprintf("case %d: the leave notice", k), func() bool { return count(pushesTo(employer), "退出しました") > 0 })
		if got := count(pushesTo(employer), "（A.5）"); got != 1 {
			t.Errorf("case %d: the employer got the A.5 notice %d times, want once", k, got)
		}
		if got := tgTo(worker.id, "(A.4)"); got != 1 {
			t.Errorf("case %d: the worker got the A.4 notice %d times, want once", k, got)
		}
	}

	// The console lists every case: its list is read from all shards.
	staff, _ := staffClient(t, servers[0], "aiko")
	resp, err := staff.Get("http://" + servers[0] + "/console/cases")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := strings.Count(string(page), "1 side(s) left"); resp.StatusCode != http.StatusOK || got != cases {
		t.Errorf("the cases page (%d) shows %d cases a side left, want %d", resp.StatusCode, got, cases)
	}

	// Count the case keys on each master (SCAN sees one node's keys).
	perMaster := map[int]int{}
	for _, node := range cluster.Nodes() {
		if !node.Master || node.Slots == 0 {
			continue
		}
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(node.Port)})
		defer rdb.Close()
		for _, pattern := range []string{"sswbot:{case:*", "sswbot:{inv:*", "sswbot:{cases}*"} {
			keys, err := scanAll(t.Context(), rdb, pattern)
			if err != nil {
				t.Fatal(err)
			}
			if pattern == "sswbot:{cases}*" && len(keys) > 0 {
				t.Errorf("keys under the one old hash tag: %q", keys)
			}
			perMaster[node.Port] += len(keys)
		}
	}
	t.Logf("case and invite keys per master (port: keys): %v", perMaster)
	holding := 0
	for _, n := range perMaster {
		if n > 0 {
			holding++
		}
	}
	if holding < 2 {
		t.Errorf("the keys of %d cases are on %d master(s), want them spread over more than one: %v", cases, holding, perMaster)
	}
}

func scanAll(ctx context.Context, rdb *redis.Client, pattern string) ([]string, error) {
	var out []string
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
}
