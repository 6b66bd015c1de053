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
	flow *dialog.Flow
	days int // session TTL in days, for {days}
	// inviteDays is how long an invite code is valid, for {days} there.
	inviteDays int
	// The memos of the content's renderings (memo.go); nil: made anew.
	splits  *memo[string, []string]
	says    *memo[sayKey, saidReply]
	choices *memo[choiceKey, button]
}

// country is the session's sending country (the first one until chosen).
func (r *renderer) country(s dialog.Session) *knowledge.Country {
	if c := r.kb.Country(s.Country); c != nil {
		return c
	}
	return r.kb.Countries[0]
}

// fill replaces the placeholders kv names ("{days}", "3", …) in s, as
// strings.NewReplacer(kv...).Replace(s) does: one pass, left to right, the
// first key in kv order that matches at a position wins, replaced text is
// not read again. Building a Replacer (its string finders and tries) cost
// more than a whole turn's dialog, and every step, checklist and summary
// fills a few; placeholders all start with '{', so this looks only there.
func fill(s string, kv ...string) string {
	for i := 0; i < len(kv); i += 2 {
		if len(kv)%2 != 0 || kv[i] == "" || kv[i][0] != '{' {
			return strings.NewReplacer(kv...).Replace(s)
		}
	}
	var b strings.Builder
	done := 0 // s[:done] is written (or nothing is, while b is empty)
	for i := strings.IndexByte(s, '{'); i >= 0; {
		k := 0
		for ; k+1 < len(kv); k += 2 {
			if strings.HasPrefix(s[i:], kv[k]) {
				break
			}
		}
		if k+1 >= len(kv) { // no key here
			next := strings.IndexByte(s[i+1:], '{')
			if next < 0 {
				break
			}
			i += 1 + next
			continue
		}
		if b.Len() == 0 && done == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[done:i])
		b.WriteString(kv[k+1])
		done = i + len(kv[k])
		next := strings.IndexByte(s[done:], '{')
		if next < 0 {
			break
		}
		i = done + next
	}
	if done == 0 && b.Len() == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
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

// choiceKey names a button: its payload in a country and a language.
type choiceKey struct {
	p             dialog.Payload
	country, lang string
}

// button is a payload's button and how the transcript shows a press of it.
type button struct {
	choice Choice
	shown  string // "[label]"
}

const maxChoiceMemo = 4096

// button returns p's button in lang, remembered: its label and wire form
// are the content's and the dialog's, the same every turn.
func (r *renderer) button(p dialog.Payload, c *knowledge.Country, lang string) button {
	k := choiceKey{p: p, country: c.ID, lang: lang}
	if r.choices != nil {
		if b, ok := r.choices.get(k); ok {
			return b
		}
	}
	label := r.label(p, c, lang)
	b := button{choice: Choice{Label: label, Payload: p.String()}, shown: "[" + label + "]"}
	// A join button's argument is a user's invite code: not the content's.
	if r.choices != nil && p.Kind != dialog.KindJoin && p.Kind != dialog.KindJoinYes {
		r.choices.put(k, b)
	}
	return b
}

// render turns one dialog turn into platform-neutral messages: the parts
// packed into bubbles of at most MaxBubble characters, with the last reply's
// choices as buttons on the last message. A part with a card (a step, the
// checklist, the contacts, the comparison, the summary) gets bubbles of its
// own, the first of which carries the card.
func (r *renderer) render(s dialog.Session, out []dialog.Reply, tc *caseCtx) []Reply {
	lang, c := s.Lang, r.country(s)
	parts := make([]part, 0, len(out))
	var links []Link
	image := ""
	for _, o := range out {
		text, ls, ok := r.sayCase(s, o, tc)
		var card *Card
		if !ok {
			text, ls, card = r.sayMemo(s, o)
		}
		if o.Say == dialog.SayInvite && tc != nil {
			image = tc.image
		}
		if card != nil {
			card.Lang = lang
		}
		parts = append(parts, part{text, card})
		links = append(links, ls...)
	}
	var choices []Choice
	if n := len(out); n > 0 && len(out[n-1].Choices) > 0 {
		choices = make([]Choice, 0, len(out[n-1].Choices))
		for _, p := range out[n-1].Choices {
			choices = append(choices, r.button(p, c, lang).choice)
		}
	}
	replies := pack(parts, r.split)
	last := &replies[len(replies)-1]
	last.Choices = choices
	last.Links = links
	if len(choices) > 2 {
		last.More = r.ui("btn_more", lang)
	}
	last.Image = image
	return replies
}

// part is one dialog reply rendered: its plain text and, for the kinds an
// adapter may lay out, its card.
type part struct {
	text string
	card *Card
}

// pack joins parts with blank lines into bubbles of at most MaxBubble
// characters, splitting an oversized part at paragraph, line or word
// breaks with the project's one splitter. A part with a card is never
// joined with another one, so the card's Span bubbles hold its text alone.
// Nothing is dropped or merged past the budget: adapters send more than
// one request when a turn needs it.
func pack(parts []part, split func(string) []string) []Reply {
	var msgs []Reply
	cur, joinable := "", false
	flush := func() {
		if cur != "" {
			msgs = append(msgs, Reply{Text: cur})
		}
		cur = ""
	}
	var one [1]string
	for _, p := range parts {
		if p.card != nil || !joinable {
			flush()
		}
		first := len(msgs)
		pieces := one[:]
		if whole, ok := textsplit.Fits(p.text, MaxBubble, textsplit.Runes); ok {
			one[0] = whole // most parts: no slice, no memo
		} else {
			pieces = split(p.text)
		}
		for _, piece := range pieces {
			switch {
			case cur == "":
				cur = piece
			case textsplit.Runes(cur)+2+textsplit.Runes(piece) <= MaxBubble:
				cur += "\n\n" + piece
			default:
				flush()
				cur = piece
			}
		}
		joinable = p.card == nil
		if p.card != nil {
			flush()
			if first < len(msgs) {
				p.card.Span = len(msgs) - first
				if p.card.Span == 1 {
					p.card.Span = 0
				}
				msgs[first].Card = p.card
			}
		}
	}
	if cur != "" || len(msgs) == 0 {
		msgs = append(msgs, Reply{Text: cur})
	}
	return msgs
}

// split is textsplit.Split with the bubble budget, remembered for texts
// longer than a bubble. Those are the content's procedures and lists, the
// same few hundred texts over and over; splitting one walks it character by
// character (a token each), which was the largest single cost of a turn.
// Texts that fit are not kept (the splitter answers them without
// tokenizing); texts made for one user (names, codes) cannot grow the memo
// past its bound. Callers must not change the slice it returns (it may be
// shared).
func (r *renderer) split(text string) []string {
	if r.splits == nil || len(text) <= MaxBubble { // bytes ≥ characters: it fits
		return textsplit.Split(text, MaxBubble, textsplit.Runes)
	}
	if pieces, ok := r.splits.get(text); ok {
		return pieces
	}
	pieces := textsplit.Split(text, MaxBubble, textsplit.Runes)
	r.splits.put(text, pieces)
	return pieces
}

const maxSplitMemo = 4096

// sayKey is everything say reads: the reply and the session's fields its
// texts depend on. SayUnderstood, which also reads the reply's Said, is
// not remembered.
type sayKey struct {
	say                                      dialog.Say
	step, instead                            string
	lang, country, role, location, route, at string
	state, ret                               dialog.State
}

type saidReply struct {
	text  string
	links []Link
	card  *Card
}

const maxSayMemo = 8192

// sayMemo is say, remembered: what say makes of a reply depends only on
// the content and the session fields in sayKey, so the same step,
// checklist or contacts list is laid out once, not at every turn (a step's
// fields, the checklist's marks and lines, the placeholders). The texts
// and the card's lists are shared between turns and must not be changed;
// each turn gets its own copy of the Card itself (render and pack set its
// Lang and Span).
func (r *renderer) sayMemo(s dialog.Session, o dialog.Reply) (string, []Link, *Card) {
	if r.says == nil || o.Say == dialog.SayUnderstood {
		return r.say(s, o)
	}
	k := sayKey{say: o.Say, step: o.Step, instead: o.Instead, lang: s.Lang, country: s.Country, role: s.Role,
		location: s.Location, route: s.Route, at: s.Step, state: s.State, ret: s.Return}
	e, ok := r.says.get(k)
	if !ok {
		e.text, e.links, e.card = r.say(s, o)
		if e.card != nil {
			e.card.Lang = s.Lang
		}
		r.says.put(k, e)
	}
	if e.card == nil {
		return e.text, e.links, nil
	}
	card := *e.card
	return e.text, e.links, &card
}

func (r *renderer) say(s dialog.Session, o dialog.Reply) (string, []Link, *Card) {
	lang, c := s.Lang, r.country(s)
	ui := func(key string) string { return r.ui(key, lang) }
	switch o.Say {
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
			src.Note.In(lang) + "\n" + labeled(page+colon(lang), src.URL), nil, nil
	case dialog.SayExpired:
		return fill(ui("expired"), "{days}", strconv.Itoa(r.days)), nil, nil
	case dialog.SayCompare:
		// The overview only: each route's summary comes when it is chosen,
		// so the comparison stays within a reply.
		return ui("compare_intro") + "\n\n" + c.Compare.In(lang), nil, r.compareCard(s)
	case dialog.SayCompareNotes:
		var notes []string
		for _, n := range c.CompareNotes {
			notes = append(notes, n.In(lang))
		}
		if len(notes) == 0 {
			return ui("compare_intro") + "\n\n" + c.Compare.In(lang), nil, nil
		}
		return strings.Join(notes, "\n\n"), nil, nil
	case dialog.SayRouteChosen:
		if rt := c.Route(s.Route); rt != nil {
			return "■ " + rt.Title.In(lang) + "\n" + rt.Summary.In(lang), nil, nil
		}
		return "", nil, nil
	case dialog.SayStep, dialog.SayStepSingle:
		return r.step(s, o)
	case dialog.SayChecklist:
		card := r.checklistCard(s, true)
		return checklistText(card, lang), nil, card
	case dialog.SayContacts:
		return r.contacts(c, lang)
	case dialog.SayUnderstood:
		var said []string
		for _, p := range o.Said {
			said = append(said, r.label(p, c, lang))
		}
		return fill(ui("understood"), "{answers}", strings.Join(said, " · ")), nil, nil
	case dialog.SayOutOfScope:
		// the content's honest answer: the document does not say, who can
		// tell (only the document's contacts), the offer of a person
		if in := r.kb.Intent("oos", o.Step); in != nil && !in.Answer.IsZero() {
			return in.Answer.In(lang), nil, nil
		}
		return ui("offer_staff"), nil, nil
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
				"{instead}", in.Title.In(lang), "{section}", in.Source), nil, nil
		}
		return fill(ui("other_route"), "{step}", step, "{route}", route), nil, nil
	case dialog.SayDone:
		return r.done(s)
	}
	if lang == "" {
		// before a language is chosen (the language question, a sentence
		// in none of them, a sticker): every language, a line each
		all := make([]string, 0, len(knowledge.Languages))
		for _, l := range knowledge.Languages {
			all = append(all, r.roleUI(string(o.Say), s.Role, l))
		}
		return strings.Join(all, "\n"), nil, nil
	}
	return r.roleUI(string(o.Say), s.Role, lang), nil, nil
}

// done is the end of a route: the answers and the checklist.
func (r *renderer) done(s dialog.Session) (string, []Link, *Card) {
	lang, c := s.Lang, r.country(s)
	role := r.label(dialog.Payload{Kind: dialog.KindSetRole, Arg: s.Role}, c, lang)
	loc := r.label(dialog.Payload{Kind: dialog.KindSetLocation, Arg: s.Location}, c, lang)
	route := r.label(dialog.Payload{Kind: dialog.KindSetRoute, Arg: s.Route}, c, lang)
	if rt := c.Route(s.Route); rt != nil {
		route = rt.Title.In(lang)
	}
	summary := fill(r.ui("summary", lang), "{role}", role, "{location}", loc, "{route}", route)
	list := r.checklistCard(s, false)
	text := r.ui("done", lang) + "\n\n" + summary + "\n\n" + checklistText(list, lang)
	if list == nil {
		return text, nil, nil
	}
	return text, nil, &Card{Kind: CardSummary, Title: r.ui("done", lang), Body: summary,
		Subtitle: list.Title, Items: list.Items}
}

// compareCard is the comparison as a card: its introduction, one line per
// route of the user's location (the route's summary), each with a button
// that opens it, and a button that brings the comparison's general notes
// (they would not fit a phone's screen beside the routes). The full
// comparison stays in the reply's Text.
func (r *renderer) compareCard(s dialog.Session) *Card {
	lang, c := s.Lang, r.country(s)
	card := &Card{Kind: CardCompare, Title: r.ui("compare_intro", lang), Body: c.CompareIntro.In(lang)}
	if len(c.CompareNotes) > 0 {
		p := dialog.Payload{Kind: dialog.KindCompareNotes}
		card.Actions = []Choice{r.button(p, c, lang).choice}
	}
	for _, rt := range c.RoutesAt(s.Location) {
		p := dialog.Payload{Kind: dialog.KindSetRoute, Arg: rt.ID}
		card.Items = append(card.Items, CardItem{Text: rt.Title.In(lang), Note: rt.Summary.In(lang), Section: rt.Source,
			Action: &Choice{Label: fill(r.ui("btn_details", lang), "{section}", rt.Source), Payload: p.String()}})
	}
	return card
}

// step renders one procedure: header, side, the role's wording, who, where,
// notes, contacts, links and the source.
func (r *renderer) step(s dialog.Session, o dialog.Reply) (string, []Link, *Card) {
	lang, c := s.Lang, r.country(s)
	ui := func(key string) string { return r.ui(key, lang) }
	st := c.Steps[o.Step]
	if st == nil {
		return ui("not_understood"), nil, nil
	}
	card := &Card{Kind: CardStep, Title: st.Title.In(lang)}
	head := fill(ui("step_single"), "{title}", card.Title)
	if rt := c.Route(s.Route); o.Say == dialog.SayStep && rt != nil && indexOf(rt, st.ID) >= 0 {
		n, total := strconv.Itoa(indexOf(rt, st.ID)+1), strconv.Itoa(len(rt.Steps))
		head = fill(ui("step_header"), "{n}", n, "{total}", total, "{title}", card.Title)
		card.Header = fill(ui("step_counter"), "{n}", n, "{total}", total)
	}
	if st.Side != "" {
		card.Side, card.SideID = ui("side_"+st.Side), st.Side
	}
	card.Body = st.BodyFor(s.Role).In(lang)
	var who []string
	for _, a := range st.Actors {
		who = append(who, ui("actor_"+a))
	}
	sep := ", "
	if lang == "ja" {
		sep = "、"
	}
	card.Fields = append(card.Fields, Field{ui("label_who"), strings.Join(who, sep)})
	if !st.Where.IsZero() {
		card.Fields = append(card.Fields, Field{ui("label_where"), st.Where.In(lang)})
	}
	for _, n := range st.Notes {
		card.Notes = append(card.Notes, Field{ui("label_note"), n.In(lang)})
	}
	for _, ct := range st.Contacts {
		cc := r.contact(ct, lang)
		cc.Label = ui("label_contact")
		card.Contacts = append(card.Contacts, cc)
	}
	var links []Link
	for _, l := range st.Links {
		cl := CardLink{Title: l.Title.In(lang), URL: l.URL, Note: l.Note.In(lang)}
		// A step's own notes say what the links' notes say for the
		// contacts list (①/② list the same agencies): once is enough.
		if len(st.Notes) > 0 || l.Note.IsZero() {
			cl.Note = ""
		}
		card.Links = append(card.Links, cl)
		links = append(links, Link{Label: cl.Title, URL: l.URL})
	}
	card.Source = r.sourceLine(c, []string{st.Source}, lang)
	return stepText(head, card, lang), links, card
}

// stepText is a step's plain form: its first line (the header with the
// title), then the card's parts.
func stepText(head string, c *Card, lang string) string {
	var b strings.Builder
	b.WriteString(head)
	if c.Side != "" {
		b.WriteString("\n【" + c.Side + "】")
	}
	b.WriteString("\n\n" + c.Body + "\n")
	for _, f := range c.Fields {
		b.WriteString("\n" + labeled(f.Label, f.Value))
	}
	for _, n := range c.Notes {
		b.WriteString("\n\n※ " + labeled(n.Label, n.Value))
	}
	for _, ct := range c.Contacts {
		b.WriteString("\n\n" + ct.Label + "\n" + contactText(ct, lang))
	}
	for _, l := range c.Links {
		b.WriteString("\n\n" + linkText(l))
	}
	b.WriteString("\n\n" + c.Source)
	return b.String()
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

func (r *renderer) contact(c *knowledge.Contact, lang string) CardContact {
	ui := func(key string) string { return r.ui(key, lang) }
	cc := CardContact{Name: c.Name.In(lang)}
	addr := c.Address.Original
	if t := c.Address.Translation; !t.IsZero() && t.In(lang) != addr {
		addr += paren(lang, t.In(lang))
	}
	cc.Lines = append(cc.Lines, ContactLine{Kind: ContactAddress, Label: ui("label_address"), Value: addr})
	for _, p := range c.Phones {
		cc.Lines = append(cc.Lines, ContactLine{Kind: ContactPhone, Label: ui("label_phone"), Value: p})
	}
	for _, e := range c.Emails {
		cc.Lines = append(cc.Lines, ContactLine{Kind: ContactEmail, Label: ui("label_email"), Value: e.Address, Note: e.Purpose.In(lang)})
	}
	for _, l := range c.Links {
		cc.Lines = append(cc.Lines, ContactLine{Kind: ContactLink, Label: ui("label_link"), Value: l.URL})
	}
	return cc
}

// contactText is a contact's plain form.
func contactText(c CardContact, lang string) string {
	var b strings.Builder
	b.WriteString("■ " + c.Name)
	for _, l := range c.Lines {
		b.WriteString("\n" + labeled(l.Label, l.Value))
		if l.Note != "" {
			b.WriteString(paren(lang, l.Note))
		}
	}
	return b.String()
}

func linkText(l CardLink) string {
	s := "🔗 " + l.Title + "\n" + l.URL
	if l.Note != "" {
		s += "\n" + l.Note
	}
	return s
}

func (r *renderer) contacts(c *knowledge.Country, lang string) (string, []Link, *Card) {
	card := &Card{Kind: CardContacts, Title: r.ui("contacts_title", lang), Body: r.ui("contacts_intro", lang)}
	var b strings.Builder
	b.WriteString(card.Title + "\n" + card.Body)
	var sections []string
	for _, ct := range c.Contacts {
		cc := r.contact(ct, lang)
		card.Contacts = append(card.Contacts, cc)
		b.WriteString("\n\n" + contactText(cc, lang))
		sections = append(sections, ct.Source)
	}
	var links []Link
	for _, l := range c.Links {
		cl := CardLink{Title: l.Title.In(lang), URL: l.URL, Note: l.Note.In(lang)}
		if l.Note.IsZero() {
			cl.Note = ""
		}
		card.Links = append(card.Links, cl)
		b.WriteString("\n\n" + linkText(cl))
		links = append(links, Link{Label: cl.Title, URL: l.URL})
	}
	card.Source = r.sourceLine(c, sections, lang)
	b.WriteString("\n\n" + card.Source)
	return b.String(), links, card
}

// checklistCard lists the route's steps with their marks (stepMark); the
// summary after finishing shows it without the legend. nil without a route.
func (r *renderer) checklistCard(s dialog.Session, legend bool) *Card {
	lang := s.Lang
	rt := r.country(s).Route(s.Route)
	if rt == nil {
		return nil
	}
	card := &Card{Kind: CardChecklist, Title: fill(r.ui("checklist_title", lang), "{route}", rt.Title.In(lang))}
	if legend {
		card.Subtitle = r.ui("checklist_legend", lang)
	}
	for i, st := range rt.Steps {
		card.Items = append(card.Items, CardItem{Mark: stepMark(s, rt, i), Text: strconv.Itoa(i+1) + ". " + st.Title.In(lang),
			Section: st.Source})
	}
	return card
}

// checklistText is the checklist's plain form ("" without a route).
func checklistText(c *Card, lang string) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(c.Title)
	if c.Subtitle != "" {
		b.WriteString("\n" + c.Subtitle)
	}
	for _, it := range c.Items {
		b.WriteString("\n" + it.Mark + " " + it.Text + paren(lang, it.Section))
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
