package redisstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"example.com/sswbot/store/redisstore"
)

func TestGoRedisLinesGoThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	l := redisstore.GoRedisLogger(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.Printf(context.Background(), "redis: %s:%d: Conn has unread data", "pool.go", 123)
	l.Printf(nil, "redis: discarding bad PubSub connection") //nolint:staticcheck // go-redis passes nil contexts
	var lines []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("not a JSON log line: %s", raw)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	if got := lines[0]; got["level"] != "WARN" || got["msg"] != "go-redis" || got["detail"] != "pool.go:123: Conn has unread data" {
		t.Errorf("line = %v", got)
	}
}
