package main

import (
	"flag"
	"fmt"
	"io"

	"example.com/sswbot/bot"
	"example.com/sswbot/dialog"
	"example.com/sswbot/store/memstore"
)

func graph(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "en", "language of the step titles")
	fs.StringVar(&cfg.KnowledgeDir, "knowledge", cfg.KnowledgeDir, "content directory instead of the embedded content")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot graph [--lang en]\n\nPrints the dialog and its routes as a Mermaid flowchart.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	kb, err := cfg.loadKnowledge()
	if err != nil {
		return err
	}
	svc, err := bot.New(memstore.New(memstore.Options{}), kb, bot.Options{})
	if err != nil {
		return err
	}
	labels := map[string]string{}
	c := kb.Countries[0]
	for _, r := range c.Routes {
		labels["route:"+r.ID] = r.Title.In(*lang)
	}
	for id, s := range c.Steps {
		labels["step:"+id] = s.Title.In(*lang)
	}
	fmt.Fprint(stdout, dialog.Graph(svc.Flow(), labels))
	return nil
}
