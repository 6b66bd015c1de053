package bot

import (
	"fmt"
	"slices"
	"sort"

	"example.com/sswbot/dialog"
	"example.com/sswbot/knowledge"
)

// commandWords are the slash commands without their slash.
var commandWords = map[string]dialog.Payload{
	"start": {Kind: dialog.KindRestart}, "restart": {Kind: dialog.KindRestart}, "help": {Kind: dialog.KindHelp},
	"lang": {Kind: dialog.KindLang}, "contacts": {Kind: dialog.KindContacts}, "staff": {Kind: dialog.KindStaff},
	"forget": {Kind: dialog.KindForget}, "back": {Kind: dialog.KindBack},
}

// uiKeys lists every interface text the bot renders; New checks them all.
var uiKeys = []string{
	"ask_language", "welcome", "ask_role", "ask_country", "ask_location", "ask_route", "compare_intro",
	"step_header", "step_counter", "step_single", "btn_details", "btn_more", "more_choices",
	"label_who", "label_where", "label_contact", "label_note", "label_phone", "label_email",
	"label_address", "label_link", "source_line", "source_line_many", "source_document",
	"actor_receiving_org", "actor_worker", "actor_agency", "actor_center",
	"btn_next", "btn_finish", "btn_all_steps", "btn_contacts", "btn_change", "btn_restart",
	"btn_back", "btn_help", "btn_language", "btn_staff", "btn_forget", "btn_continue",
	"btn_yes", "btn_no", "btn_compare",
	"checklist_title", "checklist_legend", "contacts_title", "contacts_intro", "done", "summary",
	"change_which", "chg_language", "chg_role", "chg_country", "chg_location", "chg_route",
	"help", "not_understood", "offer_staff", "staff_requested", "staff_joined", "staff_left",
	"forget_confirm", "forgotten", "expired", "unsupported", "group_only", "stale_button",
	"keyword_no_route", "restarted",
	"reask", "understood", "clarify", "other_route", "other_route_instead", "ack_thanks", "ack_ok", "ack_hello",
	"lang_ja", "lang_en", "lang_ru", "lang_ky",
	"menu_bar",
	"cmd_start", "cmd_help", "cmd_lang", "cmd_restart", "cmd_contacts", "cmd_staff", "cmd_forget",
}

// buildFlow turns the knowledge base into the dialog's structure: every
// sending country's routes (the dialog asks for the country only when the
// content has several), the roles and locations, and every button label
// as typed text.
func buildFlow(kb *knowledge.Base) (*dialog.Flow, error) {
	if err := kb.HasUI(uiKeys...); err != nil {
		return nil, err
	}
	if err := kb.HasUI(caseUIKeys...); err != nil {
		return nil, err
	}
	f := &dialog.Flow{
		Languages: knowledge.Languages,
		Roles:     kb.Roles,
		Locations: kb.Locations,
		Aliases:   map[string]dialog.Payload{},
	}
	for _, c := range kb.Countries {
		f.Countries = append(f.Countries, c.ID)
		for _, r := range c.Routes {
			dr := dialog.Route{Country: c.ID, ID: r.ID, Location: r.Location}
			for _, s := range r.Steps {
				dr.Steps = append(dr.Steps, dialog.Procedure{ID: s.ID, Topics: s.Topics, InsteadOf: s.InsteadOf, Sides: sidesOf(s.Actors)})
			}
			f.Routes = append(f.Routes, dr)
		}
		for _, l := range f.Locations {
			if len(f.RoutesAt(c.ID, l)) == 0 {
				return nil, fmt.Errorf("bot: country %s has no route for location %q", c.ID, l)
			}
		}
	}
	for _, r := range kb.Roles {
		if r == workerRole {
			f.WorkerRoles = append(f.WorkerRoles, r)
		} else {
			f.OrgRoles = append(f.OrgRoles, r)
		}
	}
	// Aliases: every button label in every language. Sorted payloads keep
	// the result deterministic when two buttons share a label.
	labels := allLabels(kb)
	sort.SliceStable(labels, func(i, j int) bool { return labels[i].payload.String() < labels[j].payload.String() })
	// The help text's commands work typed on every platform ("/lang" folds
	// to "lang"); Telegram's adapter maps its own commands before.
	for word, p := range commandWords {
		f.Aliases[word] = p
	}
	for _, lb := range labels {
		for _, l := range knowledge.Languages {
			k := dialog.NormalizeText(lb.text.In(l))
			if _, taken := f.Aliases[k]; !taken && k != "" {
				f.Aliases[k] = lb.payload
			}
		}
	}
	for _, kw := range kb.Keywords {
		dk := dialog.Keyword{Target: kw.Target}
		for _, l := range knowledge.Languages {
			for _, w := range kw.Words[l] {
				if n := dialog.NormalizeText(w); n != "" {
					dk.Words = append(dk.Words, n)
				}
			}
		}
		f.Keywords = append(f.Keywords, dk)
	}
	return f, nil
}

// In a shared case the worker is the content's role "worker"; every other
// role (the employer, a supporter) speaks for the organisation.
const workerRole = "worker"

// actorSides says which side of a shared case marks a step its actor does:
// the receiving organisation's steps the organisation, the worker's the
// worker; a step both do either. The Center and the agencies use no chat.
var actorSides = map[string]string{"receiving_org": dialog.SideOrg, "worker": dialog.SideWorker}

func sidesOf(actors []string) []string {
	var out []string
	for _, a := range actors {
		if sd, ok := actorSides[a]; ok && !slices.Contains(out, sd) {
			out = append(out, sd)
		}
	}
	return out
}
