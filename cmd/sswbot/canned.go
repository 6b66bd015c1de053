package main

import (
	"strings"

	"example.com/sswbot/console"
	"example.com/sswbot/knowledge"
)

// cannedReplies builds the console's ready replies per language from the
// content: each route's summary, each step (title, neutral wording, where,
// the source section) and each contact, so staff quote the document, not
// their memory.
func cannedReplies(kb *knowledge.Base) map[string][]console.Canned {
	out := map[string][]console.Canned{}
	for _, lang := range knowledge.Languages {
		var cs []console.Canned
		seen := map[string]bool{}
		for _, c := range kb.Countries {
			for _, r := range c.Routes {
				cs = append(cs, console.Canned{Title: r.Title.In(lang), Text: r.Summary.In(lang)})
				for _, st := range r.Steps {
					if seen[c.ID+st.ID] {
						continue
					}
					seen[c.ID+st.ID] = true
					text := []string{st.ID + " " + st.Title.In(lang), st.Body.In(lang)}
					if !st.Where.IsZero() {
						text = append(text, st.Where.In(lang))
					}
					cs = append(cs, console.Canned{Title: st.ID + " " + st.Title.In(lang), Text: strings.Join(text, "\n")})
				}
			}
			for _, ct := range c.Contacts {
				text := []string{ct.Name.In(lang)}
				if ct.Address.Original != "" {
					text = append(text, ct.Address.Original)
				}
				text = append(text, ct.Phones...)
				for _, e := range ct.Emails {
					text = append(text, e.Address)
				}
				for _, l := range ct.Links {
					text = append(text, l.URL)
				}
				cs = append(cs, console.Canned{Title: ct.Name.In(lang), Text: strings.Join(text, "\n")})
			}
		}
		out[lang] = cs
	}
	return out
}
