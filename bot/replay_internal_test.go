package bot

import (
	"reflect"
	"testing"
	"time"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// TestReplayGivesTheSameReplies holds Service.turn to what a replay record
// (encodeReplay) keeps: for every session the dialog reaches, in every
// language, every button it offers, "More" and a few typed texts, with no
// meta, a meta and an owner (a sample of the sessions, see below), the replies computed again from the record
// equal the turn's own, and so does the erase flag.
func TestReplayGivesTheSameReplies(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	svc, err := New(nil, kb, Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	if err != nil {
		t.Fatal(err)
	}
	f := svc.flow
	typed := []string{"1", "2", "hello", "привет", "салам", "もっと", "I want to hire a worker", "?", "stop"}
	checked := 0
	for _, lang := range knowledge.Languages {
		start := dialog.Step(f, dialog.Session{}, dialog.Input{Kind: dialog.Start, LangHint: lang})
		seen := map[dialog.Session]bool{}
		queue := []dialog.Result{start}
		for len(queue) > 0 {
			res := queue[0]
			queue = queue[1:]
			sess := res.Session
			if seen[sess] {
				continue
			}
			seen[sess] = true
			last := res.Replies[len(res.Replies)-1]
			var evs []Event
			for _, p := range last.Choices {
				queue = append(queue, dialog.Step(f, sess, dialog.Input{Kind: dialog.Choice, Text: p.String()}))
				evs = append(evs, Event{Kind: KindChoice, Text: p.String()})
			}
			// Every session is explored; every 16th is checked (all of them
			// take a minute), which still reaches every state and step.
			if len(seen)%16 != 1 {
				continue
			}
			for _, r := range svc.r.render(sess, res.Replies, nil) {
				if r.More != "" && len(r.Choices) > 0 {
					evs = append(evs, Event{Kind: KindChoice, Text: morePrefix + r.Choices[len(r.Choices)-1].Payload})
				}
			}
			for _, text := range typed {
				evs = append(evs, Event{Kind: KindText, Text: text})
			}
			evs = append(evs, Event{Kind: KindStart}, Event{Kind: KindStop}, Event{Kind: KindUnsupported})
			for _, meta := range []*Meta{nil, {Lang: sess.Lang}, {Lang: sess.Lang, Owner: "staff1"}} {
				for _, session := range [][]byte{encodeSession(sess), nil} {
					snap := Snapshot{Session: session, Meta: meta}
					for i, ev := range evs {
						ev.Platform, ev.UserID, ev.EventID, ev.Time = Telegram, "7", "e"+itoa(i), now
						c, out, forget, _, _ := svc.turn(snap, ev, &caseInput{replay: true})
						if len(c.Outcome) == 0 || c.Outcome[0] != replayV1 {
							t.Fatalf("turn %+v on %+v: not a replay record", ev, sess)
						}
						rec, err := svc.recordedOf(c.Outcome, ev)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(rec.Replies, out.Replies) || rec.Forget != forget {
							t.Fatalf("%s %q in %+v (meta %+v): replayed\n%+v (forget %v)\nwant\n%+v (forget %v)",
								ev.Kind, ev.Text, sess, meta, rec.Replies, rec.Forget, out.Replies, forget)
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d turns checked", checked)
	}
	t.Logf("%d turns replayed", checked)
}

// A replay record round-trips its snapshot, and other forms are not taken
// for one.
func TestReplayRecordRoundTrip(t *testing.T) {
	for _, snap := range []Snapshot{{}, {Session: []byte{}}, {Session: []byte("\x01abc"), Meta: &Meta{Owner: "o", Lang: "ky"}}} {
		got, ok, err := decodeReplay(encodeReplay(snap))
		if !ok || err != nil || !reflect.DeepEqual(got, snap) {
			t.Errorf("%+v: got %+v, %v, %v", snap, got, ok, err)
		}
	}
	for _, raw := range [][]byte{nil, encodeRecorded(recorded{}), []byte("{}")} {
		if _, ok, _ := decodeReplay(raw); ok {
			t.Errorf("%q taken for a replay record", raw)
		}
	}
	if _, ok, err := decodeReplay([]byte{replayV1, 1}); !ok || err == nil {
		t.Errorf("a cut replay record: ok %v, err %v", ok, err)
	}
}
