package dialog

// Flow is the structure the dialog walks: routes and their steps, plus the
// words that map typed text to choices. The bot builds it from the
// knowledge base once at startup.
type Flow struct {
	Languages []string
	Countries []string // sending countries; asked only when there are several
	Roles     []string // from the content, in button order
	Locations []string // where the worker may be now, from the content
	Routes    []Route
	// Aliases maps a normalised button label (in any language) to its
	// payload, so typing a label counts as pressing the button.
	Aliases map[string]Payload
	// Keywords map normalised words to targets: "topic:<name>", "contacts",
	// "compare", "help" or "staff".
	Keywords []Keyword
	// OrgRoles are the roles that may invite a worker to a shared case
	// (SideOrg); WorkerRoles the role a joining worker takes (the first).
	OrgRoles    []string
	WorkerRoles []string
}

// Route is an ordered list of steps for a worker at Location.
type Route struct {
	Country  string
	ID       string
	Location string
	Steps    []Procedure
}

// Procedure is one step of a route.
type Procedure struct {
	ID     string
	Topics []string
	// InsteadOf lists topics of other routes whose part this step plays
	// on its own (a change of status of residence instead of a visa).
	InsteadOf []string
	// Sides may mark the step in a shared case (SideOrg, SideWorker),
	// from the content's actors.
	Sides []string
}

// Keyword is a list of normalised words that lead to Target.
type Keyword struct {
	Words  []string
	Target string
}

// Route returns the route with id in country, or nil.
func (f *Flow) Route(country, id string) *Route {
	for i := range f.Routes {
		if r := &f.Routes[i]; r.ID == id && r.Country == country {
			return r
		}
	}
	return nil
}

// RoutesAt returns the routes of country for a worker at location.
func (f *Flow) RoutesAt(country, location string) []*Route {
	var rs []*Route
	for i := range f.Routes {
		if r := &f.Routes[i]; r.Location == location && r.Country == country {
			rs = append(rs, r)
		}
	}
	return rs
}

// Index returns the position of step id in r, or -1.
func (r *Route) Index(id string) int {
	for i, s := range r.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// WithTopic returns the first step of r about topic, or "".
func (r *Route) WithTopic(topic string) string {
	for _, s := range r.Steps {
		for _, t := range s.Topics {
			if t == topic {
				return s.ID
			}
		}
	}
	return ""
}

// Instead returns the step of r that plays the part of another route's
// topic, or "".
func (r *Route) Instead(topic string) string {
	for _, s := range r.Steps {
		if has(s.InsteadOf, topic) {
			return s.ID
		}
	}
	return ""
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
