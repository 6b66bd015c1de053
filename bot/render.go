package bot

import (
	"strconv"
	"strings"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
	"example.com/sswbot/textsplit"
)

// Limits every platform can take: LINE allows 5 messages a reply, Telegram
// 4,096 characters a message; we keep a margin. MaxBubble is the length
// budget of one text bubble, so that a message fits a phone screen.
const (
	MaxMessages = 5
	MaxText     = 4000
	MaxBubble   = 600
)

// renderer turns the dialog's Says into texts from the knowledge base.
type renderer struct {
	kb   *knowledge.Base
	days int // session TTL in days, for {days}
}

// country is the session's sending country (the first one until chosen).
func (r *renderer) country(s dialog.Session) *knowledge.Country {
	if c := r.kb.Country(s.Country); c != nil {
		return c
	}
	return r.kb.Countries[0]
}

func fill(s string, kv ...string) string {
	return strings.NewReplacer(kv...).Replace(s)
}

func (r *renderer) ui(key, lang string) string { return r.kb.UIText(key, lang) }

// roleUI returns the text key written for the user's role ("ask_route_worker")
// when the content has one, else the text for everyone.
func (r *renderer) roleUI(key, role, lang string) string {
	if _, ok := r.kb.UI[key+"_"+role]; ok && role != "" {
		key += "_" + role
	}
	return r.ui(key, lang)
}

// paren puts s in brackets after a space: full-width （） in Japanese.
func paren(lang, s string) string {
	if lang == "ja" {
		return "（" + s + "）"
	}
	return " (" + s + ")"
}

// colon ends a label: full-width in Japanese.
func colon(lang string) string {
	if lang == "ja" {
		return "："
	}
	return ":"
}

// label returns the button label of payload p (its wire form when the
// content has none, which only a forged payload can reach).
func (r *renderer) label(p dialog.Payload, c *knowledge.Country, lang string) string {
	if t, ok := labelText(r.kb, c, p); ok {
		return t.In(lang)
	}
	return p.String()
}

// render turns one dialog turn into platform-neutral messages: the parts
// joined into as few messages as fit MaxText, at most MaxMessages, with the
// last reply's choices as buttons on the last message.
func (r *renderer) render(s dialog.Session, out []dialog.Reply) []Reply {
	lang, c := s.Lang, r.country(s)
	var parts []string
	var links []Link
	for _, o := range out {
		text, ls := r.say(s, o)
		parts = append(parts, text)
		links = append(links, ls...)
	}
	var choices []Choice
	if n := len(out); n > 0 {
		for _, p := range out[n-1].Choices {
			choices = append(choices, Choice{Label: r.label(p, c, lang), Payload: p.String()})
		}
	}
	msgs := pack(parts)
	replies := make([]Reply, len(msgs))
	for i, m := range msgs {
		replies[i].Text = m
	}
	last := &replies[len(replies)-1]
	last.Choices = choices
	last.Links = links
	return replies
}

// pack joins parts with blank lines into bubbles of at most MaxBubble
// characters, splitting an oversized part at paragraph, line or word
// breaks with the project's one splitter. Nothing is dropped or merged past
// the budget: adapters send more than one request when a turn needs it.
func pack(parts []string) []string {
	var pieces []string
	for _, p := range parts {
		pieces = append(pieces, textsplit.Split(p, MaxBubble, textsplit.Runes)...)
	}
	var msgs []string
	cur := ""
	for _, p := range pieces {
		switch {
		case cur == "":
			cur = p
		case textsplit.Runes(cur)+2+textsplit.Runes(p) <= MaxBubble:
			cur += "\n\n" + p
		default:
			msgs = append(msgs, cur)
			cur = p
		}
	}
	return append(msgs, cur)
}

func (r *renderer) say(s dialog.Session, o dialog.Reply) (string, []Link) {
	lang, c := s.Lang, r.country(s)
	ui := func(key string) string { return r.ui(key, lang) }
	switch o.Say {
	case dialog.SayAskLanguage:
		if lang != "" {
			return ui("ask_language"), nil
		}
		var all []string
		for _, l := range knowledge.Languages {
			all = append(all, r.ui("ask_language", l))
		}
		return strings.Join(all, "\n"), nil
	case dialog.SayWelcome:
		// The first message also cites the document by title and issuer,
		// says that the translations are ours, and offers the issuer's page
		// (which is not the document itself).
		src := c.Source
		page := src.Issuer.In(lang)
		if !src.Page.IsZero() {
			page = src.Page.In(lang)
		}
		return fill(ui("welcome"), "{days}", strconv.Itoa(r.days)) + "\n\n" +
			fill(ui("source_document"), "{issuer}", src.Issuer.In(lang), "{document}", src.Title) + "\n" +
			src.Note.In(lang) + "\n" + labeled(page+colon(lang), src.URL), nil
	case dialog.SayExpired:
		return fill(ui("expired"), "{days}", strconv.Itoa(r.days)), nil
	case dialog.SayCompare:
		var b strings.Builder
		// The overview only: each route's summary comes when it is chosen,
		// so the comparison stays within a reply.
		b.WriteString(ui("compare_intro") + "\n\n" + c.Compare.In(lang))
		return b.String(), nil
	case dialog.SayRouteChosen:
		if rt := c.Route(s.Route); rt != nil {
			return "■ " + rt.Title.In(lang) + "\n" + rt.Summary.In(lang), nil
		}
		return "", nil
	case dialog.SayStep, dialog.SayStepSingle:
		return r.step(s, o)
	case dialog.SayChecklist:
		return r.checklist(s, true), nil
	case dialog.SayContacts:
		return r.contacts(c, lang)
	case dialog.SayUnderstood:
		var said []string
		for _, p := range o.Said {
			said = append(said, r.label(p, c, lang))
		}
		return fill(ui("understood"), "{answers}", strings.Join(said, " · ")), nil
	case dialog.SayOutOfScope:
		// the content's honest answer: the document does not say, who can
		// tell (only the document's contacts), the offer of a person
		if in := r.kb.Intent("oos", o.Step); in != nil && !in.Answer.IsZero() {
			return in.Answer.In(lang), nil
		}
		return ui("offer_staff"), nil
	case dialog.SayOtherRoute:
		route := r.label(dialog.Payload{Kind: dialog.KindSetRoute, Arg: s.Route}, c, lang)
		if rt := c.Route(s.Route); rt != nil {
			route = rt.Title.In(lang)
		}
		step := o.Step
		if st := c.Steps[o.Step]; st != nil {
			step = st.ID + " " + st.Title.In(lang)
		}
		if in := c.Steps[o.Instead]; in != nil {
			// the step of the user's route that plays its part, with the
			// document's section
			return fill(ui("other_route_instead"), "{step}", step, "{route}", route,
				"{instead}", in.Title.In(lang), "{section}", in.Source), nil
		}
		return fill(ui("other_route"), "{step}", step, "{route}", route), nil
	case dialog.SayDone:
		role := r.label(dialog.Payload{Kind: dialog.KindSetRole, Arg: s.Role}, c, lang)
		loc := r.label(dialog.Payload{Kind: dialog.KindSetLocation, Arg: s.Location}, c, lang)
		route := r.label(dialog.Payload{Kind: dialog.KindSetRoute, Arg: s.Route}, c, lang)
		if rt := c.Route(s.Route); rt != nil {
			route = rt.Title.In(lang)
		}
		return ui("done") + "\n\n" +
			fill(ui("summary"), "{role}", role, "{location}", loc, "{route}", route) + "\n\n" +
			r.checklist(s, false), nil
	}
	return r.roleUI(string(o.Say), s.Role, lang), nil
}

// step renders one procedure: header, side, the role's wording, who, where,
// notes, contacts, links and the source.
func (r *renderer) step(s dialog.Session, o dialog.Reply) (string, []Link) {
	lang, c := s.Lang, r.country(s)
	ui := func(key string) string { return r.ui(key, lang) }
	st := c.Steps[o.Step]
	if st == nil {
		return ui("not_understood"), nil
	}
	var b strings.Builder
	title := st.Title.In(lang)
	if rt := c.Route(s.Route); o.Say == dialog.SayStep && rt != nil && indexOf(rt, st.ID) >= 0 {
		b.WriteString(fill(ui("step_header"), "{n}", strconv.Itoa(indexOf(rt, st.ID)+1),
			"{total}", strconv.Itoa(len(rt.Steps)), "{title}", title))
	} else {
		b.WriteString(fill(ui("step_single"), "{title}", title))
	}
	if st.Side != "" {
		b.WriteString("\n【" + ui("side_"+st.Side) + "】")
	}
	b.WriteString("\n\n" + st.BodyFor(s.Role).In(lang))
	var who []string
	for _, a := range st.Actors {
		who = append(who, ui("actor_"+a))
	}
	sep := ", "
	if lang == "ja" {
		sep = "、"
	}
	b.WriteString("\n\n" + labeled(ui("label_who"), strings.Join(who, sep)))
	if !st.Where.IsZero() {
		b.WriteString("\n" + labeled(ui("label_where"), st.Where.In(lang)))
	}
	for _, n := range st.Notes {
		b.WriteString("\n\n※ " + labeled(ui("label_note"), n.In(lang)))
	}
	var links []Link
	for _, c := range st.Contacts {
		b.WriteString("\n\n" + ui("label_contact") + "\n" + r.contact(c, lang))
	}
	for _, l := range st.Links {
		// A step's own notes say what the links' notes say for the
		// contacts list (①/② list the same agencies): once is enough.
		if len(st.Notes) > 0 {
			l = &knowledge.Link{ID: l.ID, URL: l.URL, Title: l.Title, Source: l.Source}
		}
		b.WriteString("\n\n" + r.link(l, lang))
		links = append(links, Link{Label: l.Title.In(lang), URL: l.URL})
	}
	b.WriteString("\n\n" + r.sourceLine(c, []string{st.Source}, lang))
	return b.String(), links
}

// labeled writes "Label: value", without a space after a full-width colon.
func labeled(label, value string) string {
	if strings.HasSuffix(label, "：") {
		return label + value
	}
	return label + " " + value
}

func indexOf(rt *knowledge.Route, id string) int {
	for i, s := range rt.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func (r *renderer) contact(c *knowledge.Contact, lang string) string {
	ui := func(key string) string { return r.ui(key, lang) }
	var b strings.Builder
	b.WriteString("■ " + c.Name.In(lang))
	addr := c.Address.Original
	if t := c.Address.Translation; !t.IsZero() && t.In(lang) != addr {
		addr += paren(lang, t.In(lang))
	}
	b.WriteString("\n" + labeled(ui("label_address"), addr))
	for _, p := range c.Phones {
		b.WriteString("\n" + labeled(ui("label_phone"), p))
	}
	for _, e := range c.Emails {
		b.WriteString("\n" + labeled(ui("label_email"), e.Address))
		if !e.Purpose.IsZero() {
			b.WriteString(paren(lang, e.Purpose.In(lang)))
		}
	}
	for _, l := range c.Links {
		b.WriteString("\n" + labeled(ui("label_link"), l.URL))
	}
	return b.String()
}

func (r *renderer) link(l *knowledge.Link, lang string) string {
	s := "🔗 " + l.Title.In(lang) + "\n" + l.URL
	if !l.Note.IsZero() {
		s += "\n" + l.Note.In(lang)
	}
	return s
}

func (r *renderer) contacts(c *knowledge.Country, lang string) (string, []Link) {
	ui := func(key string) string { return r.ui(key, lang) }
	var b strings.Builder
	b.WriteString(ui("contacts_title") + "\n" + ui("contacts_intro"))
	var sections []string
	for _, ct := range c.Contacts {
		b.WriteString("\n\n" + r.contact(ct, lang))
		sections = append(sections, ct.Source)
	}
	var links []Link
	for _, l := range c.Links {
		b.WriteString("\n\n" + r.link(l, lang))
		links = append(links, Link{Label: l.Title.In(lang), URL: l.URL})
	}
	b.WriteString("\n\n" + r.sourceLine(c, sections, lang))
	return b.String(), links
}

// checklist lists the route's steps with their marks (stepMark); the
// summary after finishing shows it without the legend.
func (r *renderer) checklist(s dialog.Session, legend bool) string {
	lang := s.Lang
	rt := r.country(s).Route(s.Route)
	if rt == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(fill(r.ui("checklist_title", lang), "{route}", rt.Title.In(lang)))
	if legend {
		b.WriteString("\n" + r.ui("checklist_legend", lang))
	}
	for i, st := range rt.Steps {
		b.WriteString("\n" + stepMark(s, rt, i) + " " + strconv.Itoa(i+1) + ". " + st.Title.In(lang) + paren(lang, st.Source))
	}
	return b.String()
}

// stepMark is the one truth about a route's progress, for the summary and
// "All steps" alike: once the route is finished (even while an aside such as
// "change an answer" is open) every step is done; on the way, the steps
// before the current one are done and the current one is marked.
func stepMark(s dialog.Session, rt *knowledge.Route, i int) string {
	if s.State == dialog.StateDone || s.Return == dialog.StateDone {
		return "✅"
	}
	cur := indexOf(rt, s.Step)
	switch {
	case i < cur:
		return "✅"
	case i == cur && (s.State == dialog.StateStep || s.Return == dialog.StateStep):
		return "▶"
	}
	return "⬜"
}

// sourceLine cites the country's document and one or several sections.
func (r *renderer) sourceLine(c *knowledge.Country, sections []string, lang string) string {
	if len(sections) > 1 {
		return fill(r.ui("source_line_many", lang), "{document}", c.Source.Title, "{sections}", strings.Join(sections, ", "))
	}
	return fill(r.ui("source_line", lang), "{document}", c.Source.Title, "{section}", strings.Join(sections, ""))
}
