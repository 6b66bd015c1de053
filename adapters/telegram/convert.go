package telegram

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/bot"
)

// incoming is an update translated for the bot, plus what the adapter itself
// has to do around it.
type incoming struct {
	ev     bot.Event
	ignore string // non-empty: nothing for the bot; the reason, for the log
	quiet  bool   // the ignored update is routine (group chatter): log at debug level
	chatID int64  // where replies go
	// callbackID is the callback query to answer ("" for other updates).
	callbackID string
	// staleMsgID is the message whose buttons were pressed: its keyboard is
	// removed once the bot answered, so old steps cannot be clicked again.
	staleMsgID int
}

// commandPayloads maps menu commands to the bot's global choices.
var commandPayloads = map[string]string{
	"help":     bot.PayloadHelp,
	"lang":     bot.PayloadLang,
	"restart":  bot.PayloadRestart,
	"contacts": bot.PayloadContacts,
	"staff":    bot.PayloadStaff,
	"forget":   bot.PayloadForget,
}

// groupCommands are the commands that, addressed to the bot by name in a
// group (/start@botname), get the bot's one "1:1 only" answer.
var groupCommands = map[string]bool{"start": true, "help": true}

// convert translates one update. botName is the bot's lower-case username
// ("" when unknown: then no group command counts as addressed). It never
// panics on missing fields (the library's FromChat does): every optional
// pointer is checked.
func convert(u *tgbotapi.Update, botName string) incoming {
	in := incoming{ev: bot.Event{Platform: bot.Telegram, EventID: strconv.Itoa(u.UpdateID)}}
	switch {
	case u.Message != nil:
		convertMessage(&in, u.Message, false, botName)
	case u.EditedMessage != nil:
		convertMessage(&in, u.EditedMessage, true, botName)
	case u.CallbackQuery != nil:
		convertCallback(&in, u.CallbackQuery)
	case u.MyChatMember != nil:
		convertMember(&in, u.MyChatMember)
	default:
		in.ignore = "unsupported update type"
	}
	return in
}

func setUser(in *incoming, chat *tgbotapi.Chat, from *tgbotapi.User, date int) {
	in.chatID = chat.ID
	in.ev.UserID = strconv.FormatInt(chat.ID, 10)
	if from != nil {
		in.ev.Lang = from.LanguageCode
		in.ev.DisplayName = from.FirstName
	}
	if date > 0 {
		in.ev.Time = time.Unix(int64(date), 0).UTC()
	}
}

func isGroup(chat *tgbotapi.Chat) bool { return chat.Type == "group" || chat.Type == "supergroup" }

func convertMessage(in *incoming, m *tgbotapi.Message, edited bool, botName string) {
	if m.Chat == nil {
		in.ignore = "message without chat"
		return
	}
	date := m.Date
	if edited && m.EditDate > 0 {
		date = m.EditDate
	}
	setUser(in, m.Chat, m.From, date)
	switch {
	case isGroup(m.Chat):
		// The bot said when it was added that it works 1:1; answering group
		// chatter would repeat that on every message.
		name, target, _, ok := parseCommand(m.Text)
		if !edited && ok && groupCommands[name] && botName != "" && strings.ToLower(target) == botName &&
			(m.From == nil || !m.From.IsBot) {
			in.ev.Kind = bot.KindGroup
			return
		}
		in.ignore, in.quiet = "message in a group", true
		return
	case m.Chat.Type != "private":
		in.ignore = "message in a " + chatTypeLabel(m.Chat.Type)
		return
	case m.From != nil && m.From.IsBot:
		in.ignore = "message from a bot"
		return
	case edited || m.Text == "":
		in.ev.Kind = bot.KindUnsupported
		return
	}
	in.ev.Kind, in.ev.Text = bot.KindText, m.Text
	name, _, arg, ok := parseCommand(m.Text)
	if !ok {
		return
	}
	if name == "start" {
		in.ev.Kind, in.ev.Text = bot.KindStart, arg
		return
	}
	if p, ok := commandPayloads[name]; ok {
		in.ev.Kind, in.ev.Text = bot.KindChoice, p
	}
}

// parseCommand splits "/start@ssw_bot worker" into "start", "ssw_bot" and
// "worker". It reads the text itself: the library's Command() slices by
// entity length and panics on a malformed entity.
func parseCommand(text string) (name, target, arg string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", "", false
	}
	head, rest := text[1:], ""
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		head, rest = head[:i], head[i:]
	}
	head, target, _ = strings.Cut(head, "@")
	if head == "" {
		return "", "", "", false
	}
	return strings.ToLower(head), target, strings.TrimSpace(rest), true
}

func convertCallback(in *incoming, q *tgbotapi.CallbackQuery) {
	in.callbackID = q.ID
	switch {
	case q.Message != nil && q.Message.Chat != nil:
		setUser(in, q.Message.Chat, q.From, 0)
		if q.Message.Date != 0 { // date 0: an inaccessible message, nothing to edit
			in.staleMsgID = q.Message.MessageID
		}
		if isGroup(q.Message.Chat) {
			// The bot sends no buttons to groups: nothing to answer.
			in.ignore, in.quiet = "callback in a group", true
			return
		}
		if q.Message.Chat.Type != "private" {
			in.ignore = "callback in a " + chatTypeLabel(q.Message.Chat.Type)
			return
		}
	case q.From != nil:
		// An inline-mode message: in private chats the user id is the chat id.
		setUser(in, &tgbotapi.Chat{ID: q.From.ID, Type: "private"}, q.From, 0)
	default:
		in.ignore = "callback without sender"
		return
	}
	if !validPayload(q.Data) {
		in.ev.Kind = bot.KindUnsupported // a bad client can send anything here
		return
	}
	in.ev.Kind, in.ev.Text = bot.KindChoice, q.Data
}

func convertMember(in *incoming, c *tgbotapi.ChatMemberUpdated) {
	setUser(in, &c.Chat, &c.From, c.Date)
	status, was := c.NewChatMember.Status, c.OldChatMember.Status
	joined := (status == "member" || status == "administrator") && (was == "left" || was == "kicked" || was == "")
	switch {
	case isGroup(&c.Chat) && joined:
		in.ev.Kind = bot.KindGroup // added to a group: say once that we work 1:1
	case c.Chat.Type == "private" && status == "kicked":
		in.ev.Kind = bot.KindStop
	default:
		// Unblocking needs no answer: the user's next message or /start
		// brings the conversation back.
		in.ignore = "chat member change " + statusLabel(status)
	}
}

// validPayload reports whether s is callback data we could have sent:
// 1-64 bytes of printable ASCII.
func validPayload(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// chatTypeLabel and statusLabel keep untrusted strings out of log lines.
func chatTypeLabel(t string) string {
	switch t {
	case "private", "group", "supergroup", "channel":
		return t
	}
	return "unknown chat"
}

func statusLabel(s string) string {
	switch s {
	case "creator", "administrator", "member", "restricted", "left", "kicked":
		return s
	}
	return "unknown"
}
