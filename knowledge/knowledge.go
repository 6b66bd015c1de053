package knowledge

import (
	"fmt"
	"strings"
	"time"
)

// Languages every text must have, in display order.
var Languages = []string{"ja", "en", "ru", "ky"}

// Base is the loaded, validated content. It is immutable after Load.
type Base struct {
	Version   string
	Reviewed  time.Time // the oldest reviewed date among the files
	ReviewBy  time.Time // the earliest review_by date among the files
	UI        map[string]Text
	Roles     []string // who the bot asks about, in button order (ui role_<id>)
	Locations []string // where the worker may be now, in button order (ui loc_<id>)
	Glossary  []Term
	Keywords  []Keyword
	Countries []*Country
	Intents   []Intent   // what people mean and how they type it (understanding.yaml and the country files)
	Spellings []Spelling // Japanese words typed in kana only, read as their kanji (understanding.yaml)

	ui map[string]Text
}

// Text is one string in every language.
type Text struct {
	m    map[string]string
	line int
}

// In returns the text in lang, falling back to English, then Japanese.
func (t Text) In(lang string) string {
	if s, ok := t.m[lang]; ok {
		return s
	}
	if s, ok := t.m["en"]; ok {
		return s
	}
	return t.m["ja"]
}

// IsZero reports whether the text was not given at all.
func (t Text) IsZero() bool { return t.m == nil }

// Map returns the texts by language (a copy).
func (t Text) Map() map[string]string {
	m := make(map[string]string, len(t.m))
	for k, v := range t.m {
		m[k] = v
	}
	return m
}

// T builds a Text from a map; for tests and tools.
func T(m map[string]string) Text { return Text{m: m} }

// Term is a glossary entry: the one rendering used for a key concept.
type Term struct {
	ID   string
	Text Text
}

// Keyword maps words a user may type to a topic or action.
type Keyword struct {
	// Target is "topic:<name>" (jump to the step about it), "contacts",
	// "compare", "help" or "staff".
	Target string
	Words  map[string][]string // lang → words (any language matches)
}

// Country is one sending country's content.
type Country struct {
	ID       string // "kg"
	Name     Text
	Source   Source
	Reviewed time.Time
	ReviewBy time.Time
	Compare  Text // explains the differences between the routes
	// CompareIntro and CompareNotes are Compare's general lines, read from
	// it at load: the lines before the first route's bullet ("・", "•"),
	// and each line after it that is no bullet (what all routes share,
	// the worker already in Japan, the Kyrgyz side). A platform that shows
	// the routes one line each (the route summaries) still shows these:
	// nothing the comparison says may become unreachable. The bullets
	// themselves are not kept apart: the route summaries and the steps say
	// what they say.
	CompareIntro Text
	CompareNotes []Text
	Routes       []*Route
	Steps        map[string]*Step
	Contacts     []*Contact
	Links        []*Link
	contacts     map[string]*Contact
	links        map[string]*Link
}

// Source is the official document the country content comes from.
type Source struct {
	Title  string // in the document's language
	Issuer Text
	URL    string // the issuer's web page where the document is published
	Page   Text   // what that page is ("ISA's page on Kyrgyzstan"), not the document; may be zero
	Note   Text   // how the source is cited, e.g. the English outline's status
}

// Route is one way to hire: an ordered list of steps.
type Route struct {
	ID       string // "direct", "center", "agency", "japan"
	Location string // one of Base.Locations: where the worker is now
	Title    Text
	Button   Text // short label for a button (at most 20 characters)
	Summary  Text
	Source   string
	Steps    []*Step
}

// Step is one procedure.
type Step struct {
	ID       string // the source section id, e.g. "A.3.3"
	Side     string // "japanese", "kyrgyz" or "" when the source tags none
	Actors   []string
	Title    Text
	Body     Text // neutral wording (supporters, family)
	Employer Text // wording for the receiving organization; may be zero
	Worker   Text // wording for the job seeker; may be zero
	// Wording holds the role-specific bodies by role id (Employer and
	// Worker under their role's id); see BodyFor.
	Wording  map[string]Text
	Where    Text // may be zero
	Notes    []Text
	Contacts []*Contact
	Links    []*Link
	Topics   []string
	// InsteadOf lists topics of other routes whose part this step plays
	// on its route (B.2, a change of status of residence, instead of the
	// COE, the visa and the landing examination).
	InsteadOf []string
	Source    string
}

// BodyFor returns the step's wording for a role: its own when the content
// has one, the neutral body otherwise.
func (s *Step) BodyFor(role string) Text {
	if t, ok := s.Wording[role]; ok {
		return t
	}
	return s.Body
}

// Contact is an organization to call, write to or visit.
type Contact struct {
	ID      string
	Name    Text
	Address Address
	Phones  []string
	Emails  []Email
	Links   []*Link
	Source  string
}

// Address is kept in its original script, with a translation beside it.
type Address struct {
	Original    string
	Translation Text // may be zero
}

// Email is an address with what it is for.
type Email struct {
	Address string
	Purpose Text // may be zero
}

// Link is an official URL.
type Link struct {
	ID     string
	URL    string
	Title  Text
	Note   Text // may be zero
	Source string
}

// UIText returns the interface text key in lang. Unknown keys return
// "[key]" so a typo shows in golden files instead of an empty message; the
// bot checks its keys at startup with HasUI.
func (b *Base) UIText(key, lang string) string {
	t, ok := b.UI[key]
	if !ok {
		return "[" + key + "]"
	}
	return t.In(lang)
}

// HasUI reports whether every key exists.
func (b *Base) HasUI(keys ...string) error {
	var missing []string
	for _, k := range keys {
		if _, ok := b.UI[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("knowledge: missing ui texts: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Term returns the glossary text for id.
func (b *Base) Term(id string) (Text, bool) {
	for _, t := range b.Glossary {
		if t.ID == id {
			return t.Text, true
		}
	}
	return Text{}, false
}

// Country returns the country with id, or nil.
func (b *Base) Country(id string) *Country {
	for _, c := range b.Countries {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Route returns the route with id, or nil.
func (c *Country) Route(id string) *Route {
	for _, r := range c.Routes {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Contact returns the contact with id, or nil.
func (c *Country) Contact(id string) *Contact { return c.contacts[id] }

// Link returns the link with id, or nil.
func (c *Country) Link(id string) *Link { return c.links[id] }

// RoutesAt returns the routes for a worker at location, in file order.
func (c *Country) RoutesAt(location string) []*Route {
	var rs []*Route
	for _, r := range c.Routes {
		if r.Location == location {
			rs = append(rs, r)
		}
	}
	return rs
}
