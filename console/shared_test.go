package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"example.com/sswbot/bot"
	"example.com/sswbot/console"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/redisstore"
	"example.com/sswbot/store/redisstore/redistest"
)

// TestConsolesShareLoginsOnRedis runs two console processes (each with its
// own Redis client, bot and HTTP server) on one real redis-server: a login
// made on one works on the other, a lockout earned on one holds on the
// other, a restart keeps the login, and the audit log shows both.
func TestConsolesShareLoginsOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{"aiko": mustHash(t), "bek": mustHash(t)}
	// start is one console process; stop ends it as a restart would.
	start := func() (base string, stop func()) {
		st, err := redisstore.New(t.Context(), redisstore.Options{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := bot.New(st, kb, bot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := console.New(console.Config{Users: users}, console.Deps{Bot: svc, Index: st, Pusher: &pusher{}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(c)
		stopped := false
		stop = func() {
			if !stopped {
				stopped = true
				hs.Close()
				c.Close()
				st.Close()
			}
		}
		t.Cleanup(stop)
		return hs.URL, stop
	}
	aURL, stopA := start()
	bURL, _ := start()
	// Cookies belong to the host, not the port: one jar serves both, as a
	// browser behind a load balancer would.
	on := func(cl *client, base string) *client { cl.base = base; return cl }
	aiko := (&fixture{srv: &httptest.Server{URL: aURL}}).client(t)

	t.Run("a login on one console works on the other", func(t *testing.T) {
		on(aiko, aURL).mustLogin("aiko")
		if resp, _ := on(aiko, bURL).get("/console/conversations"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the other console: status %d, want 200", resp.StatusCode)
		}
		// A flash set by one console is shown by the other.
		on(aiko, aURL).post("/console/try", url.Values{})
		if _, body := on(aiko, bURL).get("/console/try"); !strings.Contains(body, "Type a message or press a button.") {
			t.Error("the other console did not show the flash message")
		}
	})
	t.Run("a lockout earned on one console holds on the other", func(t *testing.T) {
		guesser := (&fixture{srv: &httptest.Server{URL: aURL}}).client(t)
		for i := range 5 {
			base := []string{aURL, bURL}[i%2]
			if got := on(guesser, base).login("bek", fmt.Sprint("guess ", i)).StatusCode; got != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i+1, got)
			}
		}
		for _, base := range []string{aURL, bURL} {
			if got := on(guesser, base).login("bek", password).StatusCode; got != http.StatusTooManyRequests {
				t.Errorf("%s after 5 failures on both: status %d, want 429", base, got)
			}
		}
	})
	t.Run("a restart keeps the login", func(t *testing.T) {
		stopA()
		a2, _ := start()
		if resp, _ := on(aiko, a2).get("/console/conversations"); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the restart: status %d, want 200", resp.StatusCode)
		}
		// Logging out on one ends the login everywhere.
		on(aiko, a2).post("/console/logout", nil)
		if resp, _ := on(aiko, bURL).get("/console/conversations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the other console after logout: status %d, want a redirect to the login", resp.StatusCode)
		}
	})
	t.Run("the audit log shows the actions of both", func(t *testing.T) {
		bek := (&fixture{srv: &httptest.Server{URL: bURL}}).client(t)
		// bek is locked from this address: log in as aiko on B instead.
		on(bek, bURL).mustLogin("aiko")
		_, body := on(bek, bURL).get("/console/audit")
		for _, want := range []string{
			"<td>aiko</td><td>login</td>",                 // on A, then on B
			"<td>bek</td><td>login failed</td>",           // on both
			"<td>bek</td><td>login refused (locked)</td>", // on both
			"<td>aiko</td><td>logout</td>",                // on the restarted A
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the audit page lacks %s", want)
			}
		}
		if got := strings.Count(body, "<td>aiko</td><td>login</td>"); got != 2 {
			t.Errorf("%d aiko logins in the audit, want 2 (one per console)", got)
		}
	})
}
