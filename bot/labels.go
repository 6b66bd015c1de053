package bot

import (
	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// This file is the one place that says how a button reads: each payload
// kind of the dialog maps to its text in the content here, for rendering
// buttons, for the transcript and for typed labels alike.

// fixedLabels maps the kinds without an argument to their ui text key.
var fixedLabels = map[dialog.Kind]string{
	dialog.KindHelp:         "btn_help",
	dialog.KindLang:         "btn_language",
	dialog.KindRestart:      "btn_restart",
	dialog.KindContacts:     "btn_contacts",
	dialog.KindStaff:        "btn_staff",
	dialog.KindForget:       "btn_forget",
	dialog.KindBack:         "btn_back",
	dialog.KindAll:          "btn_all_steps",
	dialog.KindChange:       "btn_change",
	dialog.KindContinue:     "btn_continue",
	dialog.KindYes:          "btn_yes",
	dialog.KindNo:           "btn_no",
	dialog.KindCompare:      "btn_compare",
	dialog.KindCompareNotes: "btn_compare_notes",
	dialog.KindNext:         "btn_next",
	dialog.KindFinish:       "btn_finish",

	dialog.KindInvite:    "btn_invite",
	dialog.KindCase:      "btn_case",
	dialog.KindLeaveCase: "btn_leave_case",
	dialog.KindJoinYes:   "btn_join_yes",
	dialog.KindJoinNo:    "btn_join_no",
	dialog.KindMarkDone:  "btn_mark_done",
	dialog.KindMarkStart: "btn_mark_progress",
}

// changeLabels maps each question to the ui text of the change-menu button
// that re-asks it.
var changeLabels = map[dialog.State]string{
	dialog.StateLang:     "chg_language",
	dialog.StateRole:     "chg_role",
	dialog.StateCountry:  "chg_country",
	dialog.StateLocation: "chg_location",
	dialog.StateRoute:    "chg_route",
}

// answerLabels maps each question's answer kind to the text of an answer;
// c is the user's country (a route's button is its country's).
var answerLabels = map[dialog.Kind]func(kb *knowledge.Base, c *knowledge.Country, arg string) (knowledge.Text, bool){
	dialog.KindSetLang: func(kb *knowledge.Base, _ *knowledge.Country, arg string) (knowledge.Text, bool) {
		t, ok := kb.UI["lang_"+arg]
		return t, ok
	},
	dialog.KindSetRole: func(kb *knowledge.Base, _ *knowledge.Country, arg string) (knowledge.Text, bool) {
		t, ok := kb.UI["role_"+arg]
		return t, ok
	},
	dialog.KindSetLocation: func(kb *knowledge.Base, _ *knowledge.Country, arg string) (knowledge.Text, bool) {
		t, ok := kb.UI["loc_"+arg]
		return t, ok
	},
	dialog.KindSetCountry: func(kb *knowledge.Base, _ *knowledge.Country, arg string) (knowledge.Text, bool) {
		if k := kb.Country(arg); k != nil {
			return k.Name, true
		}
		return knowledge.Text{}, false
	},
	dialog.KindShowStep: func(_ *knowledge.Base, c *knowledge.Country, arg string) (knowledge.Text, bool) {
		if st := c.Steps[arg]; st != nil {
			return st.Title, true
		}
		return knowledge.Text{}, false
	},
	dialog.KindSetRoute: func(_ *knowledge.Base, c *knowledge.Country, arg string) (knowledge.Text, bool) {
		if rt := c.Route(arg); rt != nil {
			return rt.Button, true
		}
		return knowledge.Text{}, false
	},
}

// labelText returns the text of p's button in every language, or false
// for a payload the content has no label for.
func labelText(kb *knowledge.Base, c *knowledge.Country, p dialog.Payload) (knowledge.Text, bool) {
	if f, ok := answerLabels[p.Kind]; ok {
		return f(kb, c, p.Arg)
	}
	key, ok := fixedLabels[p.Kind]
	if p.Kind == dialog.KindChange && p.Arg != "" {
		key, ok = "", false
		for _, q := range dialog.Questions() {
			if q.Change == p.Arg {
				key, ok = changeLabels[q.State]
			}
		}
	}
	if !ok {
		return knowledge.Text{}, false
	}
	t, ok := kb.UI[key]
	return t, ok
}

// label is one button text for typed-label matching.
type label struct {
	payload dialog.Payload
	text    knowledge.Text
}

// allLabels lists every button the dialog can show, with its text: typing
// a label in any language counts as pressing it.
func allLabels(kb *knowledge.Base) []label {
	var out []label
	add := func(c *knowledge.Country, p dialog.Payload) {
		if t, ok := labelText(kb, c, p); ok {
			out = append(out, label{p, t})
		}
	}
	c := kb.Countries[0]
	for _, k := range dialog.Kinds() {
		add(c, dialog.Payload{Kind: k})
	}
	for _, q := range dialog.Questions() {
		add(c, dialog.Payload{Kind: dialog.KindChange, Arg: q.Change})
	}
	for _, l := range knowledge.Languages {
		add(c, dialog.Payload{Kind: dialog.KindSetLang, Arg: l})
	}
	for _, r := range kb.Roles {
		add(c, dialog.Payload{Kind: dialog.KindSetRole, Arg: r})
	}
	for _, l := range kb.Locations {
		add(c, dialog.Payload{Kind: dialog.KindSetLocation, Arg: l})
	}
	for _, c := range kb.Countries {
		add(c, dialog.Payload{Kind: dialog.KindSetCountry, Arg: c.ID})
		for _, r := range c.Routes {
			add(c, dialog.Payload{Kind: dialog.KindSetRoute, Arg: r.ID})
		}
	}
	// Typed "next step" or "finish" means the current step's button.
	next := dialog.Payload{Kind: dialog.KindTypedNext}
	out = append(out, label{next, kb.UI["btn_next"]}, label{next, kb.UI["btn_finish"]})
	return out
}
