package console

import (
	"context"
	"net/http"
	"strconv"

	"example.com/sswbot/bot"
)

// Cases lists the shared cases (bot.CaseStore implements it).
type Cases interface {
	Cases(ctx context.Context) ([]bot.Case, error)
}

type caseView struct {
	ID       string
	Route    string
	Created  when
	Expires  when
	Ended    bool
	Done     int
	Total    int
	Steps    []caseStepView
	Parties  []casePartyView
	Events   []caseEventView
	Detached int // sides that left: nothing of them is kept
}

type caseStepView struct{ ID, State string }

type casePartyView struct {
	Side, Platform string
	Conv           convRef
	Active, Left   bool
}

type caseEventView struct {
	Time       when
	Side, What string
}

// casesPage lists the shared cases: both sides masked (unless ids are
// shown), the progress, and what happened. A side that left (or asked to
// be forgotten) is only counted: the case keeps nothing of it.
func (c *Console) casesPage(w http.ResponseWriter, r *http.Request, s *session) {
	show := r.URL.Query().Get("ids") == "1"
	data := map[string]any{"On": c.deps.Cases != nil, "ShowIDs": show}
	if c.deps.Cases == nil {
		c.render(w, r, http.StatusOK, "cases", s, data)
		return
	}
	cs, err := c.deps.Cases.Cases(r.Context())
	if err != nil {
		c.fail(w, r, s, http.StatusInternalServerError, "Shared cases are unavailable right now.", err)
		return
	}
	var rows []caseView
	for _, k := range cs {
		v := caseView{ID: k.ID, Route: k.Route, Created: c.when(s, k.Created), Expires: c.when(s, k.Expires), Ended: k.Ended}
		for _, id := range c.cfg.Routes[k.Route] {
			st := string(k.Steps[id])
			if st == "" {
				st = "not started"
			}
			if k.Steps[id] == bot.StepDone {
				v.Done++
			}
			v.Steps = append(v.Steps, caseStepView{ID: id, State: st})
		}
		v.Total = len(v.Steps)
		for _, p := range k.Parties {
			if p.Conv == "" {
				v.Detached++
				continue
			}
			v.Parties = append(v.Parties, casePartyView{Side: p.Side, Platform: string(p.Conv.Platform()),
				Conv: ref(p.Conv, p.Name, show), Active: p.Active, Left: p.Left})
		}
		for _, e := range k.Events {
			v.Events = append(v.Events, caseEventView{Time: c.when(s, e.Time), Side: e.Side, What: e.What})
		}
		rows = append(rows, v)
	}
	data["Rows"], data["Count"] = rows, strconv.Itoa(len(rows))
	c.render(w, r, http.StatusOK, "cases", s, data)
}
