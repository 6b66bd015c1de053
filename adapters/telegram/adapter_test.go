package telegram_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"example.com/sswbot/adapters/telegram"
	"example.com/sswbot/bot"
)

func TestNewValidatesConfig(t *testing.T) {
	ok := telegram.Config{Token: testToken, WebhookURL: testHook, WebhookSecret: testSecret}
	tests := []struct {
		name    string
		edit    func(*telegram.Config)
		offsets telegram.OffsetStore
	}{
		{"a missing token is refused", func(c *telegram.Config) { c.Token = "" }, nil},
		{"a webhook URL without a secret is refused", func(c *telegram.Config) { c.WebhookSecret = "" }, nil},
		{"a plain http webhook URL is refused", func(c *telegram.Config) { c.WebhookURL = "http://bot.example.test/hook" }, nil},
		{"a relative webhook URL is refused", func(c *telegram.Config) { c.WebhookURL = "/telegram/webhook" }, nil},
		{"a secret with characters Telegram refuses is refused", func(c *telegram.Config) { c.WebhookSecret = "sec ret!" }, nil},
		{"a bad API base URL is refused", func(c *telegram.Config) { c.APIBaseURL = "api.telegram.org" }, nil},
		{"polling without an offset store is refused", func(c *telegram.Config) { c.WebhookURL, c.WebhookSecret = "", "" }, nil},
		{"a command name Telegram refuses is refused", func(c *telegram.Config) {
			c.Commands = map[string][]telegram.Command{"ru": {{Name: "Start", Description: "Начать"}}}
		}, nil},
		{"a command without description is refused", func(c *telegram.Config) {
			c.Commands = map[string][]telegram.Command{"": {{Name: "start"}}}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := telegram.New(cfg, newFakeBot(), tt.offsets); err == nil {
				t.Error("New = nil error")
			}
		})
	}
	t.Run("a valid config makes no network call", func(t *testing.T) {
		f := newFakeTG(t)
		newAdapter(t, f, newFakeBot(), nil, nil)
		newAdapter(t, f, newFakeBot(), newMemOffsets(), polling)
		if got := f.all(); len(got) != 0 {
			t.Errorf("calls = %v, want none", got)
		}
	})
}

var commands = map[string][]telegram.Command{
	"":   {{Name: "start", Description: "Start"}, {Name: "help", Description: "Help"}},
	"ru": {{Name: "start", Description: "Начать"}, {Name: "help", Description: "Помощь"}},
	"ja": {{Name: "start", Description: "はじめる"}},
}

func TestSetupRegistersCommandsAndWebhook(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), nil, func(c *telegram.Config) { c.Commands = commands })
	if err := a.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.methods(), []string{"getMe", "setMyCommands", "setMyCommands", "setMyCommands", "setChatMenuButton", "setWebhook"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if mb := f.callsOf("setChatMenuButton")[0].Form; mb.Get("menu_button") != `{"type":"commands"}` || mb.Has("chat_id") {
		t.Errorf("setChatMenuButton = %v, want the commands button for every private chat", mb)
	}
	cmds := f.callsOf("setMyCommands")
	for i, want := range []struct{ lang, commands string }{
		{"", `[{"command":"start","description":"Start"},{"command":"help","description":"Help"}]`},
		{"ja", `[{"command":"start","description":"はじめる"}]`},
		{"ru", `[{"command":"start","description":"Начать"},{"command":"help","description":"Помощь"}]`},
	} {
		c := cmds[i].Form
		if c.Get("language_code") != want.lang || c.Get("commands") != want.commands || c.Get("scope") != `{"type":"all_private_chats"}` {
			t.Errorf("setMyCommands #%d = %v, want language %q commands %s", i, c, want.lang, want.commands)
		}
		if want.lang == "" && c.Has("language_code") {
			t.Error("default commands carry a language_code")
		}
	}
	hook := f.callsOf("setWebhook")[0].Form
	if got, want := hook.Get("url"), testHook; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if got, want := hook.Get("secret_token"), testSecret; got != want {
		t.Errorf("secret_token = %q, want %q", got, want)
	}
	if got, want := hook.Get("allowed_updates"), `["message","edited_message","callback_query","my_chat_member"]`; got != want {
		t.Errorf("allowed_updates = %s, want %s", got, want)
	}
}

// Menus are a convenience: one Telegram refuses for good is logged and the
// bot goes on; one that may pass makes Setup fail so it is tried again.
func TestSetupMenusBestEffort(t *testing.T) {
	f := newFakeTG(t)
	f.failNext("setMyCommands", 400, `{"ok":false,"error_code":400,"description":"Bad Request: command description is too long"}`)
	a := newAdapter(t, f, newFakeBot(), nil, func(c *telegram.Config) { c.Commands = commands })
	if err := a.Setup(context.Background()); err != nil {
		t.Fatalf("Setup = %v, want nil after a refused command menu", err)
	}
	if got := f.methods(); got[len(got)-1] != "setWebhook" || len(f.callsOf("setChatMenuButton")) != 1 {
		t.Errorf("calls = %v: the rest of the setup did not run", got)
	}
	f.failNext("setChatMenuButton", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	var ae *telegram.APIError
	if err := a.Setup(context.Background()); !errors.As(err, &ae) || ae.Code != 500 {
		t.Errorf("Setup = %v, want the 500 so that it is retried", err)
	}
}

func TestSetupForPollingDeletesTheWebhook(t *testing.T) {
	f := newFakeTG(t)
	a := newAdapter(t, f, newFakeBot(), newMemOffsets(), polling)
	if err := a.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.methods(), []string{"getMe", "deleteWebhook"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func TestSetupReportsAnAPIError(t *testing.T) {
	f := newFakeTG(t)
	f.failNext("setWebhook", 400, `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: HTTPS url must be provided for webhook"}`)
	a := newAdapter(t, f, newFakeBot(), nil, nil)
	err := a.Setup(context.Background())
	var ae *telegram.APIError
	if !errors.As(err, &ae) || ae.Code != 400 {
		t.Fatalf("Setup = %v, want an APIError 400", err)
	}
}

// The service is the Handler the server wires in.
var _ telegram.Handler = (*bot.Service)(nil)

// TestChatMenuFollowsTheChosenLanguage: after a turn that chose a language,
// the chat's own command menu is set to it (Telegram has no Kyrgyz
// interface, so the app's language_code would never pick the Kyrgyz one),
// after the answer, on both webhook paths; not for a redelivered update.
func TestChatMenuFollowsTheChosenLanguage(t *testing.T) {
	for _, byAPI := range []bool{true, false} {
		f := newFakeTG(t)
		b := newFakeBot()
		b.lang = "ky"
		a := newAdapter(t, f, b, nil, func(c *telegram.Config) {
			c.WebhookReplyByAPI = byAPI
			c.Commands = map[string][]telegram.Command{"": {{Name: "help", Description: "Help"}}, "ky": {{Name: "help", Description: "Жардам"}}}
		})
		post(t, a, textUpdate(700, "кыргызча"), testSecret)
		post(t, a, textUpdate(700, "кыргызча"), testSecret) // a redelivery
		calls := f.callsOf("setMyCommands")
		if len(calls) != 1 {
			t.Fatalf("byAPI %v: %d setMyCommands calls (%v), want 1", byAPI, len(calls), f.methods())
		}
		c := calls[0].Form
		if c.Get("scope") != `{"type":"chat","chat_id":5512345678}` || c.Get("language_code") != "" || !strings.Contains(c.Get("commands"), "Жардам") {
			t.Errorf("byAPI %v: setMyCommands %v", byAPI, c)
		}
		if m := f.methods(); byAPI && (len(m) < 2 || m[0] != "sendMessage") {
			t.Errorf("the menu before the answer: %v", m)
		}
	}
}
