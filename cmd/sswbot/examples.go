package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
)

// suggestionStore is what `examples export` needs of the store; both
// stores have it.
type suggestionStore interface {
	Suggestions(ctx context.Context) ([]bot.Suggestion, error)
	DeleteSuggestions(ctx context.Context, keys ...string) error
}

// examples runs `sswbot examples export`: the staff's suggestions from the
// console, as a YAML snippet for review into the content. Nothing changes
// live; --clear drops what was written.
func examples(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintf(stderr, "Usage: sswbot examples export [--out FILE] [--clear]\n")
		return errUsage
	}
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot examples export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.RedisURL, "redis", cfg.RedisURL, "Redis URL the serving sswbot uses [REDIS_URL]")
	fs.StringVar(&cfg.RedisPrefix, "redis-prefix", cfg.RedisPrefix, "key prefix [SSWBOT_REDIS_PREFIX]")
	out := fs.String("out", "", "write the snippet to this file instead of standard output")
	clear := fs.Bool("clear", false, "drop the exported suggestions from the store once written")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot examples export [--out FILE] [--clear]\n\n"+
			"Writes the staff's suggestions (the console's \"not understood\" list) as a YAML snippet in the\n"+
			"content's intents format, for review; `sswbot eval --cases FILE` measures it.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return errors.New("suggestions live in the serving process's store: set REDIS_URL (with the in-memory store, download them from the console's Insights page)")
	}
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ss, ok := st.(suggestionStore)
	if !ok {
		return errors.New("this store keeps no suggestions")
	}
	list, err := ss.Suggestions(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := bot.ExportSuggestions(&buf, list, time.Now()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
	} else {
		err = os.WriteFile(*out, buf.Bytes(), 0o644)
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	fmt.Fprintf(stderr, "%d suggestion(s) exported\n", len(list))
	if *clear {
		keys := make([]string, len(list))
		for i, s := range list {
			keys[i] = s.Key()
		}
		if err := ss.DeleteSuggestions(ctx, keys...); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		fmt.Fprintf(stderr, "%d suggestion(s) cleared from the store\n", len(keys))
	}
	return nil
}

// meanings lists what staff may say a misunderstood message meant: every
// intent of the content as slot=value, in the content's slot order.
func meanings(kb *knowledge.Base) []string {
	out := make([]string, 0, len(kb.Intents))
	for _, slot := range knowledge.Slots {
		for _, in := range kb.Intents {
			if in.Slot == slot {
				out = append(out, in.Slot+"="+in.Value)
			}
		}
	}
	return out
}
