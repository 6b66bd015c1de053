package dialog

import "strconv"

// State is where a conversation stands.
type State string

const (
	StateLang     State = "lang"
	StateRole     State = "role"
	StateCountry  State = "country" // only with several sending countries
	StateLocation State = "location"
	StateRoute    State = "route"
	StateStep     State = "step"
	StateDone     State = "done"
	StateChange   State = "change" // choosing which answer to change
	StateForget   State = "forget" // confirming erasure
	StateOffer    State = "offer"  // offering a person after misunderstandings
)

// SessionVersion is the schema version written into new sessions.
const SessionVersion = 1

// Session is everything the dialog remembers about a user. It is small
// (it lives in Redis under a TTL) and versioned; Normalize repairs sessions
// written by older content.
type Session struct {
	V        int    `json:"v"`
	Lang     string `json:"l,omitempty"`
	State    State  `json:"s,omitempty"`
	Role     string `json:"r,omitempty"`  // employer, worker, other
	Country  string `json:"c,omitempty"`  // sending country
	Location string `json:"w,omitempty"`  // kg, jp
	Route    string `json:"rt,omitempty"` // route id
	Step     string `json:"st,omitempty"` // current step id
	Misses   int    `json:"m,omitempty"`  // consecutive misunderstandings
	Handoff  bool   `json:"h,omitempty"`  // asked for a person
	Return   State  `json:"ret,omitempty"`
	// Case is the shared case the user belongs to, Side their side of it
	// (SideOrg, SideWorker); see case.go.
	Case string `json:"cs,omitempty"`
	Side string `json:"sd,omitempty"`
	// JoinCode is the invite code whose consent question is open (StateJoin).
	JoinCode string `json:"jc,omitempty"`
	// CodeFails counts wrong invite codes in a row; CodeWait is when the
	// next code may be tried (Unix seconds), set by the caller, which has
	// the clock, to slow down guessing.
	CodeFails int   `json:"cf,omitempty"`
	CodeWait  int64 `json:"cw,omitempty"`
}

// Label names the session's position for transcripts and the funnel:
// "lang", "role", "country", "location", "route", "step:<route>:<n>" (n counts from 1),
// "done:<route>", "change", "forget", "offer".
func (s Session) Label(f *Flow) string {
	switch s.State {
	case StateStep:
		if r := f.Route(s.Country, s.Route); r != nil {
			return "step:" + s.Route + ":" + strconv.Itoa(r.Index(s.Step)+1)
		}
	case StateDone:
		return "done:" + s.Route
	}
	return string(s.State)
}
