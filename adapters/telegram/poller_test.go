package telegram_test

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
)

func polling(c *telegram.Config) { c.WebhookURL, c.WebhookSecret = "", "" }

// start runs a.Run in the background; stop cancels it and returns its error.
func start(t *testing.T, a *telegram.Adapter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

func TestPollingStoresOffsetOnlyPastCommittedUpdates(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	ids := []string{"734120001", "734120002", "734120003"}
	// Every saved offset must come after all updates below it were committed.
	offsets.onSave = func(off int64) {
		for _, id := range ids {
			n, _ := strconv.ParseInt(id, 10, 64)
			if n < off && !slices.Contains(b.committed(), id) {
				t.Errorf("offset %d saved before update %s was committed", off, id)
			}
		}
	}
	// f1 and f3 come from one user, f2 from another.
	f.push(t, mustRead(t, "f1_text_ru.json"), mustRead(t, "f2_start_ky.json"), mustRead(t, "f3_callback.json"))
	a := newAdapter(t, f, b, offsets, polling)

	stop := start(t, a)
	eventually(t, "three replies are sent", func() bool { return len(f.sentTexts()) == 3 })
	eventually(t, "the last offset is stored", func() bool {
		s := offsets.saved()
		return len(s) > 0 && s[len(s)-1] == 734120004
	})
	eventually(t, "the next poll asks from the new offset", func() bool {
		polls := f.callsOf("getUpdates")
		return polls[len(polls)-1].Form.Get("offset") == "734120004"
	})
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}

	committed := b.committed()
	slices.Sort(committed)
	if got, want := committed, ids; !reflect.DeepEqual(got, want) {
		t.Errorf("committed %v, want %v", got, want)
	}
	if got, want := eventIDs(b.handled(), "5512345678"), []string{"734120001", "734120003"}; !reflect.DeepEqual(got, want) {
		t.Errorf("one user's updates handled as %v, want in order %v", got, want)
	}
	if s := offsets.saved(); !slices.IsSorted(s) || len(slices.Compact(slices.Clone(s))) != len(s) {
		t.Errorf("saved offsets %v, want each higher than the last", s)
	}
	polls := f.callsOf("getUpdates")
	if got, want := polls[0].Form.Get("allowed_updates"), `["message","edited_message","callback_query","my_chat_member"]`; got != want {
		t.Errorf("allowed_updates = %s, want %s", got, want)
	}
	if got := polls[0].Form.Get("offset"); got != "" {
		t.Errorf("first poll offset = %q, want none", got)
	}
}

func TestPollingOneSlowChatDoesNotHoldUpAnother(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	const slow, quick = 5512345678, 5512345679
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the fake server closes, even when the test fails
	// The slow chat's message hangs, as behind its rate limit or a 429.
	f.setHook(func(method string, form url.Values) *answer {
		if method == "sendMessage" && form.Get("chat_id") == strconv.Itoa(slow) {
			<-release
		}
		return nil
	})
	f.push(t, chatUpdate(1, slow, "hello"), chatUpdate(2, quick, "hello"))
	a := newAdapter(t, f, b, offsets, polling)

	stop := start(t, a)
	eventually(t, "the slow chat's reply is on its way", func() bool { return len(sendsByChat(f)[strconv.Itoa(slow)]) == 1 })
	eventually(t, "the other chat is answered meanwhile", func() bool { return slices.Contains(b.deliveries(), "2") })
	if got := b.deliveries(); slices.Contains(got, "1") {
		t.Errorf("delivered %v while the slow chat's reply is held", got)
	}
	if got := offsets.saved(); len(got) != 0 {
		t.Errorf("saved offsets %v while update 1 is in flight, want none", got)
	}
	free()
	eventually(t, "the offset passes both updates", func() bool {
		s := offsets.saved()
		return len(s) > 0 && s[len(s)-1] == 3
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{strconv.Itoa(slow): {"re:1"}, strconv.Itoa(quick): {"re:2"}}
	if got := sendsByChat(f); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestPollingKeepsEachChatInOrder(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	const a1, b1 = 5512345678, 5512345679
	// The first user's first update is held until the other user's second
	// one starts: the other chat goes on, the first user's later updates wait.
	otherGoesOn := make(chan struct{})
	b.beforeHandle = func(_ context.Context, ev bot.Event) {
		switch ev.EventID {
		case "4":
			close(otherGoesOn)
		case "1":
			select {
			case <-otherGoesOn:
			case <-time.After(5 * time.Second): // a bound below eventually's, so a regression fails cleanly
				t.Error("the other chat waited for the first user's update")
			}
		}
	}
	f.push(t, chatUpdate(1, a1, "x"), chatUpdate(2, b1, "x"), chatUpdate(3, a1, "x"), chatUpdate(4, b1, "x"), chatUpdate(5, a1, "x"))
	a := newAdapter(t, f, b, offsets, polling)

	stop := start(t, a)
	eventually(t, "the offset passes every update", func() bool {
		s := offsets.saved()
		return len(s) > 0 && s[len(s)-1] == 6
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	if got, want := eventIDs(b.handled(), strconv.Itoa(a1)), []string{"1", "3", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first user's updates handled as %v, want %v", got, want)
	}
	want := map[string][]string{strconv.Itoa(a1): {"re:1", "re:3", "re:5"}, strconv.Itoa(b1): {"re:2", "re:4"}}
	if got := sendsByChat(f); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestPollingFailedUpdateComesAgainWithoutRepeatingOtherChats(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	const flaky, quick = 5512345678, 5512345679
	var failedOnce atomic.Bool
	f.setHook(func(method string, form url.Values) *answer {
		if method == "sendMessage" && form.Get("chat_id") == strconv.Itoa(flaky) && failedOnce.CompareAndSwap(false, true) {
			return &answer{502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`}
		}
		return nil
	})
	offsets.onSave = func(off int64) {
		if off > 11 && !slices.Contains(b.deliveries(), "11") {
			t.Errorf("offset %d saved before update 11 was answered", off)
		}
	}
	f.push(t, chatUpdate(10, quick, "x"), chatUpdate(11, flaky, "x"), chatUpdate(12, quick, "x"))
	a := newAdapter(t, f, b, offsets, polling)
	recordSleeps(a)

	stop := start(t, a)
	eventually(t, "the offset passes every update", func() bool {
		s := offsets.saved()
		return len(s) > 0 && s[len(s)-1] == 13
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	if got := offsets.saved(); got[0] != 11 {
		t.Errorf("saved offsets %v, want the first batch to stop at the failed update 11", got)
	}
	want := map[string][]string{
		strconv.Itoa(flaky): {"re:11", "re:11"}, // refused, then sent on the redelivery
		strconv.Itoa(quick): {"re:10", "re:12"}, // 12 comes again and is absorbed
	}
	if got := sendsByChat(f); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	var seen12 int
	for _, ev := range b.handled() {
		if ev.EventID == "12" {
			seen12++
		}
	}
	if seen12 != 2 {
		t.Errorf("update 12 handled %d times, want 2 (the redelivery reaches the bot's dedupe)", seen12)
	}
}

// sendsByChat groups the sendMessage texts by chat_id, in order.
func sendsByChat(f *fakeTG) map[string][]string {
	out := map[string][]string{}
	for _, c := range f.callsOf("sendMessage") {
		out[c.Form.Get("chat_id")] = append(out[c.Form.Get("chat_id")], c.Form.Get("text"))
	}
	return out
}

// eventIDs lists the ids of user's events, in the order handled.
func eventIDs(evs []bot.Event, user string) []string {
	var out []string
	for _, ev := range evs {
		if ev.UserID == user {
			out = append(out, ev.EventID)
		}
	}
	return out
}

func TestPollingRestartNeitherLosesNorRepeats(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	ids := []int{100, 101, 250, 251, 9000} // ids jump; dedupe must not assume otherwise
	for _, id := range ids {
		f.push(t, textUpdate(id, "hello"))
	}

	// The first process is stopped while it handles update 250: it finishes
	// that one and leaves the rest to the next start.
	ctx1, cancel1 := context.WithCancel(context.Background())
	b.onHandle = func(ev bot.Event) {
		if ev.EventID == "250" {
			cancel1()
		}
	}
	a1 := newAdapter(t, f, b, offsets, polling)
	if err := a1.Run(ctx1); err != nil {
		t.Fatalf("first Run = %v", err)
	}
	b.mu.Lock()
	b.onHandle = nil
	b.mu.Unlock()
	if got, want := f.sentTexts(), []string{"re:100", "re:101", "re:250"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sent before the restart %v, want %v", got, want)
	}

	a2 := newAdapter(t, f, b, offsets, polling)
	stop := start(t, a2)
	eventually(t, "the offset passes the last update", func() bool {
		s := offsets.saved()
		return len(s) > 0 && s[len(s)-1] == 9001
	})
	if err := stop(); err != nil {
		t.Fatalf("second Run = %v", err)
	}

	var want []string
	for _, id := range ids {
		want = append(want, "re:"+strconv.Itoa(id))
	}
	if got := f.sentTexts(); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want each reply once: %v", got, want)
	}
	if got, want := b.committed(), []string{"100", "101", "250", "251", "9000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("committed %v, want %v", got, want)
	}
}

func TestPollingShutdownFinishesTheUpdateInProgress(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	f.push(t, textUpdate(1, "hello"), textUpdate(2, "hello"))
	ctx, cancel := context.WithCancel(context.Background())
	b.onHandle = func(ev bot.Event) {
		if ev.EventID == "1" {
			cancel() // SIGTERM arrives while update 1 is handled
		}
	}
	a := newAdapter(t, f, b, offsets, polling)

	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}

	if got, want := f.sentTexts(), []string{"re:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if got, want := b.deliveries(), []string{"1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if got, want := offsets.saved(), []int64{2}; !reflect.DeepEqual(got, want) {
		t.Errorf("saved offsets %v, want %v (update 2 is left for the next start)", got, want)
	}
	if got, want := b.committed(), []string{"1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("committed %v, want %v", got, want)
	}
}

func TestPollingShutdownFinishesEveryChatInProgress(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	const a1, b1 = 5512345678, 5512345679
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Updates 1 and 2 (two chats) are both in progress when SIGTERM arrives.
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	b.beforeHandle = func(_ context.Context, ev bot.Event) {
		if ev.EventID != "1" && ev.EventID != "2" {
			return
		}
		arrived.Done()
		select {
		case <-both:
		case <-time.After(5 * time.Second):
			t.Error("updates 1 and 2 were not in progress together")
		}
		if ev.EventID == "1" {
			cancel()
		}
	}
	f.push(t, chatUpdate(1, a1, "x"), chatUpdate(2, b1, "x"), chatUpdate(3, a1, "x"))
	a := newAdapter(t, f, b, offsets, polling)

	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}

	delivered := b.deliveries()
	slices.Sort(delivered)
	if got, want := delivered, []string{"1", "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if got := offsets.saved(); len(got) == 0 || got[len(got)-1] != 3 {
		t.Errorf("saved offsets %v, want 3 last (update 3 is left for the next start)", got)
	}
	if got := b.committed(); slices.Contains(got, "3") {
		t.Errorf("committed %v: update 3 was started after shutdown", got)
	}
}

func TestPollingStoreOutageKeepsTheOffset(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	offsets := newMemOffsets()
	b.setUnavailable(true)
	f.push(t, mustRead(t, "f1_text_ru.json"))
	a := newAdapter(t, f, b, offsets, polling)

	stop := start(t, a)
	eventually(t, "the update was tried", func() bool { return len(b.handled()) > 0 })
	if got := offsets.saved(); len(got) != 0 {
		t.Errorf("offset saved during the outage: %v", got)
	}
	b.setUnavailable(false)
	eventually(t, "the offset moves after the outage", func() bool { return len(offsets.saved()) == 1 })
	if got, want := f.sentTexts(), []string{"re:734120001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, want := offsets.saved(), []int64{734120002}; !reflect.DeepEqual(got, want) {
		t.Errorf("saved %v, want %v", got, want)
	}
}

func TestPollingHonoursRetryAfter(t *testing.T) {
	f := newFakeTG(t)
	b := newFakeBot()
	f.failNext("getUpdates", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
	f.push(t, mustRead(t, "f1_text_ru.json"))
	a := newAdapter(t, f, b, newMemOffsets(), polling)
	slept := recordSleeps(a)

	stop := start(t, a)
	eventually(t, "the reply is sent", func() bool { return len(f.sentTexts()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	calls := f.all()
	if len(calls) < 3 || calls[0].Method != "getUpdates" || calls[1].Method != "getUpdates" || calls[2].Method != "sendMessage" {
		t.Errorf("calls = %v, want getUpdates (429), getUpdates, sendMessage", calls)
	}
	if got := slept.waits(); len(got) == 0 || got[0] != time.Second {
		t.Errorf("waits = %v, want retry_after (1s) first", got)
	}
}

func TestPollingWaitsOutASecondPoller(t *testing.T) {
	f := newFakeTG(t)
	const conflict = `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}`
	for range 3 {
		f.failNext("getUpdates", 409, conflict)
	}
	f.push(t, mustRead(t, "f1_text_ru.json"))
	log, buf := newTestLogger(t)
	a := newAdapter(t, f, newFakeBot(), newMemOffsets(), func(c *telegram.Config) {
		polling(c)
		c.Logger = log
	})
	slept := recordSleeps(a)

	stop := start(t, a)
	eventually(t, "polling resumes and the reply is sent", func() bool { return len(f.sentTexts()) == 1 })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}

	if got, want := slept.waits()[:3], []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	out := buf.String()
	if got := strings.Count(out, "another instance is polling"); got != 1 {
		t.Errorf("the conflict was logged %d times within a minute, want once:\n%s", got, out)
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "polling resumed") {
		t.Errorf("log lacks the error or the recovery:\n%s", out)
	}
}

func TestPollingConflictStillStopsWithCtx(t *testing.T) {
	f := newFakeTG(t)
	for range 100 {
		f.failNext("getUpdates", 409, `{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active"}`)
	}
	a := newAdapter(t, f, newFakeBot(), newMemOffsets(), polling)
	stop := start(t, a) // the real sleep: Run waits 10 s after the first 409
	eventually(t, "a conflict is seen", func() bool { return len(f.callsOf("getUpdates")) == 1 })
	if err := stop(); err != nil { // the test's own timeout catches a hang
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestPollingRejectedTokenStopsRun(t *testing.T) {
	f := newFakeTG(t)
	f.failNext("getUpdates", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	a := newAdapter(t, f, newFakeBot(), newMemOffsets(), polling)
	err := a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "token was rejected") {
		t.Fatalf("Run = %v, want a rejected-token error", err)
	}
}

func TestPollingStopsWhileALongPollIsInFlight(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), newMemOffsets(), func(c *telegram.Config) {
		polling(c)
		c.PollTimeout = 30 * time.Second
	})
	stop := start(t, a)
	eventually(t, "a long poll is in flight", func() bool { return len(f.callsOf("getUpdates")) == 1 })
	if err := stop(); err != nil { // the test's own timeout catches a hang
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestRunRefusesWebhookMode(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	if err := a.Run(context.Background()); err == nil {
		t.Fatal("Run in webhook mode = nil, want an error")
	}
}
