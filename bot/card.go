package bot

// Card is the structure of a reply that shows a procedure, the route
// checklist, the contacts, the comparison of the routes or the summary at
// the end: the same content texts as the reply's Text, already in the
// user's language, cut into their parts so that an adapter can lay them
// out (a LINE Flex bubble, Telegram HTML with a bold header and URL
// buttons). Text stays the complete plain rendering: the CLI, the console
// and the transcripts use it, and an adapter that does not know a Kind
// falls back to it.
//
// A card's plain text may need more than one bubble: Span says how many
// replies, from the one carrying the card, hold it. An adapter that shows
// the card shows it instead of those Span texts. A reply with a card holds
// nothing but the card's text (render never packs another part into it).
//
// Every field except Kind may be empty. Cards are stored with the dedupe
// record (a redelivery must show the same thing), so they stay small: only
// texts, no markup. The transcripts keep Text only.
type Card struct {
	Kind CardKind `json:"k"`
	Span int      `json:"n,omitempty"` // replies holding the plain text; 0 means 1
	// Lang is the language of the texts ("ja", "en", "ru", "ky"), for an
	// adapter's punctuation (full-width brackets in Japanese).
	Lang string `json:"lg,omitempty"`
	// Header is the step counter ("Step 2 of 4"); empty for a step shown
	// on its own.
	Header string `json:"h,omitempty"`
	Side   string `json:"sd,omitempty"` // "Japanese-side procedure"
	// SideID is the content's id of the side ("japanese", "kyrgyz"), for an
	// adapter that colours the sides differently.
	SideID string `json:"si,omitempty"`
	Title  string `json:"t,omitempty"`
	// Subtitle: the checklist's legend ("✅ done · ▶ current …"), the
	// summary's checklist title.
	Subtitle string `json:"st,omitempty"`
	Body     string `json:"b,omitempty"`
	// Fields are labelled lines: who and where (step), the answers (summary).
	Fields   []Field       `json:"f,omitempty"`
	Notes    []Field       `json:"no,omitempty"` // "Note:" + the note
	Items    []CardItem    `json:"i,omitempty"`  // checklist and summary steps, compared routes
	Contacts []CardContact `json:"c,omitempty"`
	Links    []CardLink    `json:"l,omitempty"`
	// Actions are buttons of the card itself, after its items: the
	// comparison's "Notes on all routes", which brings the general lines
	// the card leaves out.
	Actions []Choice `json:"ac,omitempty"`
	Source  string   `json:"s,omitempty"` // the source line: document and section(s)
}

// CardKind says what a card shows.
type CardKind string

const (
	CardStep      CardKind = "step"      // one procedure
	CardChecklist CardKind = "checklist" // the route's steps with their marks
	CardContacts  CardKind = "contacts"  // the country's contacts and official lists
	CardSummary   CardKind = "summary"   // the end of a route: answers and checklist
	CardCompare   CardKind = "compare"   // the routes side by side, one line each
)

// Field is a labelled value. Label ends in its language's colon
// ("Who:", 「手続を行う者：」).
type Field struct {
	Label string `json:"l,omitempty"`
	Value string `json:"v"`
}

// CardItem is one line of a list. Checklist: Mark (✅ ▶ ⬜), Text
// ("1. Employment contract"), Section ("A.1.1"). Comparison: Text is the
// route's title, Note its one-line summary, Section its source section and
// Action the button that opens it ("Details: A.1").
type CardItem struct {
	Mark    string  `json:"m,omitempty"`
	Text    string  `json:"t"`
	Note    string  `json:"no,omitempty"`
	Section string  `json:"s,omitempty"`
	Action  *Choice `json:"a,omitempty"`
}

// CardContact is one organisation. Label is "Contact:" on a step, empty in
// the contacts list.
type CardContact struct {
	Label string        `json:"l,omitempty"`
	Name  string        `json:"n"`
	Lines []ContactLine `json:"x,omitempty"`
}

// ContactLine is one way to reach an organisation; Kind tells an adapter
// which action fits (a tel: button for a phone, a URL button for a link).
type ContactLine struct {
	Kind  ContactKind `json:"k"`
	Label string      `json:"l"` // "Phone:"
	Value string      `json:"v"` // "+996 312 65 02 64", an address, an e-mail address, a URL
	Note  string      `json:"no,omitempty"`
}

// ContactKind is the kind of a ContactLine.
type ContactKind string

const (
	ContactAddress ContactKind = "address"
	ContactPhone   ContactKind = "phone"
	ContactEmail   ContactKind = "email" // Note is what the address is for
	ContactLink    ContactKind = "link"
)

// CardLink is an official page: its title, URL and an optional note.
type CardLink struct {
	Title string `json:"t"`
	URL   string `json:"u"`
	Note  string `json:"no,omitempty"`
}

// Spans returns how many replies, from the one carrying c, hold its plain
// text (at least 1).
func (c *Card) Spans() int { return max(c.Span, 1) }
