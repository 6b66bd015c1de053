package dialog

import (
	"fmt"
	"strings"
)

// Graph returns the conversation as a Mermaid flowchart: the questions,
// every route and its steps. labels may name routes ("route:<id>") and
// steps ("step:<id>"); missing labels show the id.
func Graph(f *Flow, labels map[string]string) string {
	label := func(key, id string) string {
		if l := labels[key]; l != "" {
			return id + " " + l
		}
		return id
	}
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	b.WriteString("  start([start]) --> lang{Language}\n")
	b.WriteString("  lang --> role{Who are you?}\n")
	roleTo := "location"
	if len(f.Countries) > 1 {
		fmt.Fprintf(&b, "  role -->|%s| country{Sending country}\n", strings.Join(f.Roles, " / "))
		roleTo = ""
	}
	for _, c := range f.Countries {
		// With one country the graph reads as before; with several, each
		// country gets its own location question and nodes.
		p := ""
		if roleTo == "" {
			p = c + "_"
			fmt.Fprintf(&b, "  country -->|%s| %slocation{Where is the worker now?}\n", c, p)
		} else {
			fmt.Fprintf(&b, "  role -->|%s| location{Where is the worker now?}\n", strings.Join(f.Roles, " / "))
		}
		for _, loc := range f.Locations {
			rs := f.RoutesAt(c, loc)
			from := p + "location"
			if len(rs) > 1 {
				fmt.Fprintf(&b, "  %slocation -->|%s| %sroute_%s{Recruitment route}\n", p, loc, p, loc)
				fmt.Fprintf(&b, "  %sroute_%s -->|compare| %sroute_%s\n", p, loc, p, loc)
				from = p + "route_" + loc
			}
			for _, r := range rs {
				edge := r.ID
				if len(rs) == 1 {
					edge = loc
				}
				prev := from
				for i, s := range r.Steps {
					node := p + nodeID(r.ID, s.ID)
					fmt.Fprintf(&b, "  %s -->|%s| %s[%q]\n", prev, edgeLabel(i, edge), node, label("step:"+s.ID, s.ID))
					prev = node
				}
				fmt.Fprintf(&b, "  %s -->|finish| %sdone_%s([%q])\n", prev, p, r.ID, "done: "+label("route:"+r.ID, r.ID))
			}
		}
	}
	b.WriteString("  %% In every state: help, language, contacts, back, change an answer,\n")
	b.WriteString("  %% start over, talk to a person, forget my data.\n")
	return b.String()
}

func nodeID(route, step string) string {
	return route + "_" + strings.NewReplacer(".", "_").Replace(step)
}

func edgeLabel(i int, route string) string {
	if i == 0 {
		return route
	}
	return "next"
}
