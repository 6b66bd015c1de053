package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
	"example.com/sswbot/knowledge"
)

// lineCmd runs "sswbot line <subcommand>".
func lineCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "setup" {
		fmt.Fprint(stderr, "Usage: sswbot line setup [--dry-run] [--images DIR] [--labels]\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	return lineSetup(ctx, args[1:], getenv, stdout, stderr)
}

// lineSetup creates the rich menus (one per language) with their images,
// aliases and the default.
func lineSetup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot line setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "read what exists and print what would change; change nothing")
	images := fs.String("images", "", "also write each menu's image to DIR/richmenu-<lang>.png")
	labels := fs.Bool("labels", false, "print the menus' texts and exit (scripts/menufont.sh builds the font from them)")
	fs.StringVar(&cfg.KnowledgeDir, "knowledge", cfg.KnowledgeDir, "content directory instead of the embedded content [SSWBOT_KNOWLEDGE]")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: sswbot line setup [--dry-run] [--images DIR]

Creates the LINE rich menus, one per language (ja, en, ru, ky): all steps,
contacts, talk to a person, language, start over. Idempotent: a menu that
exists unchanged is kept, a changed one is created anew and the old one of
ours deleted; aliases sswbot-<lang> point at each, the Japanese one is the
default. serve links each user's menu to the language they choose.

Environment: LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL, LINE_DATA_API_BASE_URL.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	kb, err := cfg.loadKnowledge()
	if err != nil {
		return err
	}
	menus, err := richMenus(kb)
	if err != nil {
		return err
	}
	if *labels {
		for _, m := range menus {
			fmt.Fprintln(stdout, m.ChatBar)
			for _, it := range m.Items {
				fmt.Fprintln(stdout, it.Label)
			}
		}
		return nil
	}
	if *images != "" {
		if err := writeMenuImages(*images, menus, stdout); err != nil {
			return err
		}
	}
	if cfg.LineToken == "" && !*dry {
		return errors.New("LINE_CHANNEL_ACCESS_TOKEN is not set (--dry-run works without it)")
	}
	_, err = line.SetupRichMenus(ctx, line.SetupConfig{
		AccessToken: cfg.LineToken, APIBaseURL: cfg.LineBaseURL, DataBaseURL: cfg.LineDataBaseURL,
		Default: "ja", DryRun: *dry, Out: stdout, Accent: menuAccent,
	}, menus)
	return err
}

// menuKinds are the rich menu's areas in layout order (three on top, two
// below), as the global payloads they send and the ui texts they show.
var menuKinds = []struct{ payload, label string }{
	{bot.PayloadAll, "btn_all_steps"},
	{bot.PayloadContacts, "btn_contacts"},
	{bot.PayloadStaff, "btn_staff"},
	{bot.PayloadLang, "btn_language"},
	{bot.PayloadRestart, "btn_restart"},
}

// menuAccent is the area drawn highlighted: talk to a person.
const menuAccent = 2

// richMenus builds the rich menu of every language from the content.
func richMenus(kb *knowledge.Base) ([]line.Menu, error) {
	keys := []string{"menu_bar"}
	for _, k := range menuKinds {
		keys = append(keys, k.label)
	}
	if err := kb.HasUI(keys...); err != nil {
		return nil, err
	}
	var out []line.Menu
	for _, lang := range knowledge.Languages {
		m := line.Menu{Lang: lang, ChatBar: kb.UIText("menu_bar", lang)}
		for _, k := range menuKinds {
			m.Items = append(m.Items, line.MenuItem{Label: kb.UIText(k.label, lang), Payload: k.payload})
		}
		out = append(out, m)
	}
	return out, nil
}

func writeMenuImages(dir string, menus []line.Menu, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, m := range menus {
		img, err := line.MenuImage(m, menuAccent)
		if err != nil {
			return err
		}
		name := filepath.Join(dir, "richmenu-"+strings.ToLower(m.Lang)+".png")
		if err := os.WriteFile(name, img, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", name)
	}
	return nil
}
