package console

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"example.com/sswbot/bot"
)

// tryUser is the Try-it user of a staff member: a console conversation
// that lists like any other.
// tryShown is how many of the latest entries the page shows; the whole
// chat is on its conversation page.
const tryShown = 40

func tryUser(staff string) string { return "staff-" + staff }

func (c *Console) tryPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := bot.ConversationOf(bot.Console, tryUser(s.staff))
	es, err := c.deps.Index.Transcript(r.Context(), id)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		c.fail(w, r, s, http.StatusInternalServerError, "The chat is unavailable right now.", err)
		return
	}
	es = es[max(0, len(es)-tryShown):]
	c.tryMu.Lock()
	last := c.tries[s.staff]
	c.tryMu.Unlock()
	var choices []bot.Choice
	var links []bot.Link
	if n := len(last); n > 0 {
		choices, links = last[n-1].Choices, last[n-1].Links
	}
	var onLINE []lineMessage
	if c.deps.LINEPreview != nil && len(last) > 0 {
		onLINE = lineMessages(c.deps.LINEPreview(last))
	}
	var onTelegram []tgMessage
	if c.deps.TelegramPreview != nil && len(last) > 0 {
		onTelegram = tgMessages(c.deps.TelegramPreview(last))
	}
	c.render(w, r, http.StatusOK, "try", s, map[string]any{
		"Bubbles": c.bubbles(s, es), "Earlier": len(es) == tryShown, "Choices": choices, "Links": links, "Started": len(es) > 0,
		"Path": convURL(id, false), "LINE": onLINE, "Telegram": onTelegram,
	})
}

func (c *Console) trySend(w http.ResponseWriter, r *http.Request, s *session) {
	ev := bot.Event{Platform: bot.Console, UserID: tryUser(s.staff), EventID: "console-" + randomToken(), DisplayName: s.staff}
	text := strings.TrimSpace(r.PostFormValue("text"))
	choice := r.PostFormValue("choice")
	switch {
	case r.PostFormValue("start") != "":
		ev.Kind = bot.KindStart
	case choice != "":
		if len(choice) > 64 {
			s.setFlash("That button is not valid.", true)
			http.Redirect(w, r, "/console/try", http.StatusSeeOther)
			return
		}
		ev.Kind, ev.Text = bot.KindChoice, choice
	case text != "":
		if utf8.RuneCountInString(text) > maxStaffText {
			s.setFlash("The message is too long.", true)
			http.Redirect(w, r, "/console/try", http.StatusSeeOther)
			return
		}
		ev.Kind, ev.Text = bot.KindText, text
	default:
		s.setFlash("Type a message or press a button.", true)
		http.Redirect(w, r, "/console/try", http.StatusSeeOther)
		return
	}
	out, err := c.deps.Bot.Handle(r.Context(), ev)
	if err != nil {
		c.log.Error("console: try it", "err", err)
		s.setFlash("The bot could not answer right now; try again.", true)
		http.Redirect(w, r, "/console/try", http.StatusSeeOther)
		return
	}
	if out.Silent {
		s.setFlash("A staff member owns this test conversation, so the bot stays silent. Hand it back to test again.", false)
	}
	c.tryMu.Lock()
	c.tries[s.staff] = out.Replies
	c.tryMu.Unlock()
	http.Redirect(w, r, "/console/try#say", http.StatusSeeOther)
}
