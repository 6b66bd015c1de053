package knowledge

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with the content, at a file and line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Error lists every problem Load found.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

var (
	sectionID  = regexp.MustCompile(`^[A-C](\.[0-9]+)*$`)
	idPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	yamlLineRe = regexp.MustCompile(`^line ([0-9]+): (.*)$`)
	placeholde = regexp.MustCompile(`\{[a-z_]+\}`)
)

var (
	sides  = map[string]bool{"": true, "japanese": true, "kyrgyz": true}
	actors = map[string]bool{"receiving_org": true, "worker": true, "agency": true, "center": true}
)

// roleWordings names the step keys that hold a role's own wording: the
// YAML key is the role id, which the shared file's roles must declare.
var roleWordings = []string{"employer", "worker"}

// Load reads every *.yaml file at the root of fsys and validates it. On
// problems it returns an *Error listing all of them.
func Load(fsys fs.FS) (*Base, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	sort.Strings(names)
	l := &loader{b: &Base{UI: map[string]Text{}}}
	if len(names) == 0 {
		l.add(".", 0, "no *.yaml content files")
	}
	var shared int
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: %w", err)
		}
		l.file, l.item = path.Base(name), 1
		var h yHeader
		if err := yaml.Unmarshal(data, &h); err != nil {
			l.yamlErr(err)
			continue
		}
		switch h.Kind {
		case "shared":
			shared++
			var y yShared
			if l.decode(data, &y) {
				l.shared(&y)
			}
		case "country":
			var y yCountry
			if l.decode(data, &y) {
				l.country(&y)
			}
		case "understanding":
			var y yUnderstanding
			if l.decode(data, &y) {
				l.intents(y.Intents)
				l.spellings(y.Spellings)
			}
		default:
			l.add(l.file, 1, fmt.Sprintf("kind must be \"shared\", \"country\" or \"understanding\", not %q", h.Kind))
		}
	}
	if len(names) > 0 && shared != 1 {
		l.add(".", 0, fmt.Sprintf("want exactly one file of kind shared, found %d", shared))
	}
	if len(names) > 0 && len(l.b.Countries) == 0 && len(l.problems) == 0 {
		l.add(".", 0, "no file of kind country")
	}
	l.crossCheck()
	l.lintAll()
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.problems}
	}
	return l.b, nil
}

type loader struct {
	b        *Base
	file     string
	item     int // line of the item being validated, for what has no line of its own
	problems []Problem
	topics   map[string]bool
	// Checked once every file is read (the shared file sorts after the
	// country files): route locations and role wordings.
	routeLocs []placed
	countries []placed
	wordings  []placed
	sides     []placed
	linted    []linted
	avoids    []avoidRule
	kwLines   []struct {
		file string
		t    yStr
	}
	intentLines []intentLine
	examples    map[string]exampleAt // slot + folded example → where it was first given
	spelled     map[string]placed    // kana → where its spelling was first given
}

// placed is a value to check later, with where it was written.
type placed struct {
	file, what, v string
	line          int
	country       *Country
}

func (l *loader) add(file string, line int, msg string) {
	l.problems = append(l.problems, Problem{file, line, msg})
}

func (l *loader) at(line int, format string, args ...any) {
	if line == 0 {
		line = l.item // a missing key: point at the item that lacks it
	}
	l.add(l.file, line, fmt.Sprintf(format, args...))
}

// decode unmarshals strictly: unknown keys are errors with their line. A
// type error (such as an unknown key) still decodes the rest, which is then
// validated too, so one typo doesn't hide other problems or cause false
// ones; only a syntax error stops the file.
func (l *loader) decode(data []byte, v any) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		l.yamlErr(err)
		var te *yaml.TypeError
		return errors.As(err, &te)
	}
	return true
}

// yamlTypes names the decoded types in messages.
var yamlTypes = strings.NewReplacer(
	"knowledge.yShared", "the shared file", "knowledge.yCountry", "a country file",
	"knowledge.yTerm", "a glossary entry", "knowledge.yKeyword", "a keyword",
	"knowledge.ySource", "the source", "knowledge.yRoute", "a route", "knowledge.yStep", "a step",
	"knowledge.yContact", "a contact", "knowledge.yAddress", "an address", "knowledge.yEmail", "an e-mail",
	"knowledge.yLink", "a link", "knowledge.yAvoid", "an avoid rule", "knowledge.yIntent", "an intent", "knowledge.yUnderstanding", "an understanding file",
)

func (l *loader) yamlErr(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			var n int
			fmt.Sscan(sm[1], &n)
			msg := sm[2]
			if f, typ, ok := strings.Cut(msg, " not found in type "); ok {
				msg = fmt.Sprintf("unknown key %q in %s (a typo?)", strings.TrimPrefix(f, "field "), yamlTypes.Replace(typ))
			}
			l.at(n, "%s", msg)
			continue
		}
		l.at(0, "%s", m)
	}
}

func (l *loader) text(t yText, what string, required bool) Text {
	if t.M == nil {
		if required {
			l.at(t.Line, "%s: missing", what)
		}
		return Text{}
	}
	known := map[string]bool{}
	for _, k := range t.keys {
		known[k.V] = true
		if !contains(Languages, k.V) {
			l.at(k.Line, "%s: unknown language %q (want %s)", what, k.V, strings.Join(Languages, ", "))
		}
	}
	var ref []string
	for i, lang := range Languages {
		s, ok := t.M[lang]
		switch {
		case !ok:
			l.at(t.Line, "%s: missing %s translation", what, lang)
			continue
		case strings.TrimSpace(s) == "":
			l.at(t.Line, "%s: empty %s text", what, lang)
			continue
		}
		if w := mixedWord(s); w != "" {
			l.at(t.Line, "%s: %s text mixes Latin and Cyrillic letters in %q", what, lang, w)
		}
		ph := placeholde.FindAllString(s, -1)
		sort.Strings(ph)
		if i == 0 || ref == nil {
			ref = ph
		} else if strings.Join(ph, ",") != strings.Join(ref, ",") {
			l.at(t.Line, "%s: %s text has placeholders %v, ja has %v", what, lang, ph, ref)
		}
	}
	txt := Text{m: t.M, line: t.Line}
	l.linted = append(l.linted, linted{file: l.file, what: what, t: txt})
	return txt
}

// mixedWord returns the first word that mixes Latin and Cyrillic letters,
// the classic look-alike typo (Latin "a" or "o" inside a Kyrgyz word).
func mixedWord(s string) string {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		var lat, cyr bool
		for _, r := range w {
			lat = lat || unicode.Is(unicode.Latin, r)
			cyr = cyr || unicode.Is(unicode.Cyrillic, r)
		}
		if lat && cyr {
			return w
		}
	}
	return ""
}

func (l *loader) date(s yStr, what string) time.Time {
	if s.V == "" {
		l.at(s.Line, "%s: missing (want YYYY-MM-DD)", what)
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s.V)
	if err != nil {
		l.at(s.Line, "%s: %q is not a date (want YYYY-MM-DD)", what, s.V)
	}
	return t
}

func (l *loader) shared(y *yShared) {
	b := l.b
	if y.Version.V == "" {
		l.at(1, "version: missing")
	}
	b.Version = y.Version.V
	l.review(l.date(y.Reviewed, "reviewed"), l.date(y.ReviewBy, "review_by"), y.ReviewBy.Line)
	if strings.Join(y.Languages, ",") != strings.Join(Languages, ",") {
		l.at(1, "languages: want [%s]", strings.Join(Languages, ", "))
	}
	b.Roles = l.list(y.Roles, "roles", "role_")
	b.Locations = l.list(y.Locations, "locations", "loc_")
	for _, id := range b.Roles {
		if _, ok := y.UI["role_"+id]; !ok {
			l.at(1, "roles: %s has no button text (ui role_%s)", id, id)
		}
	}
	for _, id := range b.Locations {
		if _, ok := y.UI["loc_"+id]; !ok {
			l.at(1, "locations: %s has no button text (ui loc_%s)", id, id)
		}
	}
	seen := map[string]int{}
	for _, t := range y.Glossary {
		l.id(t.ID, "glossary", seen)
		b.Glossary = append(b.Glossary, Term{ID: t.ID.V, Text: l.text(t.Text, "glossary "+t.ID.V, true)})
	}
	keys := make([]string, 0, len(y.UI))
	for k := range y.UI {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.UI[k] = l.text(y.UI[k], "ui "+k, true)
		if isButton(k) {
			l.short(y.UI[k], "ui "+k)
		}
	}
	for _, a := range y.Avoid {
		if !contains(Languages, a.Lang.V) || strings.TrimSpace(a.Text.V) == "" || strings.TrimSpace(a.Why.V) == "" {
			l.at(a.Lang.Line, "avoid: want lang (one of %s), text and why", strings.Join(Languages, ", "))
			continue
		}
		l.avoids = append(l.avoids, avoidRule{a.Lang.V, a.Text.V, a.Why.V})
	}
	for _, kw := range y.Keywords {
		if kw.Target.V == "" {
			l.at(kw.Target.Line, "keyword: missing target")
		}
		for lang, ws := range kw.Words {
			if !contains(Languages, lang) {
				l.at(kw.Target.Line, "keyword %s: unknown language %q", kw.Target.V, lang)
			}
			for _, w := range ws {
				if strings.TrimSpace(w) == "" {
					l.at(kw.Target.Line, "keyword %s: empty word", kw.Target.V)
				}
			}
		}
		l.kwLines = append(l.kwLines, struct {
			file string
			t    yStr
		}{l.file, kw.Target})
		b.Keywords = append(b.Keywords, Keyword{Target: kw.Target.V, Words: kw.Words})
	}
}

// list reads a list of ids (roles, locations): at least one, each an id,
// none twice.
func (l *loader) list(ys []yStr, what, prefix string) []string {
	if len(ys) == 0 {
		l.at(1, "%s: missing (a list of ids; %s<id> is each one's button)", what, prefix)
	}
	seen := map[string]int{}
	var out []string
	for _, y := range ys {
		l.id(y, what, seen)
		if y.V != "" && !idPattern.MatchString(y.V) {
			l.at(y.Line, "%s: %q is not an id (lowercase letters)", what, y.V)
		}
		out = append(out, y.V)
	}
	return out
}

func (l *loader) review(reviewed, by time.Time, line int) {
	if !reviewed.IsZero() && !by.IsZero() && by.Before(reviewed) {
		l.at(line, "review_by is before reviewed")
	}
	if l.b.Reviewed.IsZero() || (!reviewed.IsZero() && reviewed.Before(l.b.Reviewed)) {
		l.b.Reviewed = reviewed
	}
	if l.b.ReviewBy.IsZero() || (!by.IsZero() && by.Before(l.b.ReviewBy)) {
		l.b.ReviewBy = by
	}
}

func (l *loader) id(s yStr, what string, seen map[string]int) {
	switch {
	case s.V == "":
		l.at(s.Line, "%s: missing id", what)
	case seen[s.V] != 0:
		l.at(s.Line, "%s: duplicate id %q (first at line %d)", what, s.V, seen[s.V])
	default:
		seen[s.V] = s.Line
	}
}

func (l *loader) source(s yStr, what string) string {
	switch {
	case s.V == "":
		l.at(s.Line, "%s: missing source (a section id such as A.3.2)", what)
	case !sectionID.MatchString(s.V):
		l.at(s.Line, "%s: source %q is not a section id such as A.3.2", what, s.V)
	}
	return s.V
}

func (l *loader) url(s yStr, what string) string {
	if !strings.HasPrefix(s.V, "https://") && !strings.HasPrefix(s.V, "http://") {
		l.at(s.Line, "%s: %q is not a URL", what, s.V)
	}
	return s.V
}

func (l *loader) country(y *yCountry) {
	c := &Country{
		ID:       y.Country.V,
		Steps:    map[string]*Step{},
		contacts: map[string]*Contact{},
		links:    map[string]*Link{},
	}
	if !idPattern.MatchString(c.ID) {
		l.at(y.Country.Line, "country: %q is not an id (lowercase letters)", c.ID)
	}
	if l.b.Country(c.ID) != nil {
		l.at(y.Country.Line, "country: duplicate country %q", c.ID)
	}
	c.Name = l.text(y.Name, "name", true)
	if y.Source.Title.V == "" {
		l.at(y.Source.Title.Line, "source.title: missing")
	}
	c.Source = Source{
		Title:  y.Source.Title.V,
		Issuer: l.text(y.Source.Issuer, "source.issuer", true),
		URL:    l.url(y.Source.URL, "source.url"),
		Page:   l.text(y.Source.Page, "source.page", false),
		Note:   l.text(y.Source.Note, "source.note", false),
	}
	c.Reviewed, c.ReviewBy = l.date(y.Reviewed, "reviewed"), l.date(y.ReviewBy, "review_by")
	l.review(c.Reviewed, c.ReviewBy, y.ReviewBy.Line)
	c.Compare = l.text(y.Compare, "compare", true)
	c.CompareIntro, c.CompareNotes = l.compareParts(c.Compare, y.Compare.Line)

	seen := map[string]int{}
	for _, yl := range y.Links {
		l.item = yl.ID.Line
		l.id(yl.ID, "link", seen)
		lk := &Link{
			ID: yl.ID.V, URL: l.url(yl.URL, "link "+yl.ID.V),
			Title:  l.text(yl.Title, "link "+yl.ID.V+" title", true),
			Note:   l.text(yl.Note, "link "+yl.ID.V+" note", false),
			Source: l.source(yl.Source, "link "+yl.ID.V),
		}
		c.Links = append(c.Links, lk)
		c.links[lk.ID] = lk
	}
	seen = map[string]int{}
	for _, yc := range y.Contacts {
		l.item = yc.ID.Line
		l.id(yc.ID, "contact", seen)
		ct := &Contact{
			ID: yc.ID.V, Name: l.text(yc.Name, "contact "+yc.ID.V+" name", true),
			Address: Address{Original: yc.Address.Original.V,
				Translation: l.text(yc.Address.Translation, "contact "+yc.ID.V+" address translation", false)},
			Source: l.source(yc.Source, "contact "+yc.ID.V),
		}
		if ct.Address.Original == "" {
			l.at(yc.ID.Line, "contact %s: address.original missing", ct.ID)
		}
		for _, p := range yc.Phones {
			ct.Phones = append(ct.Phones, p.V)
		}
		for _, e := range yc.Emails {
			if !strings.Contains(e.Address.V, "@") {
				l.at(e.Address.Line, "contact %s: %q is not an e-mail address", ct.ID, e.Address.V)
			}
			ct.Emails = append(ct.Emails, Email{Address: e.Address.V,
				Purpose: l.text(e.Purpose, "contact "+ct.ID+" e-mail purpose", false)})
		}
		ct.Links = l.linkRefs(c, yc.Links, "contact "+ct.ID)
		c.Contacts = append(c.Contacts, ct)
		c.contacts[ct.ID] = ct
	}
	seen = map[string]int{}
	if l.topics == nil {
		l.topics = map[string]bool{}
	}
	for _, ys := range y.Steps {
		l.item = ys.ID.Line
		l.id(ys.ID, "step", seen)
		what := "step " + ys.ID.V
		s := &Step{
			ID: ys.ID.V, Side: ys.Side.V,
			Title:    l.text(ys.Title, what+" title", true),
			Body:     l.text(ys.Body, what+" body", true),
			Employer: l.text(ys.Employer, what+" employer", false),
			Worker:   l.text(ys.Worker, what+" worker", false),
			Where:    l.text(ys.Where, what+" where", false),
			Links:    l.linkRefs(c, ys.Links, what),
			Source:   l.source(ys.Source, what),
		}
		for _, w := range []struct {
			role string
			t    Text
			y    yText
		}{{roleWordings[0], s.Employer, ys.Employer}, {roleWordings[1], s.Worker, ys.Worker}} {
			if w.t.IsZero() {
				continue
			}
			if s.Wording == nil {
				s.Wording = map[string]Text{}
			}
			s.Wording[w.role] = w.t
			l.wordings = append(l.wordings, placed{file: l.file, what: what, v: w.role, line: w.y.Line})
		}
		if !sides[s.Side] {
			l.at(ys.Side.Line, "%s: side %q must be japanese, kyrgyz or empty", what, s.Side)
		} else if s.Side != "" {
			l.sides = append(l.sides, placed{file: l.file, what: what, v: s.Side, line: ys.Side.Line})
		}
		if len(ys.Actors) == 0 {
			l.at(ys.ID.Line, "%s: no actors (who does it)", what)
		}
		for _, a := range ys.Actors {
			if !actors[a.V] {
				l.at(a.Line, "%s: unknown actor %q", what, a.V)
			}
			s.Actors = append(s.Actors, a.V)
		}
		for i, n := range ys.Notes {
			s.Notes = append(s.Notes, l.text(n, fmt.Sprintf("%s note %d", what, i+1), true))
		}
		for _, r := range ys.Contacts {
			if ct := c.contacts[r.V]; ct != nil {
				s.Contacts = append(s.Contacts, ct)
			} else {
				l.at(r.Line, "%s: unknown contact %q", what, r.V)
			}
		}
		for _, t := range ys.Topics {
			s.Topics = append(s.Topics, t.V)
			l.topics[t.V] = true
		}
		c.Steps[s.ID] = s
	}
	for _, ys := range y.Steps {
		s := c.Steps[ys.ID.V]
		for _, t := range ys.InsteadOf {
			switch {
			case !l.topics[t.V]:
				l.at(t.Line, "step %s: instead_of %q: no step has that topic", ys.ID.V, t.V)
			case s != nil && contains(s.Topics, t.V):
				l.at(t.Line, "step %s: instead_of %q is its own topic", ys.ID.V, t.V)
			case s != nil:
				s.InsteadOf = append(s.InsteadOf, t.V)
			}
		}
	}
	seen = map[string]int{}
	for _, yr := range y.Routes {
		l.item = yr.ID.Line
		l.id(yr.ID, "route", seen)
		what := "route " + yr.ID.V
		r := &Route{
			ID: yr.ID.V, Location: yr.Location.V,
			Title:   l.text(yr.Title, what+" title", true),
			Button:  l.text(yr.Button, what+" button", true),
			Summary: l.text(yr.Summary, what+" summary", true),
			Source:  l.source(yr.Source, what),
		}
		l.short(yr.Button, what+" button")
		if r.ID == "compare" {
			l.at(yr.ID.Line, "%s: \"compare\" is the compare button's name; choose another id", what)
		}
		line := yr.Location.Line
		if line == 0 {
			line = yr.ID.Line
		}
		l.routeLocs = append(l.routeLocs, placed{file: l.file, what: what, v: r.Location, line: line})
		if len(yr.Steps) == 0 {
			l.at(yr.ID.Line, "%s: no steps", what)
		}
		dup := map[string]bool{}
		for _, sr := range yr.Steps {
			s := c.Steps[sr.V]
			switch {
			case s == nil:
				l.at(sr.Line, "%s: unknown step %q", what, sr.V)
			case dup[sr.V]:
				l.at(sr.Line, "%s: step %q listed twice", what, sr.V)
			default:
				r.Steps = append(r.Steps, s)
			}
			dup[sr.V] = true
		}
		c.Routes = append(c.Routes, r)
	}
	if len(y.Routes) > 0 {
		l.countries = append(l.countries, placed{file: l.file, line: y.Country.Line, country: c})
	}
	l.b.Countries = append(l.b.Countries, c)
	l.intents(y.Intents)
}

// MaxButton is the longest button label, in characters: LINE's
// quick-reply limit, the strictest of the platforms.
const MaxButton = 20

func isButton(key string) bool {
	for _, p := range []string{"btn_", "role_", "loc_", "chg_", "lang_"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func (l *loader) short(t yText, what string) {
	for _, lang := range Languages {
		if n := len([]rune(t.M[lang])); n > MaxButton {
			l.at(t.Line, "%s: %s label is %d characters, at most %d fit on a button", what, lang, n, MaxButton)
		}
	}
}

func (l *loader) linkRefs(c *Country, refs []yStr, what string) []*Link {
	var out []*Link
	for _, r := range refs {
		if lk := c.links[r.V]; lk != nil {
			out = append(out, lk)
		} else {
			l.at(r.Line, "%s: unknown link %q", what, r.V)
		}
	}
	return out
}

// crossCheck validates references between files: keyword targets, intent
// values, route locations, sides and role wordings against the shared lists.
func (l *loader) crossCheck() {
	l.checkIntents()
	if len(l.b.Locations) > 0 {
		for _, p := range l.routeLocs {
			if !contains(l.b.Locations, p.v) {
				l.add(p.file, p.line, fmt.Sprintf("%s: location %q must be one of the shared locations (%s)", p.what, p.v, strings.Join(l.b.Locations, ", ")))
			}
		}
		for _, p := range l.countries {
			for _, loc := range l.b.Locations {
				if len(p.country.RoutesAt(loc)) == 0 {
					l.add(p.file, p.line, fmt.Sprintf("country %s: no route for location %s", p.country.ID, loc))
				}
			}
		}
	}
	for _, p := range l.sides {
		if _, ok := l.b.UI["side_"+p.v]; !ok && len(l.b.UI) > 0 {
			l.add(p.file, p.line, fmt.Sprintf("%s: side %s has no ui text side_%s", p.what, p.v, p.v))
		}
	}
	if len(l.b.Roles) > 0 {
		for _, p := range l.wordings {
			if !contains(l.b.Roles, p.v) {
				l.add(p.file, p.line, fmt.Sprintf("%s: %s wording for a role the shared roles do not list", p.what, p.v))
			}
		}
	}
	for _, kw := range l.kwLines {
		t := kw.t.V
		topic, isTopic := strings.CutPrefix(t, "topic:")
		switch {
		case isTopic && !l.topics[topic]:
			l.add(kw.file, kw.t.Line, fmt.Sprintf("keyword target %q: no step has topic %q", t, topic))
		case !isTopic && !contains([]string{"contacts", "compare", "help", "staff"}, t):
			l.add(kw.file, kw.t.Line, fmt.Sprintf("keyword target %q: want topic:<name>, contacts, compare, help or staff", t))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compareBullets start a comparison line that describes one route.
var compareBullets = []string{"・", "•"}

// compareParts reads the comparison's general lines (see
// Country.CompareIntro): the introduction before the first bullet and each
// later line that is no bullet. Every language must have the same lines in
// the same places, or a platform would show one language more than another.
func (l *loader) compareParts(t Text, line int) (Text, []Text) {
	if t.IsZero() {
		return Text{}, nil
	}
	intro := map[string]string{}
	notes := []map[string]string{}
	var shape string
	for i, lang := range Languages {
		var in []string
		var ns []string
		var sh strings.Builder
		bullets := 0
		for _, ln := range strings.Split(strings.TrimSpace(t.In(lang)), "\n") {
			ln = strings.TrimSpace(ln)
			if ln == "" {
				continue
			}
			switch {
			case isCompareBullet(ln):
				bullets++
				sh.WriteByte('b')
			case bullets == 0:
				in = append(in, ln)
				sh.WriteByte('i')
			default:
				ns = append(ns, ln)
				sh.WriteByte('n')
			}
		}
		if i == 0 {
			shape = sh.String()
			notes = make([]map[string]string, len(ns))
			for j := range notes {
				notes[j] = map[string]string{}
			}
		} else if sh.String() != shape {
			l.at(line, "compare: the %s text's lines (%s; i intro, b route bullet, n note) differ from ja's (%s)", lang, sh.String(), shape)
			return Text{}, nil
		}
		intro[lang] = strings.Join(in, "\n")
		for j, n := range ns {
			notes[j][lang] = n
		}
	}
	var out []Text
	for _, m := range notes {
		out = append(out, Text{m: m, line: line})
	}
	if intro[Languages[0]] == "" {
		return Text{}, out
	}
	return Text{m: intro, line: line}, out
}

func isCompareBullet(s string) bool {
	for _, b := range compareBullets {
		if strings.HasPrefix(s, b) {
			return true
		}
	}
	return false
}
