package line

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	handshake "example.com/sswbot/adapters/internal/delivery"
	"example.com/sswbot/bot"
)

// meta is what the adapter reads from every event it handles.
type meta struct {
	source     *source
	timestamp  int64
	mode       string
	id         string
	redelivery bool
	replyToken string
}

// handle translates one LINE event, passes it to the bot and returns what to
// send, or nil. It fails only when the event must be redelivered.
//
// The bot counts the events it sees (kind, outcome, latency, dedupe hits);
// the adapter counts only those it drops before: kind "webhook", outcomes
// "standby" and "ignored".
func (a *Adapter) handle(ctx context.Context, ev *event) (*delivery, error) {
	var (
		kind bot.Kind
		text string
	)
	switch ev.Type {
	case "message":
		if ev.Message != nil && ev.Message.Type == "text" {
			kind, text = bot.KindText, ev.Message.Text
		} else {
			kind = bot.KindUnsupported // stickers, images, video, audio, files, locations
		}
	case "postback":
		kind = bot.KindChoice
		if ev.Postback != nil {
			text = ev.Postback.Data
		}
	case "follow":
		kind = bot.KindStart
	case "unfollow":
		kind = bot.KindStop
		ev.ReplyToken = "" // LINE sends none
	case "join":
		kind = bot.KindGroup
	default:
		a.m.Event(platform, "webhook", "ignored")
		if !eventTypes[ev.Type] {
			a.log.Info("line webhook: unknown event type", "type", ev.Type)
		} else {
			a.log.Debug("line webhook: event not handled", "type", ev.Type)
		}
		return nil, nil
	}
	m := meta{ev.Source, ev.Timestamp, ev.Mode, ev.WebhookEventID, ev.DeliveryContext != nil && ev.DeliveryContext.IsRedelivery, ev.ReplyToken}

	if m.id == "" {
		// Without its id a redelivery cannot be told from a new event:
		// handling it could answer twice. LINE always sends one.
		a.m.Event(platform, "webhook", "no_id")
		a.log.Warn("line webhook: event without webhookEventId ignored", "type", ev.Type)
		return nil, nil
	}
	if m.mode == "standby" {
		// Another channel owns the chat: the bot must stay quiet.
		a.m.Event(platform, "webhook", "standby")
		a.log.Debug("line webhook: standby event ignored", "event", m.id)
		return nil, nil
	}

	var userID string // where answers go: the user, group or room
	if src := m.source; src != nil {
		switch src.Type {
		case "user":
			userID = src.UserID
		case "group":
			userID = src.GroupID
		case "room":
			userID = src.RoomID
		}
	}
	if userID == "" {
		a.m.Event(platform, "webhook", "ignored")
		a.log.Warn("line webhook: event without a usable source", "event", m.id)
		return nil, nil
	}
	if user := m.source.Type == "user"; user == (kind == bot.KindGroup) {
		// In groups and rooms only the join is answered: the bot works in
		// 1:1 chats.
		a.m.Event(platform, "webhook", "ignored")
		a.log.Debug("line webhook: group or room event ignored", "event", m.id)
		return nil, nil
	}
	if kind == bot.KindGroup && m.redelivery {
		// The bot keeps nothing for groups, so it cannot tell a redelivered
		// join from a new one. The first copy was most likely answered:
		// better no second greeting than two.
		a.m.Event(platform, "webhook", "ignored")
		a.log.Info("line webhook: redelivered join not answered", "event", m.id)
		return nil, nil
	}

	be := bot.Event{
		Platform: bot.LINE,
		UserID:   userID,
		EventID:  m.id,
		Kind:     kind,
		Text:     text,
	}
	if m.timestamp > 0 {
		be.Time = time.UnixMilli(m.timestamp)
	}
	if err := ctx.Err(); err != nil {
		// The request's time is up (an earlier event was slow).
		a.log.Warn("line webhook: no time left, asking for redelivery", "event", m.id)
		return nil, err
	}
	if kind == bot.KindStart {
		be.Lang, be.DisplayName = a.profile(ctx, userID)
	}
	// A redelivered or late event's token may be used or expired: push.
	if !m.redelivery && !a.tokenTooOld(m.timestamp) {
		be.ReplyToken = m.replyToken
	}
	job, action, err := a.handshake.Start(ctx, be)
	switch {
	case action == handshake.Retry:
		return nil, err // LINE redelivers the request
	case job == nil:
		a.log.Error("line webhook: handling failed", "event", m.id, "user", hashID(userID))
		return nil, nil
	}
	d := &delivery{job: job, to: userID, eventID: m.id, replyToken: be.ReplyToken}
	if action == handshake.Send {
		d.replies = job.Replies
	}
	if job.Resolve {
		// The first handler stopped between commit and the end of its
		// sends. Its recorded reply token tells, while it is valid,
		// whether the reply got through.
		d.resolve, d.replyToken = true, job.ReplyToken
		if a.tokenTooOld(m.timestamp) && d.replyToken != "" {
			d.replyToken, d.possibleDouble = "", true
		}
	}
	out := job.Outcome
	if a.cfg.RichMenus && out.LangChanged && out.Lang != "" && kind != bot.KindGroup && kind != bot.KindStop && !out.Silent {
		d.menuLang = out.Lang
	}
	if len(d.replies) == 0 && d.menuLang == "" {
		return nil, nil
	}
	return d, nil
}

// tokenTooOld reports whether an event's reply token is too old to trust:
// LINE keeps one valid for a minute after the event.
func (a *Adapter) tokenTooOld(timestamp int64) bool {
	return timestamp > 0 && a.cfg.Now().Sub(time.UnixMilli(timestamp)) > tokenMaxAge
}

// profile returns the user's language and display name, or "" when LINE
// does not give them in time.
func (a *Adapter) profile(ctx context.Context, userID string) (lang, name string) {
	ctx, cancel := context.WithTimeout(ctx, profileTimeout)
	defer cancel()
	api, err := a.api(ctx)
	if err != nil {
		return "", ""
	}
	res, p, err := api.GetProfileWithHttpInfo(userID)
	closeBody(res)
	a.m.Outbound(platform, "profile", statusLabel(res, err))
	if err != nil {
		a.log.Info("line: profile unavailable", "user", hashID(userID), "status", statusLabel(res, err))
		return "", ""
	}
	return p.Language, p.DisplayName
}

// hashID makes a user id loggable: stable, short, not reversible.
func hashID(id string) string {
	sum := sha256.Sum256([]byte("sswbot-log:" + id))
	return hex.EncodeToString(sum[:6])
}
