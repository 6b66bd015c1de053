package knowledge_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"example.com/sswbot/knowledge"
)

// The content tests check the embedded YAML against the official source: the
// ISA document's text is copied to testdata/source.txt so the check runs on a
// clean checkout without shared/ beside it.

// isaPage is the one URL allowed that is not in the document: the ISA page
// the document is published on, used as the source URL.
const isaPage = "https://www.moj.go.jp/isa/applications/ssw/10_00168.html"

func loadContent(t *testing.T) *knowledge.Base {
	t.Helper()
	b, err := knowledge.Default()
	if err != nil {
		t.Fatalf("embedded content does not load:\n%v", err)
	}
	return b
}

func loadSource(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/source.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// text is one string of the content and where it comes from.
type text struct {
	where, lang, s string
}

// allTexts returns every translatable string in the content.
func allTexts(b *knowledge.Base) []text {
	var out []text
	add := func(where string, t knowledge.Text) {
		for lang, s := range t.Map() {
			out = append(out, text{where, lang, s})
		}
	}
	for k, t := range b.UI {
		add("ui "+k, t)
	}
	for _, g := range b.Glossary {
		add("glossary "+g.ID, g.Text)
	}
	for _, in := range b.Intents {
		add("intent "+in.Slot+"="+in.Value+" answer", in.Answer)
	}
	for _, c := range b.Countries {
		add(c.ID+" name", c.Name)
		add(c.ID+" source.issuer", c.Source.Issuer)
		add(c.ID+" source.note", c.Source.Note)
		add(c.ID+" compare", c.Compare)
		for _, r := range c.Routes {
			add("route "+r.ID+" title", r.Title)
			add("route "+r.ID+" button", r.Button)
			add("route "+r.ID+" summary", r.Summary)
		}
		for id, s := range c.Steps {
			add("step "+id+" title", s.Title)
			add("step "+id+" body", s.Body)
			add("step "+id+" employer", s.Employer)
			add("step "+id+" worker", s.Worker)
			add("step "+id+" where", s.Where)
			for _, n := range s.Notes {
				add("step "+id+" note", n)
			}
		}
		for _, ct := range c.Contacts {
			add("contact "+ct.ID+" name", ct.Name)
			add("contact "+ct.ID+" address", ct.Address.Translation)
			for _, e := range ct.Emails {
				add("contact "+ct.ID+" e-mail purpose", e.Purpose)
			}
		}
		for _, l := range c.Links {
			add("link "+l.ID+" title", l.Title)
			add("link "+l.ID+" note", l.Note)
		}
	}
	return out
}

var (
	urlRe   = regexp.MustCompile(`https?://[^\s)）」»"]+`)
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)
	phoneRe = regexp.MustCompile(`\+?[0-9][0-9 -]{6,}[0-9]`)
)

func TestContactDetailsAndURLsAppearVerbatimInTheSource(t *testing.T) {
	b, src := loadContent(t), loadSource(t)
	check := func(where, kind, v string) {
		t.Helper()
		if kind == "URL" && v == isaPage {
			return
		}
		if !strings.Contains(src, v) {
			t.Errorf("%s: %s %q is not in the source document", where, kind, v)
		}
	}
	for _, tx := range allTexts(b) {
		for _, u := range urlRe.FindAllString(tx.s, -1) {
			check(tx.where+" ("+tx.lang+")", "URL", u)
		}
		for _, e := range emailRe.FindAllString(tx.s, -1) {
			check(tx.where+" ("+tx.lang+")", "e-mail", e)
		}
		for _, p := range phoneRe.FindAllString(tx.s, -1) {
			check(tx.where+" ("+tx.lang+")", "phone", p)
		}
	}
	for _, c := range b.Countries {
		if c.Source.URL != isaPage {
			t.Errorf("%s source.url = %q, want the ISA page %q", c.ID, c.Source.URL, isaPage)
		}
		for _, l := range c.Links {
			check("link "+l.ID, "URL", l.URL)
		}
		for _, ct := range c.Contacts {
			check("contact "+ct.ID, "address", ct.Address.Original)
			for _, p := range ct.Phones {
				check("contact "+ct.ID, "phone", p)
			}
			for _, e := range ct.Emails {
				check("contact "+ct.ID, "e-mail", e.Address)
			}
		}
	}
}

func TestContactsAreExactlyTheSourceContacts(t *testing.T) {
	c := loadContent(t).Country("kg")
	if c == nil {
		t.Fatal("no country kg")
	}
	type email struct{ address, purposeJA string }
	tests := []struct {
		id, source, address string
		phones              []string
		emails              []email
	}{
		{"center", "C.1", "Kyrgyz Republic 720010, Bishkek city, Toktogul street, 237",
			[]string{"+996 312 65 02 64"},
			[]email{{"borbor@migrant.kg", "一般的な問合せ用"}, {"japanemployment@migrant.kg", "受入機関用"}}},
		{"embassy_kg", "C.2", "東京都港区三田 1-5-7",
			[]string{"03-6453-8277"},
			[]email{{"kgembassy.jp@mfa.gov.kg", ""}}},
	}
	if got, want := len(c.Contacts), len(tests); got != want {
		t.Errorf("got %d contacts, want %d", got, want)
	}
	for _, tt := range tests {
		ct := c.Contact(tt.id)
		if ct == nil {
			t.Errorf("contact %s missing", tt.id)
			continue
		}
		if ct.Source != tt.source {
			t.Errorf("contact %s source = %q, want %q", tt.id, ct.Source, tt.source)
		}
		if ct.Address.Original != tt.address {
			t.Errorf("contact %s address = %q, want %q", tt.id, ct.Address.Original, tt.address)
		}
		if !slices.Equal(ct.Phones, tt.phones) {
			t.Errorf("contact %s phones = %q, want %q", tt.id, ct.Phones, tt.phones)
		}
		var got []email
		for _, e := range ct.Emails {
			p := ""
			if !e.Purpose.IsZero() {
				p = e.Purpose.In("ja")
			}
			got = append(got, email{e.Address, p})
		}
		if !slices.Equal(got, tt.emails) {
			t.Errorf("contact %s e-mails = %q, want %q", tt.id, got, tt.emails)
		}
	}
}

func TestSourceTitleIsTheDocumentTitle(t *testing.T) {
	c, src := loadContent(t).Country("kg"), loadSource(t)
	want := "～特定技能外国人の受入機関の方々へ～ キルギス国籍の方々を特定技能外国人として受け入れるまでの手続の流れ"
	if c.Source.Title != want {
		t.Errorf("source.title = %q, want %q", c.Source.Title, want)
	}
	for _, part := range strings.SplitN(want, " ", 2) {
		if !strings.Contains(src, part) {
			t.Errorf("title part %q is not in the source", part)
		}
	}
}

func TestRoutesFollowTheSource(t *testing.T) {
	c := loadContent(t).Country("kg")
	tests := []struct {
		route, location, source string
		steps                   []string
	}{
		{"direct", "kg", "A.1", []string{"A.1.1", "A.4", "A.5", "A.6"}},
		{"center", "kg", "A.2", []string{"A.2.1", "A.2.2", "A.4", "A.5", "A.6"}},
		{"agency", "kg", "A.3", []string{"A.3.1", "A.3.2", "A.3.3", "A.4", "A.5", "A.6"}},
		{"japan", "jp", "B", []string{"B.1", "B.2"}},
	}
	for _, tt := range tests {
		r := c.Route(tt.route)
		if r == nil {
			t.Errorf("route %s missing", tt.route)
			continue
		}
		var ids []string
		for _, s := range r.Steps {
			ids = append(ids, s.ID)
		}
		if r.Location != tt.location || r.Source != tt.source || !slices.Equal(ids, tt.steps) {
			t.Errorf("route %s = %s %s %v, want %s %s %v", tt.route,
				r.Location, r.Source, ids, tt.location, tt.source, tt.steps)
		}
	}
	// 【日本側の手続】 and 【キルギス側の手続】 exactly where the document puts them.
	sides := map[string]string{"A.3.3": "kyrgyz", "A.4": "japanese", "A.5": "japanese", "A.6": "japanese", "B.2": "japanese"}
	for id, s := range c.Steps {
		if s.Side != sides[id] {
			t.Errorf("step %s side = %q, want %q", id, s.Side, sides[id])
		}
		if s.Source != id {
			t.Errorf("step %s source = %q, want its own section id", id, s.Source)
		}
		if s.Employer.IsZero() || s.Worker.IsZero() {
			t.Errorf("step %s needs both an employer and a worker wording", id)
		}
	}
}

func TestNoBannedVariants(t *testing.T) {
	banned := map[string][]string{
		// glossary.md §6: Russian usage notes; «трудовой договор», not «контракт».
		"ru": {"статус проживания", "статус резидента", "киргиз", "специальн", "особые навыки", "контракт"},
		// glossary.md §5: «Япония», never «Жапония»/«жапон»; T01: not «өзгөчө кесиптеги».
		"ky": {"жапон", "өзгөчө кесиптеги"},
		// The ISA/MOFA term, used everywhere; no third-party "Specified Skills".
		"en": {"receiving organization", "specified skills", "type 1"},
	}
	for _, tx := range allTexts(loadContent(t)) {
		low := strings.ToLower(tx.s)
		for _, w := range banned[tx.lang] {
			if strings.Contains(low, w) {
				t.Errorf("%s (%s) uses the banned variant %q: %q", tx.where, tx.lang, w, tx.s)
			}
		}
		// Kyrgyz official Russian writes е for ё; keep to it.
		if tx.lang == "ru" && strings.ContainsAny(tx.s, "ёЁ") {
			t.Errorf("%s (ru) writes ё; the content uses е throughout: %q", tx.where, tx.s)
		}
	}
}

func TestCyrillicWordsHaveNoLatinLookalikes(t *testing.T) {
	for _, tx := range allTexts(loadContent(t)) {
		if tx.lang != "ru" && tx.lang != "ky" {
			continue
		}
		for _, w := range strings.FieldsFunc(tx.s, func(r rune) bool { return !unicode.IsLetter(r) }) {
			lat := strings.IndexFunc(w, func(r rune) bool { return unicode.Is(unicode.Latin, r) }) >= 0
			cyr := strings.IndexFunc(w, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) >= 0
			if lat && cyr {
				t.Errorf("%s (%s): word %q mixes Latin and Cyrillic letters", tx.where, tx.lang, w)
			}
		}
	}
}

// kyNames are official names that happen to have no ө, ү or ң; they do not
// count towards a text's length in TestLongKyrgyzTextsUseKyrgyzLetters.
var kyNames = []string{
	"Кыргыз Республикасынын Эмгек, социалдык камсыздоо жана миграция министрлиг",
	"Япониянын иммиграция кызматынын аймактык бюро",
	"Япониянын иммиграция кызматтары агенттиги",
	"Эмгек министрлиги", // the short form
	// the certified sending agency (認定送出機関), glossary B04
	"тарабынан аккредитацияланган (таанылган) ишке орноштуруу агенттиги (認定送出機関, certified sending agency)",
	"тарабынан аккредитацияланган ишке орноштуруу агенттиги",
}

func TestLongKyrgyzTextsUseKyrgyzLetters(t *testing.T) {
	// A Kyrgyz sentence without ө, ү or ң is almost always Russian-keyboard
	// transliteration (о, у, н for ө, ү, ң).
	for _, tx := range allTexts(loadContent(t)) {
		rest := tx.s
		for _, n := range kyNames {
			rest = strings.ReplaceAll(rest, n, "")
		}
		if tx.lang == "ky" && len([]rune(rest)) > 60 && !strings.ContainsAny(strings.ToLower(tx.s), "өүң") {
			t.Errorf("%s (ky) has no ө, ү or ң: %q", tx.where, tx.s)
		}
	}
}

func TestJapaneseTextsAreJapanese(t *testing.T) {
	for _, tx := range allTexts(loadContent(t)) {
		if tx.lang != "ja" || strings.HasPrefix(tx.where, "ui lang_") {
			continue
		}
		if !strings.ContainsFunc(tx.s, func(r rune) bool {
			return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
		}) && !strings.ContainsAny(tx.s, "①②") {
			t.Errorf("%s (ja) has no Japanese: %q", tx.where, tx.s)
		}
	}
}

var (
	ruStatus = regexp.MustCompile(`(?i)статус[а-я]*( [а-я]+)?`)
	glossary = []struct {
		name       string
		lang       string
		mentions   string // a text that contains this (lower case) ...
		mustHave   string // ... must contain this too
		sameNumber bool   // ... once for every mention
	}{
		{"the COE keeps its English name", "ru", "сертификат", "Certificate of Eligibility", false},
		{"the COE keeps its English name", "ky", "сертификат", "Certificate of Eligibility (COE)", false},
		{"the status is «работник с определенными навыками»", "ru", "навык", "с определенными навыками", true},
		{"the status is «белгилүү бир көндүмдөрү бар жумушчу»", "ky", "көндүм", "белгилүү бир көндүмдөрү бар жумушчу", true},
		{"the regional bureau has one name", "ru", "бюро", "региональное бюро иммиграционной службы японии", true},
		{"the regional bureau has one name", "ky", "бюро", "япониянын иммиграция кызматынын аймактык бюро", true},
		{"the regional bureau has one name", "en", "bureau", "regional immigration services bureau", true},
	}
)

func TestGlossaryTermsAreUsedConsistently(t *testing.T) {
	texts := allTexts(loadContent(t))
	for _, g := range glossary {
		for _, tx := range texts {
			if tx.lang != g.lang {
				continue
			}
			low := strings.ToLower(tx.s)
			n := strings.Count(low, strings.ToLower(g.mentions))
			if n == 0 {
				continue
			}
			m := strings.Count(low, strings.ToLower(g.mustHave))
			if m == 0 || (g.sameNumber && m != n) {
				t.Errorf("%s: %s (%s) mentions %q %d times but %q %d times: %q",
					g.name, tx.where, tx.lang, g.mentions, n, g.mustHave, m, tx.s)
			}
		}
	}
	for _, tx := range texts {
		switch tx.lang {
		case "ru":
			// 在留資格 is «статус пребывания» in every form: «статуса пребывания» …
			for _, m := range ruStatus.FindAllString(tx.s, -1) {
				if !strings.HasSuffix(m, " пребывания") {
					t.Errorf("%s (ru): %q is not «статус пребывания»: %q", tx.where, m, tx.s)
				}
			}
		case "ky":
			// «Кыргыз Республикасынын Япониядагы Элчилиги», never another form.
			if strings.Contains(tx.s, "Япониядагы") && strings.Contains(strings.ToLower(tx.s), "элчилиг") &&
				!strings.Contains(tx.s, "Кыргыз Республикасынын Япониядагы Элчилиг") {
				t.Errorf("%s (ky): the Kyrgyz Embassy in Japan is not named «Кыргыз Республикасынын Япониядагы Элчилиги»: %q", tx.where, tx.s)
			}
		case "en":
			if strings.Contains(strings.ToLower(tx.s), "certificate of eligibility") && !strings.Contains(tx.s, "Certificate of Eligibility") {
				t.Errorf("%s (en): write “Certificate of Eligibility” with capitals: %q", tx.where, tx.s)
			}
		}
	}
}

func TestTextsNameTheButtonsTheyMention(t *testing.T) {
	// ask_role, ask_route and help quote button labels; a renamed button must
	// not leave them pointing at a label that no longer exists.
	b := loadContent(t)
	c := b.Country("kg")
	for _, lang := range knowledge.Languages {
		want := map[string][]string{
			"ask_role":  {b.UIText("role_employer", lang), b.UIText("role_worker", lang), b.UIText("role_other", lang)},
			"ask_route": {b.UIText("btn_compare", lang)},
			"help": {b.UIText("btn_next", lang), b.UIText("btn_back", lang), b.UIText("btn_all_steps", lang),
				b.UIText("btn_contacts", lang), b.UIText("btn_change", lang), b.UIText("btn_staff", lang)},
		}
		for _, r := range c.RoutesAt("kg") {
			want["ask_route"] = append(want["ask_route"], r.Button.In(lang))
		}
		for key, labels := range want {
			s := b.UIText(key, lang)
			for _, l := range labels {
				if !strings.Contains(s, l) {
					t.Errorf("ui %s (%s) does not mention the button %q: %q", key, lang, l, s)
				}
			}
		}
	}
}

func TestKeywordsReachEveryTopic(t *testing.T) {
	b := loadContent(t)
	topics := map[string]bool{}
	for _, s := range b.Country("kg").Steps {
		for _, tp := range s.Topics {
			topics[tp] = true
		}
	}
	for _, kw := range b.Keywords {
		delete(topics, strings.TrimPrefix(kw.Target, "topic:"))
		for lang, ws := range kw.Words {
			if len(ws) == 0 {
				t.Errorf("keyword %s: no %s words", kw.Target, lang)
			}
			for _, w := range ws {
				alphabetic := strings.ContainsFunc(w, func(r rune) bool { return unicode.In(r, unicode.Latin, unicode.Cyrillic) })
				if alphabetic && len([]rune(w)) < 3 {
					t.Errorf("keyword %s: %q is too short to match safely as a substring", kw.Target, w)
				}
			}
		}
	}
	for tp := range topics {
		t.Errorf("no keyword leads to topic %q", tp)
	}
}

// firstKeyword mirrors how the dialog matches typed text: lower case,
// full-width folded to ASCII, the first keyword (file order) whose word is a
// substring wins.
func firstKeyword(b *knowledge.Base, msg string) string {
	fold := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 0xFF01 && r <= 0xFF5E {
				r -= 0xFEE0
			}
			return unicode.ToLower(r)
		}, s)
	}
	m := fold(msg)
	for _, kw := range b.Keywords {
		for _, lang := range knowledge.Languages {
			for _, w := range kw.Words[lang] {
				if strings.Contains(m, fold(w)) {
					return kw.Target
				}
			}
		}
	}
	return ""
}

func TestTypicalQuestionsReachTheRightKeyword(t *testing.T) {
	b := loadContent(t)
	tests := []struct{ msg, want string }{
		{"How do I apply for the visa?", "topic:visa"},
		{"Какие документы нужны для визы?", "topic:visa"},
		{"Визаны кантип алам?", "topic:visa"},
		{"ビザの申請はどこで？", "topic:visa"},
		{"ＣＯＥはいつ届きますか", "topic:coe"},
		{"在留資格認定証明書の申請", "topic:coe"},
		{"Когда придет сертификат?", "topic:coe"},
		{"What is the recruitment contract?", "topic:recruitment"},
		{"人材募集に係る契約とは", "topic:recruitment"},
		{"трудовой договор", "topic:contract"},
		{"эмгек келишими", "topic:contract"},
		{"list of agencies", "topic:agency"},
		{"送出機関の一覧", "topic:agency"},
		{"Борборго каттоо", "topic:registration"},
		{"What happens at the airport?", "topic:landing"},
		{"статусту өзгөртүү", "topic:change_of_status"},
		{"在留資格変更許可申請", "topic:change_of_status"},
		{"посольство Кыргызстана", "contacts"},
		{"大使館の電話番号", "contacts"},
		{"элчиликтин дареги", "contacts"},
		{"What's the difference?", "compare"},
		{"Хочу поговорить с оператором", "staff"},
		{"Оператор менен байланышуу", "staff"},
		{"help", "help"},
		// Employers speak of employees and human resources; that is no call for staff.
		{"human resources", ""},
		{"сколько сотрудников можно нанять", ""},
		{"почти готово", ""},
	}
	for _, tt := range tests {
		if got := firstKeyword(b, tt.msg); got != tt.want {
			t.Errorf("%q goes to %q, want %q", tt.msg, got, tt.want)
		}
	}
}
