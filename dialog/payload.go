package dialog

import "strings"

// Kind says what a button does. Its wire form is the payload's prefix (or
// the whole payload for kinds without an argument); the strings are those
// buttons have always carried, so buttons in old messages keep working.
type Kind string

// Kinds that answer a question; Arg is the answer (a language, role,
// country, location or route id). The question table says which slot each
// fills.
const (
	KindSetLang     Kind = "l"
	KindSetRole     Kind = "r"
	KindSetCountry  Kind = "k"
	KindSetLocation Kind = "w"
	KindSetRoute    Kind = "rt"
)

// Kinds of the walk; Arg is the step id the button was shown on, so a
// button of an older message is recognised as stale.
const (
	KindNext   Kind = "n"
	KindFinish Kind = "fin"
)

// KindShowStep shows the step Arg of the user's route on its own, without
// moving the walk: the answers of a clarifying question in the walk ("which
// of these do you mean?").
const KindShowStep Kind = "s"

// KindChange opens the change menu (Arg "") or re-asks the question whose
// Question.Change is Arg ("chg:loc").
const KindChange Kind = "chg"

// Kinds without an argument.
const (
	KindHelp     Kind = "g:help"
	KindLang     Kind = "g:lang" // re-ask the language
	KindRestart  Kind = "g:restart"
	KindContacts Kind = "g:contacts"
	KindStaff    Kind = "g:staff"
	KindForget   Kind = "g:forget"
	KindBack     Kind = "g:back"
	KindAll      Kind = "all" // the checklist of the route
	KindContinue Kind = "c"   // leave an aside
	KindYes      Kind = "fy"  // yes, forget my data
	KindNo       Kind = "fn"
	KindCompare  Kind = "rt:compare" // compare the routes (so no route may be called "compare")
	// KindCompareNotes shows the comparison's general notes (what all
	// routes share, the worker already in Japan, the Kyrgyz side), for a
	// platform that shows the comparison one line per route.
	KindCompareNotes Kind = "notes"
	// KindTypedNext comes only from typed text ("next step"): it means the
	// current step's next or finish button, whichever step that is.
	KindTypedNext Kind = "next"
)

// withArg lists the kinds that carry an argument after a colon.
var withArg = map[Kind]bool{
	KindSetLang: true, KindSetRole: true, KindSetCountry: true, KindSetLocation: true, KindSetRoute: true,
	KindNext: true, KindFinish: true, KindChange: true, KindShowStep: true,
	KindJoin: true, KindJoinYes: true, KindMarkDone: true, KindMarkStart: true,
}

// plain lists the kinds without an argument.
var plain = map[Kind]bool{
	KindHelp: true, KindLang: true, KindRestart: true, KindContacts: true, KindStaff: true, KindForget: true,
	KindBack: true, KindAll: true, KindContinue: true, KindYes: true, KindNo: true, KindCompare: true,
	KindCompareNotes: true, KindTypedNext: true, KindChange: true,
	KindInvite: true, KindCase: true, KindLeaveCase: true, KindJoinNo: true,
}

// MaxPayload is the longest payload platforms carry: Telegram allows 64
// bytes of callback data.
const MaxPayload = 64

// Payload is what a button sends back: a kind and, for some kinds, an
// argument. Its String form is short ASCII.
type Payload struct {
	Kind Kind
	Arg  string
}

// String returns the wire form: "g:help", "rt:agency", "n:A.3.1", "chg".
func (p Payload) String() string {
	if p.Arg == "" {
		return string(p.Kind)
	}
	return string(p.Kind) + ":" + p.Arg
}

// Parse reads a payload's wire form. It reports false for anything the
// dialog never sends (unknown kinds, a missing argument, non-ASCII, too long).
func Parse(s string) (Payload, bool) {
	if len(s) > MaxPayload || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return Payload{}, false
	}
	if plain[Kind(s)] {
		return Payload{Kind: Kind(s)}, true
	}
	k, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" || !withArg[Kind(k)] {
		return Payload{}, false
	}
	return Payload{Kind: Kind(k), Arg: arg}, true
}

// Payloads adapters send for platform commands (wire forms of the kinds).
const (
	PayloadHelp     = string(KindHelp)
	PayloadLang     = string(KindLang)
	PayloadRestart  = string(KindRestart)
	PayloadContacts = string(KindContacts)
	PayloadStaff    = string(KindStaff)
	PayloadForget   = string(KindForget)
	PayloadBack     = string(KindBack)
	// PayloadAll shows the route's checklist (the current question while
	// no route is chosen); the LINE rich menu carries it.
	PayloadAll = string(KindAll)
)

// Kinds returns the kinds without an argument (every fixed button), for
// callers that label them.
func Kinds() []Kind {
	return []Kind{KindHelp, KindLang, KindRestart, KindContacts, KindStaff, KindForget, KindBack,
		KindAll, KindChange, KindContinue, KindYes, KindNo, KindCompare, KindCompareNotes,
		KindInvite, KindCase, KindLeaveCase, KindJoinNo}
}
