// Command sswload measures a LINE or Telegram bot from the outside, the way
// the platforms drive it: it posts signed LINE webhook requests (or Telegram
// webhook updates) for many users walking their conversations, serves a fake
// LINE Messaging API and a fake Telegram Bot API that check and count every
// reply, and prints requests per second, latency percentiles, errors,
// replies per request, new connections to the API per reply, lost and
// doubled answers, and the CPU the given processes used.
//
//	sswload run   -target http://127.0.0.1:8080 -api 127.0.0.1:18090 -c 16 -duration 10s -pids 1234
//	sswload echo  -addr 127.0.0.1:18080   # the reference peer: the LINE SDK's plain echo handler
//	sswload table results.jsonl           # medians and spread of `run -json` lines, as ratios
//	sswload gctail -latencies l.txt -gctrace serve.err -started NS   # the slowest per cent and the target's collections
//
// It knows nothing of sswbot's code: only the platforms' wire formats.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sswload:", err)
		os.Exit(1)
	}
}

const usage = `Usage: sswload <command> [flags]

Commands:
  run    post webhook load at a bot, with a fake platform API, and report
  echo   serve the reference peer: LINE SDK ParseRequest + ReplyMessage, SDK defaults
  table  summarise "run -json" result lines (medians, min–max, ratios to echo)
  gctail how much of the slowest per cent of "run -latencies" the target's
         garbage collections (its GODEBUG=gctrace=1 lines) made
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "run":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "echo":
		return runEcho(ctx, args[1:], getenv, stdout, stderr)
	case "table":
		return runTable(args[1:], stdout)
	case "gctail":
		return runGCTail(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
