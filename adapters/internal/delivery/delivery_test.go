package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"testing"

	"example.com/sswbot/adapters/internal/delivery"
	"example.com/sswbot/bot"
)

// fakeBot answers Handle with out/err and records the handshake's calls.
type fakeBot struct {
	out   bot.Outcome
	err   error
	calls []string
}

func (b *fakeBot) Handle(context.Context, bot.Event) (bot.Outcome, error) { return b.out, b.err }
func (b *fakeBot) MarkDelivered(_ context.Context, _ bot.ConversationID, ev string) error {
	b.calls = append(b.calls, "delivered "+ev)
	return nil
}
func (b *fakeBot) Release(_ context.Context, _ bot.ConversationID, ev, lease string) error {
	b.calls = append(b.calls, "release "+ev+" "+lease)
	return nil
}

func TestHandshake(t *testing.T) {
	replies := []bot.Reply{{Text: "hi"}}
	tests := []struct {
		name      string
		out       bot.Outcome
		err       error
		kind      bot.Kind
		redeliver bool // given to Finish
		action    delivery.Action
		resolve   bool
		calls     []string
	}{
		{name: "a new answer is sent and recorded", out: bot.Outcome{Replies: replies, Lease: "L"},
			action: delivery.Send, calls: []string{"delivered e1"}},
		{name: "an answer that will come again gives its lease back", out: bot.Outcome{Replies: replies, Lease: "L"},
			redeliver: true, action: delivery.Send, calls: []string{"release e1 L"}},
		{name: "a delivered copy sends nothing", out: bot.Outcome{Replies: replies, Duplicate: true, Delivered: true},
			action: delivery.Done},
		{name: "an uncertain copy is resolved", out: bot.Outcome{Replies: replies, Duplicate: true, ReplyToken: "tok", Lease: "L"},
			action: delivery.Send, resolve: true, calls: []string{"delivered e1"}},
		{name: "a silent turn sends nothing", out: bot.Outcome{Silent: true}, action: delivery.Done},
		{name: "a stopped user's intent is closed at once", out: bot.Outcome{Replies: replies, Lease: "L"}, kind: bot.KindStop,
			action: delivery.Done, calls: []string{"delivered e1"}},
		{name: "a store outage asks for a redelivery", err: fmt.Errorf("x: %w", bot.ErrUnavailable), action: delivery.Retry},
		{name: "an event in flight asks for a redelivery", err: fmt.Errorf("x: %w", bot.ErrInFlight), action: delivery.Retry},
		{name: "another error is dropped", err: fmt.Errorf("decode"), action: delivery.Done},
		{name: "groups keep nothing to record", out: bot.Outcome{Replies: replies}, kind: bot.KindGroup, action: delivery.Send},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBot{out: tt.out, err: tt.err}
			p := &delivery.Platform{Name: "test", Handler: b, Log: slog.New(slog.DiscardHandler)}
			kind := tt.kind
			if kind == "" {
				kind = bot.KindText
			}
			job, action, _ := p.Start(t.Context(), bot.Event{Platform: bot.Telegram, UserID: "1", EventID: "e1", Kind: kind})
			if action != tt.action {
				t.Fatalf("action = %v, want %v", action, tt.action)
			}
			if action == delivery.Send {
				if job.Resolve != tt.resolve || !reflect.DeepEqual(job.Replies, replies) {
					t.Errorf("job = %+v, want resolve %v and the replies", job, tt.resolve)
				}
				job.Finish(t.Context(), tt.redeliver)
				job.Finish(t.Context(), tt.redeliver) // a second Finish does nothing
			}
			if !reflect.DeepEqual(b.calls, tt.calls) {
				t.Errorf("calls = %q, want %q", b.calls, tt.calls)
			}
		})
	}
}
