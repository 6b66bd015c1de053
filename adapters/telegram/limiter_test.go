package telegram_test

import (
	"reflect"
	"testing"
	"time"

	"example.com/sswbot/adapters/telegram"
)

func TestLimiter(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		rate  int
		chats []string
		want  []time.Duration
	}{
		{"one chat gets a burst of three, then one message a second", 100,
			[]string{"a", "a", "a", "a", "a"}, []time.Duration{0, 0, 0, s, 2 * s}},
		{"other chats are not held up by a busy one", 100,
			[]string{"a", "a", "a", "a", "b"}, []time.Duration{0, 0, 0, s, 0}},
		{"the global rate spaces messages over all chats", 2,
			[]string{"a", "b", "c", "d"}, []time.Duration{0, 0, s / 2, s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := telegram.LimiterDelays(time.Second, tt.rate, tt.chats...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("delays = %v, want %v", got, tt.want)
			}
		})
	}
}
