package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/store/memstore"
)

// countries says "1 country" or "2 countries".
func countries(n int) string {
	if n == 1 {
		return "1 country"
	}
	return fmt.Sprintf("%d countries", n)
}

func check(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.KnowledgeDir, "knowledge", cfg.KnowledgeDir, "content directory to check instead of the embedded content [SSWBOT_KNOWLEDGE]")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot check [--knowledge DIR]\n\nValidates the content: prints file:line: message for each problem and exits 1;\nwarns when its review_by date has passed.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	dir := cfg.KnowledgeDir
	if dir == "" {
		dir = "knowledge/content" // where the embedded files live in the repository
	}
	kb, err := cfg.loadKnowledge()
	var kerr *knowledge.Error
	if errors.As(err, &kerr) {
		for _, p := range kerr.Problems {
			fmt.Fprintf(stdout, "%s:%d: %s\n", filepath.Join(dir, p.File), p.Line, p.Msg)
		}
		return fmt.Errorf("%d problem(s) in the content", len(kerr.Problems))
	}
	if err != nil {
		return err
	}
	// The bot checks that every text it renders exists.
	if _, err := bot.New(memstore.New(memstore.Options{}), kb, bot.Options{}); err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", dir, err)
		return errors.New("the content does not fit the bot")
	}
	if !kb.ReviewBy.IsZero() && time.Now().After(kb.ReviewBy) {
		fmt.Fprintf(stdout, "warning: the content was due for review by %s (reviewed %s)\n",
			kb.ReviewBy.Format(time.DateOnly), kb.Reviewed.Format(time.DateOnly))
	}
	fmt.Fprintf(stdout, "ok: content version %s, %s, reviewed %s, review by %s\n",
		kb.Version, countries(len(kb.Countries)), kb.Reviewed.Format(time.DateOnly), kb.ReviewBy.Format(time.DateOnly))
	return nil
}
