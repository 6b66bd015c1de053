package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

const usage = `sswbot guides people through hiring a Kyrgyz national as a Specified Skilled Worker (特定技能).

Usage:
  sswbot chat  [--lang ja|en|ru|ky] [--user NAME]   talk to the bot in this terminal
  sswbot serve [flags]                              run the LINE/Telegram webhooks and the staff console
  sswbot check [--knowledge DIR]                    validate the content
  sswbot graph                                      print the dialog as a Mermaid flowchart
  sswbot eval  [--lang L] [--cases FILE]            measure how well the bot understands typed messages
  sswbot examples export [--out FILE] [--clear]     staff suggestions from the console, as YAML for review
  sswbot line setup [--dry-run]                     create the LINE rich menus (one per language)
  sswbot hash-password                              read a password on stdin, print its bcrypt hash
  sswbot healthcheck [--ready]                      exit 0 when the local serve answers /healthz (/readyz)

Run "sswbot <command> --help" for the flags and environment variables of each.
`

// run is main without the process: tests call it with their own args,
// environment and streams. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "chat":
		err = chat(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "serve":
		err = serve(ctx, args[1:], getenv, stdout, stderr)
	case "check":
		err = check(args[1:], getenv, stdout, stderr)
	case "examples":
		err = examples(ctx, args[1:], getenv, stdout, stderr)
	case "eval":
		err = evalCmd(args[1:], getenv, stdout, stderr)
	case "graph":
		err = graph(args[1:], getenv, stdout, stderr)
	case "line":
		err = lineCmd(ctx, args[1:], getenv, stdout, stderr)
	case "hash-password":
		err = hashPassword(args[1:], stdin, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sswbot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "sswbot %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage marks a bad command line; the flag package already said why.
var errUsage = errors.New("usage")

// parse parses args with fs, mapping flag errors to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}
