package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// LogTo sends go-redis's own log lines (pool and connection trouble, which
// it otherwise prints raw to stderr as "redis: …pool.go:…") to l as
// structured warnings. go-redis has one logger per process, so call it once,
// at startup, before opening a Store.
func LogTo(l *slog.Logger) { redis.SetLogger(slogLogger{l}) }

// slogLogger adapts slog to go-redis's Logging interface.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	// go-redis prefixes nothing useful beyond "redis: "; the rest is the
	// detail (its messages carry addresses, never passwords or values).
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	s.l.Log(ctx, slog.LevelWarn, "go-redis", "detail", msg)
}
