package bot

import (
	"encoding/json"
	"errors"

	"example.com/sswbot/bot/wire"
	"example.com/sswbot/dialog"
)

// Sessions and dedupe records are written in a compact binary form (package
// wire): every turn reads one of each and writes both, and a dedupe record
// carries the turn's replies with their cards, so encoding/json's
// reflection, field names and quotes were a large part of a turn's CPU and
// of the bytes Redis parses and keeps. Each form starts with a version byte;
// a record starting with "{" is JSON written by an earlier version and is
// still read. TestCodecsCoverEveryField fails when a type gets a field
// these do not carry.
const (
	sessionV1  = 1
	recordedV1 = 1
	// replayV1 starts a dedupe record that keeps, instead of the replies,
	// what it takes to compute them again (see encodeReplay).
	replayV1 = 2
)

var errBadRecord = errors.New("bot: unreadable record")

func encodeSession(s dialog.Session) []byte {
	b := make([]byte, 0, 64)
	b = append(b, sessionV1)
	b = wire.AppendInt(b, int64(s.V))
	for _, f := range [...]string{s.Lang, string(s.State), s.Role, s.Country, s.Location, s.Route, s.Step} {
		b = wire.AppendString(b, f)
	}
	b = wire.AppendInt(b, int64(s.Misses))
	b = wire.AppendBool(b, s.Handoff)
	for _, f := range [...]string{string(s.Return), s.Case, s.Side, s.JoinCode} {
		b = wire.AppendString(b, f)
	}
	b = wire.AppendInt(b, int64(s.CodeFails))
	return wire.AppendInt(b, s.CodeWait)
}

// decodeSessionJSON reads a session stored as JSON (before the compact
// form).
func decodeSessionJSON(raw []byte) (dialog.Session, error) {
	var s dialog.Session
	err := json.Unmarshal(raw, &s)
	return s, err
}

// decodeSession reads a session in either form.
func decodeSession(raw []byte) (dialog.Session, error) {
	if len(raw) > 0 && raw[0] == '{' {
		return decodeSessionJSON(raw)
	}
	var s dialog.Session // on the stack: only the JSON form's own s escapes
	if len(raw) == 0 || raw[0] != sessionV1 {
		return s, errBadRecord
	}
	r := wire.NewReader(string(raw[1:]))
	s.V = int(r.Int())
	s.Lang, s.State, s.Role, s.Country = r.String(), dialog.State(r.String()), r.String(), r.String()
	s.Location, s.Route, s.Step = r.String(), r.String(), r.String()
	s.Misses = int(r.Int())
	s.Handoff = r.Bool()
	s.Return, s.Case, s.Side, s.JoinCode = dialog.State(r.String()), r.String(), r.String(), r.String()
	s.CodeFails = int(r.Int())
	s.CodeWait = r.Int()
	if err := r.Err(); err != nil {
		return dialog.Session{}, err
	}
	return s, nil
}

// encodeRecorded writes a dedupe record's content. A turn's change to a
// shared case is rare and small: it stays JSON inside the record.
func encodeRecorded(rec recorded) []byte {
	n := 16
	for _, r := range rec.Replies {
		n += len(r.Text) + 32*len(r.Choices)
		if r.Card != nil {
			n += len(r.Text) // a card holds about its text again
		}
	}
	b := make([]byte, 0, n)
	b = append(b, recordedV1)
	b = wire.AppendBool(b, rec.Forget)
	var op []byte
	if rec.Case != nil {
		op, _ = json.Marshal(rec.Case) // strings only: cannot fail
	}
	b = wire.AppendString(b, string(op))
	b = wire.AppendUint(b, uint64(len(rec.Replies)))
	for _, r := range rec.Replies {
		b = appendReply(b, r)
	}
	// Added later, only when there are any: the held notifications given
	// (older records end before it).
	if len(rec.Held) > 0 {
		b = wire.AppendUint(b, uint64(len(rec.Held)))
		for _, id := range rec.Held {
			b = wire.AppendString(b, id)
		}
	}
	return b
}

func appendReply(b []byte, r Reply) []byte {
	b = wire.AppendString(b, r.Text)
	b = wire.AppendUint(b, uint64(len(r.Choices)))
	for _, c := range r.Choices {
		b = wire.AppendString(wire.AppendString(b, c.Label), c.Payload)
	}
	b = wire.AppendUint(b, uint64(len(r.Links)))
	for _, l := range r.Links {
		b = wire.AppendString(wire.AppendString(b, l.Label), l.URL)
	}
	b = wire.AppendString(wire.AppendString(b, r.More), r.Image)
	b = wire.AppendBool(b, r.Card != nil)
	if r.Card != nil {
		b = AppendCard(b, r.Card)
	}
	return b
}

// AppendCard appends c's compact form: every field, each string with its
// length, so two cards have the same bytes only when they are equal (the
// LINE adapter keys its cache of encoded bubbles with it).
func AppendCard(b []byte, c *Card) []byte {
	b = wire.AppendString(b, string(c.Kind))
	b = wire.AppendInt(b, int64(c.Span))
	for _, s := range [...]string{c.Lang, c.Header, c.Side, c.SideID, c.Title, c.Subtitle, c.Body, c.Source} {
		b = wire.AppendString(b, s)
	}
	for _, fs := range [...][]Field{c.Fields, c.Notes} {
		b = wire.AppendUint(b, uint64(len(fs)))
		for _, f := range fs {
			b = wire.AppendString(wire.AppendString(b, f.Label), f.Value)
		}
	}
	b = wire.AppendUint(b, uint64(len(c.Items)))
	for _, it := range c.Items {
		for _, s := range [...]string{it.Mark, it.Text, it.Note, it.Section} {
			b = wire.AppendString(b, s)
		}
		b = wire.AppendBool(b, it.Action != nil)
		if it.Action != nil {
			b = wire.AppendString(wire.AppendString(b, it.Action.Label), it.Action.Payload)
		}
	}
	b = wire.AppendUint(b, uint64(len(c.Contacts)))
	for _, ct := range c.Contacts {
		b = wire.AppendString(wire.AppendString(b, ct.Label), ct.Name)
		b = wire.AppendUint(b, uint64(len(ct.Lines)))
		for _, l := range ct.Lines {
			for _, s := range [...]string{string(l.Kind), l.Label, l.Value, l.Note} {
				b = wire.AppendString(b, s)
			}
		}
	}
	b = wire.AppendUint(b, uint64(len(c.Links)))
	for _, l := range c.Links {
		for _, s := range [...]string{l.Title, l.URL, l.Note} {
			b = wire.AppendString(b, s)
		}
	}
	b = wire.AppendUint(b, uint64(len(c.Actions)))
	for _, a := range c.Actions {
		b = wire.AppendString(wire.AppendString(b, a.Label), a.Payload)
	}
	return b
}

// encodeReplay writes a dedupe record's content for a turn that read
// nothing but the conversation itself (no shared case, no held
// notification, no invite; Service.turn with caseInput.replay): the parts
// of its snapshot the turn's replies depend on. A redelivery computes the
// replies again from them and the event, which the platform sends again
// as it was (Service.recordedOf). A card's answer is 1–3 KB; this is the
// session and two short strings, small enough to stay inside the record,
// so the commit writes no outcome key.
//
// Only the session, the meta's owner and language change the replies
// (TestReplayGivesTheSameReplies holds Service.turn to that).
func encodeReplay(snap Snapshot) []byte {
	b := make([]byte, 0, 16+len(snap.Session))
	b = append(b, replayV1)
	b = wire.AppendBool(b, snap.Session != nil)
	b = wire.AppendString(b, string(snap.Session))
	b = wire.AppendBool(b, snap.Meta != nil)
	if snap.Meta != nil {
		b = wire.AppendString(wire.AppendString(b, snap.Meta.Owner), snap.Meta.Lang)
	}
	return b
}

// decodeReplay reads what encodeReplay wrote back into a snapshot; ok is
// false for a record of another form.
func decodeReplay(raw []byte) (snap Snapshot, ok bool, err error) {
	if len(raw) == 0 || raw[0] != replayV1 {
		return Snapshot{}, false, nil
	}
	r := wire.NewReader(string(raw[1:]))
	hasSession, session := r.Bool(), r.String()
	if hasSession {
		snap.Session = []byte(session)
	}
	if r.Bool() {
		snap.Meta = &Meta{Owner: r.String(), Lang: r.String()}
	}
	if err := r.Err(); err != nil {
		return Snapshot{}, true, err
	}
	return snap, true, nil
}

// decodeRecorded reads a dedupe record's content in either form.
func decodeRecorded(raw []byte) (recorded, error) {
	var rec recorded
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal(raw, &rec)
		return rec, err
	}
	if len(raw) == 0 || raw[0] != recordedV1 {
		return rec, errBadRecord
	}
	r := wire.NewReader(string(raw[1:]))
	rec.Forget = r.Bool()
	if op := r.String(); op != "" {
		rec.Case = new(caseOp)
		if err := json.Unmarshal([]byte(op), rec.Case); err != nil {
			return recorded{}, err
		}
	}
	if n := r.Count(); n > 0 {
		rec.Replies = make([]Reply, n)
		for i := range rec.Replies {
			rec.Replies[i] = readReply(r)
		}
	}
	if r.More() {
		rec.Held = make([]string, r.Count())
		for i := range rec.Held {
			rec.Held[i] = r.String()
		}
	}
	if err := r.Err(); err != nil {
		return recorded{}, err
	}
	return rec, nil
}

func readReply(r *wire.Reader) Reply {
	var rp Reply
	rp.Text = r.String()
	if n := r.Count(); n > 0 {
		rp.Choices = make([]Choice, n)
		for i := range rp.Choices {
			rp.Choices[i] = Choice{Label: r.String(), Payload: r.String()}
		}
	}
	if n := r.Count(); n > 0 {
		rp.Links = make([]Link, n)
		for i := range rp.Links {
			rp.Links[i] = Link{Label: r.String(), URL: r.String()}
		}
	}
	rp.More, rp.Image = r.String(), r.String()
	if r.Bool() {
		rp.Card = readCard(r)
	}
	return rp
}

func readCard(r *wire.Reader) *Card {
	c := &Card{Kind: CardKind(r.String()), Span: int(r.Int())}
	c.Lang, c.Header, c.Side, c.SideID = r.String(), r.String(), r.String(), r.String()
	c.Title, c.Subtitle, c.Body, c.Source = r.String(), r.String(), r.String(), r.String()
	for _, fs := range [...]*[]Field{&c.Fields, &c.Notes} {
		if n := r.Count(); n > 0 {
			*fs = make([]Field, n)
			for i := range *fs {
				(*fs)[i] = Field{Label: r.String(), Value: r.String()}
			}
		}
	}
	if n := r.Count(); n > 0 {
		c.Items = make([]CardItem, n)
		for i := range c.Items {
			it := &c.Items[i]
			it.Mark, it.Text, it.Note, it.Section = r.String(), r.String(), r.String(), r.String()
			if r.Bool() {
				it.Action = &Choice{Label: r.String(), Payload: r.String()}
			}
		}
	}
	if n := r.Count(); n > 0 {
		c.Contacts = make([]CardContact, n)
		for i := range c.Contacts {
			ct := &c.Contacts[i]
			ct.Label, ct.Name = r.String(), r.String()
			if m := r.Count(); m > 0 {
				ct.Lines = make([]ContactLine, m)
				for j := range ct.Lines {
					ct.Lines[j] = ContactLine{Kind: ContactKind(r.String()), Label: r.String(), Value: r.String(), Note: r.String()}
				}
			}
		}
	}
	if n := r.Count(); n > 0 {
		c.Links = make([]CardLink, n)
		for i := range c.Links {
			c.Links[i] = CardLink{Title: r.String(), URL: r.String(), Note: r.String()}
		}
	}
	if n := r.Count(); n > 0 {
		c.Actions = make([]Choice, n)
		for i := range c.Actions {
			c.Actions[i] = Choice{Label: r.String(), Payload: r.String()}
		}
	}
	return c
}
