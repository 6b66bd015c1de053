package bot

import (
	"strconv"
	"strings"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// caseUIKeys are the interface texts of shared cases; New checks them.
var caseUIKeys = []string{
	"case_invite", "case_invite_link", "case_invite_not", "case_join_consent", "case_join_bad", "case_join_wait",
	"case_joined", "case_join_declined", "case_status", "case_status_alone", "case_marked", "case_left",
	"case_none", "case_partner_joined", "case_partner_left", "case_report_org", "case_report_worker",
	"case_next", "case_all_done", "case_state_not_started", "case_state_progress", "case_state_done",
	"btn_invite", "btn_case", "btn_leave_case", "btn_join_yes", "btn_join_no", "btn_mark_done", "btn_mark_progress",
}

// sayCase renders the Says of shared cases; false for any other.
func (r *renderer) sayCase(s dialog.Session, o dialog.Reply, tc *caseCtx) (string, []Link, bool) {
	lang, c := s.Lang, r.country(s)
	ui := func(key string) string { return r.ui(key, orEn(lang)) }
	if tc == nil {
		tc = &caseCtx{}
	}
	routeTitle := func(country, id string) string {
		k := r.kb.Country(country)
		if k == nil {
			k = c
		}
		if rt := k.Route(id); rt != nil {
			return rt.Title.In(orEn(lang))
		}
		return id
	}
	switch o.Say {
	case dialog.SayInvite:
		t := fill(ui("case_invite"), "{code}", tc.code, "{days}", strconv.Itoa(r.inviteDays))
		if tc.link != "" {
			t += "\n\n" + fill(ui("case_invite_link"), "{link}", tc.link)
		}
		return t, nil, true
	case dialog.SayJoinConsent:
		org, route := "", ""
		if tc.invite != nil {
			org, route = tc.invite.Org, routeTitle(tc.invite.Country, tc.invite.Route)
		}
		return fill(ui("case_join_consent"), "{org}", org, "{route}", route), nil, true
	case dialog.SayJoined:
		org := ""
		if tc.invite != nil {
			org = tc.invite.Org
		}
		return fill(ui("case_joined"), "{org}", org), nil, true
	case dialog.SayJoinWait:
		m := 1
		if tc.invite != nil && tc.invite.Wait > 0 {
			m = tc.invite.Wait
		}
		return fill(ui("case_join_wait"), "{minutes}", strconv.Itoa(m)), nil, true
	case dialog.SayJoinBad, dialog.SayJoinNo, dialog.SayCaseLeft, dialog.SayNoCase, dialog.SayInviteNot:
		key := map[dialog.Say]string{dialog.SayJoinBad: "case_join_bad", dialog.SayJoinNo: "case_join_declined",
			dialog.SayCaseLeft: "case_left", dialog.SayNoCase: "case_none", dialog.SayInviteNot: "case_invite_not"}[o.Say]
		return ui(key), nil, true
	case dialog.SayMarked:
		state := dialog.StepDone
		if tc.view != nil {
			state = tc.view.Steps[o.Step]
		}
		return fill(ui("case_marked"), "{step}", r.stepLabel(c, o.Step, orEn(lang)), "{state}", r.stateWord(state, orEn(lang))), nil, true
	case dialog.SayCaseStatus:
		if tc.view == nil {
			return ui("case_none"), nil, true
		}
		return r.caseStatus(tc.view, orEn(lang)), nil, true
	}
	return "", nil, false
}

// stepLabel names a step with its section: "Visa application (A.5)".
func (r *renderer) stepLabel(c *knowledge.Country, id, lang string) string {
	st := c.Steps[id]
	if st == nil {
		return id
	}
	return st.Title.In(lang) + paren(lang, st.Source)
}

func (r *renderer) stateWord(st dialog.StepState, lang string) string {
	switch st {
	case dialog.StepDone:
		return r.ui("case_state_done", lang)
	case dialog.StepInProgress:
		return r.ui("case_state_progress", lang)
	}
	return r.ui("case_state_not_started", lang)
}

var stateMarks = map[dialog.StepState]string{dialog.StepDone: "✅", dialog.StepInProgress: "🔄", dialog.StepNotStarted: "⬜"}

// caseStatus lists the case's steps with their shared states.
func (r *renderer) caseStatus(v *dialog.CaseView, lang string) string {
	c := r.kb.Country(v.Country)
	if c == nil {
		return r.ui("case_none", lang)
	}
	rt := c.Route(v.Route)
	if rt == nil {
		return r.ui("case_none", lang)
	}
	var b strings.Builder
	if v.Partner != "" {
		b.WriteString(fill(r.ui("case_status", lang), "{partner}", v.Partner, "{route}", rt.Title.In(lang)))
	} else {
		b.WriteString(fill(r.ui("case_status_alone", lang), "{route}", rt.Title.In(lang)))
	}
	for i, st := range rt.Steps {
		state := v.Steps[st.ID]
		b.WriteString("\n" + stateMarks[state] + " " + strconv.Itoa(i+1) + ". " + st.Title.In(lang) + paren(lang, st.Source) +
			" — " + r.stateWord(state, lang))
	}
	return b.String()
}

// caseSession is how a notification's recipient reads: their language and
// role, the case's route.
func caseSession(c *Case, to Party) dialog.Session {
	return dialog.Session{Lang: orEn(to.Lang), Role: to.Role, Country: c.Country, Route: c.Route}
}

// partyName is a side's display name, or what it is when it has none.
func (r *renderer) partyName(p Party, lang string) string {
	if p.Name != "" {
		return p.Name
	}
	if p.Side == dialog.SideWorker {
		return r.ui("actor_worker", lang)
	}
	return r.ui("actor_receiving_org", lang)
}

// caseNotice is a one-line notification about the other side ({name}).
func (r *renderer) caseNotice(c *Case, to Party, key string, actor Party) []Reply {
	s := caseSession(c, to)
	return []Reply{{Text: fill(r.ui(key, s.Lang), "{name}", r.partyName(actor, s.Lang)),
		Choices: r.caseButtons(s)}}
}

func (r *renderer) caseButtons(s dialog.Session) []Choice {
	p := dialog.Payload{Kind: dialog.KindCase}
	return []Choice{r.button(p, r.country(s), s.Lang).choice}
}

// caseReport tells the other side that actor marked step: what, and for a
// step done, the next step for the recipient with where it is done, and
// the sections it comes from.
func (r *renderer) caseReport(c *Case, to, actor Party, step string, state dialog.StepState) []Reply {
	s := caseSession(c, to)
	lang, k := s.Lang, r.country(s)
	var b strings.Builder
	key := "case_report_" + actor.Side
	b.WriteString(fill(r.roleUI(key, actor.Role, lang), "{name}", r.partyName(actor, lang),
		"{step}", r.stepLabel(k, step, lang), "{state}", r.stateWord(state, lang)))
	sections := []string{step}
	if st := k.Steps[step]; st != nil {
		sections[0] = st.Source
	}
	if state == dialog.StepDone {
		if next := r.nextFor(c, to.Side, step); next != "" {
			b.WriteString("\n" + fill(r.ui("case_next", lang), "{step}", r.stepLabel(k, next, lang)))
			if st := k.Steps[next]; st != nil {
				if !st.Where.IsZero() {
					b.WriteString("\n" + labeled(r.ui("label_where", lang), st.Where.In(lang)))
				}
				sections = append(sections, st.Source)
			}
		} else if r.allDone(c) {
			b.WriteString("\n" + r.ui("case_all_done", lang))
		}
	}
	b.WriteString("\n" + r.sourceLine(k, sections, lang))
	return []Reply{{Text: b.String(), Choices: r.caseButtons(s)}}
}

// nextFor is the recipient's next step after step: the first one not done
// that their side may mark, else the first one not done; "" when none.
func (r *renderer) nextFor(c *Case, side, step string) string {
	rt := r.flow.Route(c.Country, c.Route)
	if rt == nil {
		return ""
	}
	i := rt.Index(step)
	first := ""
	for _, p := range rt.Steps[i+1:] {
		if c.Steps[p.ID] == dialog.StepDone {
			continue
		}
		for _, sd := range p.Sides {
			if sd == side {
				return p.ID
			}
		}
		if first == "" {
			first = p.ID
		}
	}
	return first
}

func (r *renderer) allDone(c *Case) bool {
	rt := r.flow.Route(c.Country, c.Route)
	if rt == nil {
		return false
	}
	for _, p := range rt.Steps {
		if c.Steps[p.ID] != dialog.StepDone {
			return false
		}
	}
	return true
}
