package bot

import (
	"strings"
	"time"

	"example.com/sswbot/dialog"
)

// Platform names where a conversation happens.
type Platform string

const (
	LINE     Platform = "line"
	Telegram Platform = "telegram"
	CLI      Platform = "cli"     // sswbot chat in a terminal
	Console  Platform = "console" // the staff console's "Try it" chat
)

// ConversationID identifies one user on one platform: "<platform>:<user id>".
type ConversationID string

// ConversationOf returns the conversation of userID on p.
func ConversationOf(p Platform, userID string) ConversationID {
	return ConversationID(string(p) + ":" + userID)
}

// Platform returns the platform part of c.
func (c ConversationID) Platform() Platform {
	p, _, _ := strings.Cut(string(c), ":")
	return Platform(p)
}

// UserID returns the platform's user id part of c.
func (c ConversationID) UserID() string {
	_, u, _ := strings.Cut(string(c), ":")
	return u
}

// Kind says what a platform event is.
type Kind string

const (
	KindText        Kind = "text"        // the user typed Text
	KindChoice      Kind = "choice"      // the user pressed a button; Text is its payload
	KindStart       Kind = "start"       // LINE follow, Telegram /start; Text is an optional deep-link payload ("worker")
	KindStop        Kind = "stop"        // LINE unfollow, Telegram blocked: the conversation becomes inactive
	KindUnsupported Kind = "unsupported" // stickers, photos, voice, edits: answered politely, state unchanged
	// KindGroup is a group or room chat (LINE join, Telegram group message).
	// The bot answers once that it works in 1:1 chats and stores nothing;
	// UserID is then the group's id.
	KindGroup Kind = "group"
)

// Event is one thing a user did on a platform, already translated by an adapter.
type Event struct {
	Platform Platform
	UserID   string
	// EventID is the platform's id for the event (LINE webhookEventId,
	// Telegram update_id). An id already committed is not processed again.
	EventID     string
	Kind        Kind
	Text        string // typed text, choice payload, or start payload
	Lang        string // language hint from the platform ("ru", "en-US"); may be empty
	DisplayName string
	Time        time.Time // when the platform saw it; zero means now
	// ReplyToken is the platform's one-time reply token the adapter means to
	// use (LINE), "" when it will push. It is recorded with the send intent.
	ReplyToken string
}

// Conversation returns the conversation the event belongs to.
func (e Event) Conversation() ConversationID { return ConversationOf(e.Platform, e.UserID) }

// Reply is one platform-neutral message: text plus optional buttons and
// links. Card, when set, is the structure of Text (and of the Card.Span-1
// replies after it) for adapters that lay messages out; see Card.
type Reply struct {
	Text    string   `json:"text"`
	Choices []Choice `json:"choices,omitempty"`
	Links   []Link   `json:"links,omitempty"`
	Card    *Card    `json:"card,omitempty"`
	// More is the label of the "More" button in the user's language, for
	// platforms that show only some of the Choices (see Page).
	More string `json:"more,omitempty"`
	// Image is the URL of a picture sent before the text (an invite's QR
	// code): a LINE image message, a Telegram photo. "" for none.
	Image string `json:"image,omitempty"`
}

// Choice is a button. Payload is short ASCII (at most 64 bytes).
type Choice struct {
	Label   string `json:"label"`
	Payload string `json:"payload"`
}

// Link is a URL worth a button of its own.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Outcome is what Handle decided for an event.
type Outcome struct {
	Replies []Reply
	// Duplicate is true when the event id had been committed before; Replies
	// are then the ones recorded the first time and nothing changed.
	Duplicate bool
	// Delivered is true when an earlier handling of this event already
	// reported its replies as sent (see MarkDelivered); adapters then send
	// nothing. A duplicate that was not delivered is one whose first handler
	// stopped (crashed, or its lease ran out) between commit and the end of
	// sending: the send is uncertain, this handler now holds the event's
	// lease, and the adapter resolves it (LINE: retry the reply with
	// ReplyToken, which LINE refuses when it was used).
	Delivered bool
	// ReplyToken is, for a duplicate, the reply token recorded with the
	// first send intent ("" when the first handler meant to push).
	ReplyToken string
	// Silent is true when a staff member owns the conversation: the bot says
	// nothing and the message waits in the console.
	Silent bool
	// Lease names the event's in-flight lease this handling holds; give it
	// to Service.Release when nothing could be sent and the platform will
	// deliver the event again.
	Lease string
	// Lang is the conversation's language after the turn ("" for a
	// duplicate or a turn without the dialog), and LangChanged reports that
	// this turn set or changed it: LINE then links the user's rich menu of
	// that language.
	Lang        string
	LangChanged bool
}

// Payloads adapters may send as KindChoice for platform commands
// (Telegram /help, /lang, ...). They work in every state.
const (
	PayloadHelp     = dialog.PayloadHelp
	PayloadLang     = dialog.PayloadLang
	PayloadRestart  = dialog.PayloadRestart
	PayloadContacts = dialog.PayloadContacts
	PayloadStaff    = dialog.PayloadStaff
	PayloadForget   = dialog.PayloadForget
	PayloadBack     = dialog.PayloadBack
	PayloadAll      = dialog.PayloadAll
)
