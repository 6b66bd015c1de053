package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"example.com/sswbot/bot"
)

// commands maps slash commands to the payloads they stand for (the same as
// on Telegram).
var commands = map[string]string{
	"/help": bot.PayloadHelp, "/lang": bot.PayloadLang, "/restart": bot.PayloadRestart,
	"/contacts": bot.PayloadContacts, "/staff": bot.PayloadStaff, "/forget": bot.PayloadForget,
	"/back": bot.PayloadBack,
}

func chat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("sswbot chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "", "language: ja, en, ru or ky (asked when empty)")
	user := fs.String("user", "local", "user name; with REDIS_URL set, the same name resumes the conversation")
	cfg.storeFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sswbot chat [flags]\n\nTalk to sswbot in this terminal. Type a choice's number or any text;\n/help /lang /restart /contacts /staff /forget /back work too. Ends at end of input.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, envHelp)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *lang != "" && bot.Lang(*lang) == "" {
		return fmt.Errorf("--lang %q: want ja, en, ru or ky", *lang)
	}
	kb, err := cfg.loadKnowledge()
	if err != nil {
		return fmt.Errorf("load content:\n%w", err)
	}
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := bot.New(st, kb, bot.Options{SessionTTL: cfg.SessionTTL, MaxStoredText: cfg.MaxStoredText})
	if err != nil {
		return err
	}
	c := &chatter{ctx: ctx, svc: svc, user: *user, lang: *lang, out: stdout, prefix: strconv.FormatInt(time.Now().UnixNano(), 36)}

	// A known conversation resumes where it stopped; a new one starts.
	first := bot.Event{Kind: bot.KindStart}
	if _, err := st.Meta(ctx, bot.ConversationOf(bot.CLI, *user)); err == nil {
		first = bot.Event{Kind: bot.KindChoice, Text: "c"}
	} else if !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	if err := c.send(first); err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64*1024), 1<<20)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		fmt.Fprintf(stdout, "> %s\n", line)
		if err := c.send(c.event(line)); err != nil {
			return err
		}
	}
	return in.Err()
}

type chatter struct {
	ctx     context.Context
	svc     *bot.Service
	user    string
	lang    string
	out     io.Writer
	prefix  string
	n       int
	choices []bot.Choice
}

// event turns a typed line into an event: a number picks a shown choice.
func (c *chatter) event(line string) bot.Event {
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(c.choices) {
		return bot.Event{Kind: bot.KindChoice, Text: c.choices[n-1].Payload}
	}
	cmd, arg, _ := strings.Cut(line, " ")
	if cmd == "/start" {
		return bot.Event{Kind: bot.KindStart, Text: strings.TrimSpace(arg)}
	}
	if p, ok := commands[cmd]; ok {
		return bot.Event{Kind: bot.KindChoice, Text: p}
	}
	return bot.Event{Kind: bot.KindText, Text: line}
}

func (c *chatter) send(ev bot.Event) error {
	c.n++
	ev.Platform, ev.UserID, ev.Lang = bot.CLI, c.user, c.lang
	ev.EventID = fmt.Sprintf("cli-%s-%d", c.prefix, c.n)
	out, err := c.svc.Handle(c.ctx, ev)
	if err != nil {
		return err
	}
	c.choices = nil
	for _, r := range out.Replies {
		fmt.Fprintf(c.out, "%s\n", r.Text)
		c.choices = r.Choices
	}
	for i, ch := range c.choices {
		fmt.Fprintf(c.out, "  %d) %s\n", i+1, ch.Label)
	}
	fmt.Fprintln(c.out)
	return nil
}
