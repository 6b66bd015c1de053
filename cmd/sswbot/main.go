// Command sswbot guides employers and job seekers through hiring a Kyrgyz
// national as a Specified Skilled Worker in Japan. It is the only place
// that wires sswbot's packages together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the console's time zones work in the distroless image too
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
