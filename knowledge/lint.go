package knowledge

import (
	"fmt"
	"regexp"
	"strings"
)

// The style rules below guard what the first content review found (issue
// 15). Load applies them to every text of the content; Lint is exported so
// the bot can apply the per-language ones to what it renders (a source line
// filled with several sections, a step title inside a template). Phrasings
// that were simply wrong live in the content (the shared file's avoid list),
// not here: these are the rules that need more than a substring.

// Lint returns the problems of one text in one language, with no file or
// line: Latin brackets in Japanese, a doubled particle, a singular word
// before several section ids, a Japanese-sounding permission given to the
// Kyrgyz Ministry or its agencies, a name repeated in one clause.
func Lint(lang, s string) []string {
	var out []string
	lower := strings.ToLower(s)
	for _, r := range lintRules {
		// The hint, a word the rule needs, spares the regexp on most texts.
		if r.lang == lang && strings.Contains(lower, r.hint) && r.re.MatchString(r.prepare(s)) {
			out = append(out, r.msg)
		}
	}
	if (lang == "ru" || lang == "ky") && strings.Contains(lower, permissionHint[lang]) {
		for _, c := range clauses(s) {
			if permitsKyrgyzAgency(lang, c) {
				out = append(out, fmt.Sprintf("%s gives the Kyrgyz Ministry's certification (認定) the word for Japan's permission (許可): write %s (glossary B04)", quote(c), accredited[lang]))
			}
		}
	}
	if lang == "ru" && strings.Count(s, "Кыргызской Республики") > 1 {
		for _, c := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",.;:\n", r) }) {
			if strings.Count(c, "Кыргызской Республики") > 1 {
				out = append(out, fmt.Sprintf("%s repeats «Кыргызской Республики» in one clause", quote(c)))
			}
		}
	}
	return out
}

// permitsKyrgyzAgency reports whether a clause gives a permission word to
// the Kyrgyz Ministry or a sending agency without saying it is Japan's.
func permitsKyrgyzAgency(lang, clause string) bool {
	return permission[lang].MatchString(clause) && kyrgyzCertifier[lang].MatchString(clause) && !japan[lang].MatchString(clause)
}

// quote shows a clause in a message, shortened.
func quote(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 60 {
		return fmt.Sprintf("%q", string(r[:57])+"…")
	}
	return fmt.Sprintf("%q", string(r))
}

type lintRule struct {
	lang, hint string // hint: a lower-case substring every match contains
	re         *regexp.Regexp
	msg        string
}

// prepare lets a template's {sections} count as several sections.
func (lintRule) prepare(s string) string { return strings.ReplaceAll(s, "{sections}", "C.1, C.2") }

const sectionList = `[A-C](?:\.[0-9]+)*(?:\s*(?:,|and|и|жана)\s*[A-C](?:\.[0-9]+)*)+`

var lintRules = []lintRule{
	{"ja", "", regexp.MustCompile(`[()]`), `Latin brackets "()" in Japanese text: use full-width （）`},
	{"ja", "について", regexp.MustCompile(`について(?:」)?について`), `a doubled particle 「についてについて」`},
	{"en", "section", regexp.MustCompile(`\bsection\s+` + sectionList), `"section" before several section ids: write "sections"`},
	{"ru", "раздел", regexp.MustCompile(`(?i)(?:^|[^\p{L}])раздел\s+` + sectionList), `«раздел» before several section ids: write «разделы»`},
	{"ky", "бөлүмү", regexp.MustCompile(sectionList + `\s+бөлүмү`), `«бөлүмү» after several section ids: write «бөлүмдөрү»`},
}

// The 認定 / 許可 distinction (glossary B04 vs T12): the Kyrgyz Ministry
// certifies sending agencies, Japan permits employment placement. The
// permission words are kept for Japan's permission, which is always said to
// be issued in Japan.
var (
	permissionHint = map[string]string{"ru": "разреш", "ky": "уруксат"}
	permission     = map[string]*regexp.Regexp{
		"ru": regexp.MustCompile(`(?i)разреш`),
		"ky": regexp.MustCompile(`(?i)уруксат`),
	}
	certified = map[string]*regexp.Regexp{
		"ru": regexp.MustCompile(`(?i)аккредит`),
		"ky": regexp.MustCompile(`(?i)аккредит`),
	}
	kyrgyzCertifier = map[string]*regexp.Regexp{
		"ru": regexp.MustCompile(`(?i)минтруд|министерств\p{L}* труда|агентств`),
		"ky": regexp.MustCompile(`(?i)министрлиг|министрлик|агенттик`),
	}
	japan = map[string]*regexp.Regexp{
		"ru": regexp.MustCompile(`Япони`),
		"ky": regexp.MustCompile(`Япония`),
	}
	accredited = map[string]string{
		"ru": "«аккредитованное (признанное) Минтрудом КР»",
		"ky": "«министрлик тарабынан аккредитацияланган (таанылган)»",
	}
)

// clauses splits a text where a statement ends: at sentence ends,
// semicolons, colons and line breaks (a list item's head is its own clause).
func clauses(s string) []string { return clauseEnd.Split(s, -1) }

var clauseEnd = regexp.MustCompile(`[.;:!?]\s|\n`)

// linted is a text remembered for the checks that run once every file is
// read (the avoid list may come after the text).
type linted struct {
	file, what string
	t          Text
}

// avoidRule is a phrasing the content rules out, with the reason.
type avoidRule struct{ lang, text, why string }

// lintAll applies the style rules to every text read.
func (l *loader) lintAll() {
	for _, x := range l.linted {
		l.file = x.file
		l.lintText(x.t, x.what)
		l.avoid(x.t, x.what)
	}
}

// lintText applies Lint to every language of t, and the rules that compare
// a translation with the Japanese text: where the Japanese says 認定 (other
// than in 在留資格認定証明書, the COE) and not 許可, Russian and Kyrgyz must not
// say «разрешение» / «уруксат»; where it says 許可 and not 認定, they must not
// say «аккредит…».
func (l *loader) lintText(t Text, what string) {
	for _, lang := range Languages {
		for _, p := range Lint(lang, t.m[lang]) {
			l.at(t.line, "%s: %s text: %s", what, lang, p)
		}
	}
	ja := strings.ReplaceAll(t.m["ja"], "在留資格認定証明書", "")
	cert, perm := strings.Contains(ja, "認定"), strings.Contains(ja, "許可")
	for _, lang := range []string{"ru", "ky"} {
		s := t.m[lang]
		if !cert && !perm {
			continue
		}
		hasPerm := strings.Contains(strings.ToLower(s), permissionHint[lang])
		var clauseFound bool // Lint named the clause already
		for _, c := range clauses(s) {
			if !hasPerm {
				break
			}
			clauseFound = clauseFound || permitsKyrgyzAgency(lang, c)
		}
		switch {
		case cert && !perm && hasPerm && !clauseFound:
			l.at(t.line, "%s: %s text renders 認定 (certification) with the word for 許可 (permission): write %s (glossary B04)", what, lang, accredited[lang])
		case perm && !cert && certified[lang].MatchString(s):
			l.at(t.line, "%s: %s text renders 許可 (permission) with the word for 認定 (certification): keep «разрешение» / «уруксат» (glossary T12)", what, lang)
		}
	}
}

// avoid rejects the phrasings the shared file lists under avoid, in every
// text of their language.
func (l *loader) avoid(t Text, what string) {
	lower := map[string]string{}
	for _, a := range l.avoids {
		if _, ok := lower[a.lang]; !ok {
			lower[a.lang] = strings.ToLower(t.m[a.lang])
		}
		if strings.Contains(lower[a.lang], strings.ToLower(a.text)) {
			l.at(t.line, "%s: %s text says %q: %s", what, a.lang, a.text, a.why)
		}
	}
}
