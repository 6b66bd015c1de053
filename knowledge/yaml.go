package knowledge

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// The y* types mirror the YAML files. Scalars that need a line number in
// error messages (ids, references, texts) use yStr and yText, which record
// their node's line; everything else is decoded strictly with KnownFields.

type yStr struct {
	V    string
	Line int
}

func (s *yStr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a single value", n.Line)
	}
	s.V, s.Line = n.Value, n.Line
	return nil
}

type yText struct {
	M    map[string]string
	Line int
	keys []yStr // language keys in file order, with lines
}

func (t *yText) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a text with one entry per language (ja, en, ru, ky)", n.Line)
	}
	t.Line = n.Line
	t.M = make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: the %q text must be a string", v.Line, k.Value)
		}
		if _, dup := t.M[k.Value]; dup {
			return fmt.Errorf("line %d: language %q given twice", k.Line, k.Value)
		}
		t.M[k.Value] = v.Value
		t.keys = append(t.keys, yStr{k.Value, k.Line})
	}
	return nil
}

type yHeader struct {
	Kind string `yaml:"kind"`
}

type yShared struct {
	Kind      string           `yaml:"kind"`
	Version   yStr             `yaml:"version"`
	Reviewed  yStr             `yaml:"reviewed"`
	ReviewBy  yStr             `yaml:"review_by"`
	Languages []string         `yaml:"languages"`
	Roles     []yStr           `yaml:"roles"`
	Locations []yStr           `yaml:"locations"`
	Glossary  []yTerm          `yaml:"glossary"`
	Keywords  []yKeyword       `yaml:"keywords"`
	UI        map[string]yText `yaml:"ui"`
	Avoid     []yAvoid         `yaml:"avoid"`
}

// yAvoid is a phrasing no text may use, and why.
type yAvoid struct {
	Lang yStr `yaml:"lang"`
	Text yStr `yaml:"text"`
	Why  yStr `yaml:"why"`
}

type yTerm struct {
	ID   yStr  `yaml:"id"`
	Text yText `yaml:"text"`
}

type yKeyword struct {
	Target yStr                `yaml:"target"`
	Words  map[string][]string `yaml:"words"`
}

type yCountry struct {
	Kind     string     `yaml:"kind"`
	Country  yStr       `yaml:"country"`
	Name     yText      `yaml:"name"`
	Source   ySource    `yaml:"source"`
	Reviewed yStr       `yaml:"reviewed"`
	ReviewBy yStr       `yaml:"review_by"`
	Compare  yText      `yaml:"compare"`
	Routes   []yRoute   `yaml:"routes"`
	Steps    []yStep    `yaml:"steps"`
	Contacts []yContact `yaml:"contacts"`
	Links    []yLink    `yaml:"links"`
	Intents  []yIntent  `yaml:"intents"`
}

type ySource struct {
	Title  yStr  `yaml:"title"`
	Issuer yText `yaml:"issuer"`
	URL    yStr  `yaml:"url"`
	Page   yText `yaml:"page"`
	Note   yText `yaml:"note"`
}

type yRoute struct {
	ID       yStr   `yaml:"id"`
	Location yStr   `yaml:"location"`
	Title    yText  `yaml:"title"`
	Button   yText  `yaml:"button"`
	Summary  yText  `yaml:"summary"`
	Source   yStr   `yaml:"source"`
	Steps    []yStr `yaml:"steps"`
}

type yStep struct {
	ID       yStr    `yaml:"id"`
	Side     yStr    `yaml:"side"`
	Actors   []yStr  `yaml:"actors"`
	Title    yText   `yaml:"title"`
	Body     yText   `yaml:"body"`
	Employer yText   `yaml:"employer"`
	Worker   yText   `yaml:"worker"`
	Where    yText   `yaml:"where"`
	Notes    []yText `yaml:"notes"`
	Contacts []yStr  `yaml:"contacts"`
	Links    []yStr  `yaml:"links"`
	Topics   []yStr  `yaml:"topics"`
	// InsteadOf: topics of other routes whose part this step plays.
	InsteadOf []yStr `yaml:"instead_of"`
	Source    yStr   `yaml:"source"`
}

type yContact struct {
	ID      yStr     `yaml:"id"`
	Name    yText    `yaml:"name"`
	Address yAddress `yaml:"address"`
	Phones  []yStr   `yaml:"phones"`
	Emails  []yEmail `yaml:"emails"`
	Links   []yStr   `yaml:"links"`
	Source  yStr     `yaml:"source"`
}

type yAddress struct {
	Original    yStr  `yaml:"original"`
	Translation yText `yaml:"translation"`
}

type yEmail struct {
	Address yStr  `yaml:"address"`
	Purpose yText `yaml:"purpose"`
}

type yLink struct {
	ID     yStr  `yaml:"id"`
	URL    yStr  `yaml:"url"`
	Title  yText `yaml:"title"`
	Note   yText `yaml:"note"`
	Source yStr  `yaml:"source"`
}

// yIntent is one slot value and the phrasings that mean it. Examples are
// keyed by language; "any" holds phrasings that mean the same in every
// language (place names, codes).
type yIntent struct {
	Slot     yStr              `yaml:"slot"`
	Value    yStr              `yaml:"value"`
	Examples map[string][]yStr `yaml:"examples"`
	Answer   yText             `yaml:"answer"`
	Over     []yStr            `yaml:"over"`
	Cues     map[string][]yStr `yaml:"cues"`
}

type yUnderstanding struct {
	Kind      string     `yaml:"kind"`
	Intents   []yIntent  `yaml:"intents"`
	Spellings ySpellings `yaml:"spellings"`
}

// ySpellings is a mapping of kana to kanji, kept in file order with lines
// (a plain map would lose both, and hide a key given twice).
type ySpellings []ySpelling

type ySpelling struct{ Kana, Kanji yStr }

func (s *ySpellings) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want spellings as kana: kanji, one a line", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: the spelling of %q must be one kanji word", v.Line, k.Value)
		}
		*s = append(*s, ySpelling{yStr{k.Value, k.Line}, yStr{v.Value, v.Line}})
	}
	return nil
}
