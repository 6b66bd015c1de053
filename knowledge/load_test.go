package knowledge_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"example.com/sswbot/knowledge"
)

const sharedYAML = `kind: shared
version: "t1"
reviewed: 2026-11-01
review_by: 2027-05-01
languages: [ja, en, ru, ky]
glossary:
  - id: coe
    text: {ja: 在留資格認定証明書, en: Certificate of Eligibility (COE), ru: "сертификат «Certificate of Eligibility» (COE)", ky: "«Certificate of Eligibility (COE)» сертификаты"}
keywords:
  - target: topic:visa
    words: {en: [visa], ru: [виз]}
ui:
  step_header: {ja: "手続 {n}/{total}", en: "Step {n} of {total}", ru: "Шаг {n} из {total}", ky: "{n}/{total}-кадам"}
  btn_next: {ja: 次へ, en: Next step, ru: Далее, ky: Кийинки}
  role_employer: {ja: 受入機関, en: Employer, ru: Работодатель, ky: Иш берүүчү}
  role_worker: {ja: 求職者, en: Job seeker, ru: Соискатель, ky: Жумуш издөөчү}
  loc_kg: {ja: キルギス, en: Kyrgyzstan, ru: Кыргызстан, ky: Кыргызстан}
  loc_jp: {ja: 日本, en: Japan, ru: Япония, ky: Япония}
  side_japanese: {ja: 日本側の手続, en: Japanese side, ru: Японская сторона, ky: Япон тарап}
roles: [employer, worker]
locations: [kg, jp]
`

const countryYAML = `kind: country
country: kg
name: {ja: キルギス, en: Kyrgyzstan, ru: Кыргызстан, ky: Кыргызстан}
source:
  title: 手続の流れ
  issuer: {ja: 出入国在留管理庁, en: Immigration Services Agency of Japan, ru: Иммиграционная служба Японии, ky: Япониянын иммиграция кызматтары агенттиги}
  url: https://www.moj.go.jp/isa/applications/ssw/10_00168.html
reviewed: 2026-11-01
review_by: 2027-05-01
compare: {ja: 比較, en: Compare, ru: Сравнение, ky: Салыштыруу}
links:
  - id: list
    url: https://migrant.kg/kg/services/country/iaponiia/
    title: {ja: 一覧, en: List, ru: Список, ky: Тизме}
    source: A.3.1
contacts:
  - id: center
    name: {ja: センター, en: Center, ru: Центр, ky: Борбор}
    address:
      original: "Kyrgyz Republic 720010, Bishkek city, Toktogul street, 237"
    phones: ["+996 312 65 02 64"]
    emails:
      - address: borbor@migrant.kg
    source: C.1
steps:
  - id: A.5
    side: japanese
    actors: [worker]
    title: {ja: 査証, en: Visa, ru: Виза, ky: Виза}
    body: {ja: 申請, en: Apply, ru: Подайте, ky: Тапшырыңыз}
    contacts: [center]
    links: [list]
    topics: [visa]
    source: A.5
  - id: B.2
    actors: [worker]
    title: {ja: 変更, en: Change, ru: Изменение, ky: Өзгөртүү}
    body: {ja: 申請, en: Apply, ru: Подайте, ky: Тапшырыңыз}
    source: B.2
routes:
  - id: direct
    location: kg
    title: {ja: 直接, en: Direct, ru: Напрямую, ky: Түздөн-түз}
    button: {ja: 直接, en: Direct, ru: Напрямую, ky: Түздөн-түз}
    summary: {ja: 直接, en: Direct, ru: Напрямую, ky: Түздөн-түз}
    source: A.1
    steps: [A.5]
  - id: japan
    location: jp
    title: {ja: 日本, en: Japan, ru: Япония, ky: Япония}
    button: {ja: 日本, en: Japan, ru: Япония, ky: Япония}
    summary: {ja: 日本, en: Japan, ru: Япония, ky: Япония}
    source: B
    steps: [B.2]
`

func load(shared, country string) (*knowledge.Base, error) {
	return knowledge.Load(fstest.MapFS{
		"ssw.yaml": {Data: []byte(shared)},
		"kg.yaml":  {Data: []byte(country)},
	})
}

func TestLoadValidContent(t *testing.T) {
	t.Parallel()
	kb, err := load(sharedYAML, countryYAML)
	if err != nil {
		t.Fatal(err)
	}
	c := kb.Country("kg")
	if got, want := c.Route("direct").Steps[0].Contacts[0].Phones[0], "+996 312 65 02 64"; got != want {
		t.Fatalf("phone = %q, want %q", got, want)
	}
	if got, want := kb.UIText("btn_next", "ky"), "Кийинки"; got != want {
		t.Fatalf("ky btn_next = %q, want %q", got, want)
	}
}

// The comparison's general lines are read from it, in every language alike:
// the introduction before the route bullets and each note after them.
func TestComparePartsOfTheContent(t *testing.T) {
	t.Parallel()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	c := kb.Country("kg")
	if got := c.CompareIntro.In("en"); !strings.HasPrefix(got, "There are three routes") || strings.Contains(got, "•") {
		t.Errorf("intro = %q", got)
	}
	want := []string{"After the employment contract, all three routes are the same", "If the worker already lives in Japan", "Besides the Japanese procedures"}
	if len(c.CompareNotes) != len(want) {
		t.Fatalf("%d notes, want %d", len(c.CompareNotes), len(want))
	}
	for i, w := range want {
		if got := c.CompareNotes[i].In("en"); !strings.HasPrefix(got, w) {
			t.Errorf("note %d = %q, want it to begin %q", i, got, w)
		}
		for _, lang := range knowledge.Languages {
			if n := c.CompareNotes[i].In(lang); n == "" || !strings.Contains(c.Compare.In(lang), n) {
				t.Errorf("note %d in %s = %q: not a line of the comparison", i, lang, n)
			}
		}
	}
}

func TestLoadRejectsBadContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		shared, country string
		want            string // a line of the error
	}{
		{"a misspelled key", sharedYAML, strings.Replace(countryYAML, "    topics: [visa]", "    topis: [visa]", 1),
			`kg.yaml:33: unknown key "topis" in a step (a typo?)`},
		{"a missing translation", sharedYAML, strings.Replace(countryYAML, `body: {ja: 申請, en: Apply, ru: Подайте, ky: Тапшырыңыз}
    contacts`, `body: {ja: 申請, en: Apply, ru: Подайте}
    contacts`, 1),
			`kg.yaml:30: step A.5 body: missing ky translation`},
		{"an empty text", strings.Replace(sharedYAML, "ru: Далее", `ru: ""`, 1), countryYAML,
			`ssw.yaml:14: ui btn_next: empty ru text`},
		{"a dangling contact reference", sharedYAML, strings.Replace(countryYAML, "contacts: [center]", "contacts: [centre]", 1),
			`kg.yaml:31: step A.5: unknown contact "centre"`},
		{"a duplicate id", sharedYAML, strings.Replace(countryYAML, "  - id: B.2", "  - id: A.5", 1),
			`kg.yaml:35: step: duplicate id "A.5" (first at line 26)`},
		{"a step without a source", sharedYAML, strings.Replace(countryYAML, "    source: B.2\n", "", 1),
			`step B.2: missing source`},
		{"a route without steps", sharedYAML, strings.Replace(countryYAML, "    steps: [B.2]", "    steps: []", 1),
			`kg.yaml:48: route japan: no steps`},
		{"a Latin letter inside a Kyrgyz word", strings.Replace(sharedYAML, "ky: Кийинки", "ky: Кийинkи", 1), countryYAML,
			`ssw.yaml:14: ui btn_next: ky text mixes Latin and Cyrillic letters in "Кийинkи"`},
		{"a translation without a placeholder", strings.Replace(sharedYAML, `ru: "Шаг {n} из {total}"`, `ru: "Шаг {n}"`, 1), countryYAML,
			`ssw.yaml:13: ui step_header: ru text has placeholders [{n}], ja has [{n} {total}]`},
		{"a button label too long", strings.Replace(sharedYAML, "en: Next step", "en: Go on to the next step please", 1), countryYAML,
			`ssw.yaml:14: ui btn_next: en label is 29 characters, at most 20 fit on a button`},
		{"a step in the place of a topic no step has", sharedYAML, strings.Replace(countryYAML, "    source: B.2\n", "    source: B.2\n    instead_of: [vias]\n", 1),
			`kg.yaml:40: step B.2: instead_of "vias": no step has that topic`},
		{"a step in the place of its own topic", sharedYAML, strings.Replace(countryYAML, "    topics: [visa]\n", "    topics: [visa]\n    instead_of: [visa]\n", 1),
			`kg.yaml:34: step A.5: instead_of "visa" is its own topic`},
		{"a keyword pointing nowhere", strings.Replace(sharedYAML, "topic:visa", "topic:vias", 1), countryYAML,
			`ssw.yaml:10: keyword target "topic:vias": no step has topic "vias"`},
		{"a route at an undeclared location", sharedYAML, strings.Replace(countryYAML, "location: jp", "location: japan", 1),
			`kg.yaml:49: route japan: location "japan" must be one of the shared locations (kg, jp)`},
		{"a location without a route", strings.Replace(sharedYAML, "locations: [kg, jp]", "locations: [kg, jp, kz]", 1), countryYAML,
			`country kg: no route for location kz`},
		{"a role without a button", strings.Replace(sharedYAML, "roles: [employer, worker]", "roles: [employer, worker, other]", 1), countryYAML,
			`roles: other has no button text (ui role_other)`},
		{"a wording for an undeclared role", strings.Replace(sharedYAML, "roles: [employer, worker]", "roles: [employer]", 1),
			strings.Replace(countryYAML, "    source: B.2\n", "    worker: {ja: 申請, en: Apply, ru: Подайте, ky: Тапшырыңыз}\n    source: B.2\n", 1),
			`step B.2: worker wording for a role the shared roles do not list`},
		{"a route called compare", sharedYAML, strings.Replace(countryYAML, "  - id: direct", "  - id: compare", 1),
			`route compare: "compare" is the compare button's name`},
		{"a comparison whose lines differ between languages", sharedYAML,
			strings.Replace(countryYAML, "compare: {ja: 比較, en: Compare,", "compare: {ja: \"比較\\n・直接\\n共通\", en: Compare,", 1),
			`kg.yaml:10: compare: the en text's lines (i; i intro, b route bullet, n note) differ from ja's (ibn)`},
		{"an unknown language", strings.Replace(sharedYAML, "en: Next step,", "en: Next step, de: Weiter,", 1), countryYAML,
			`ssw.yaml:14: ui btn_next: unknown language "de"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(tt.shared, tt.country)
			var kerr *knowledge.Error
			if !errors.As(err, &kerr) {
				t.Fatalf("err = %v, want a *knowledge.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("errors:\n%s\nwant a line containing:\n%s", err, tt.want)
			}
		})
	}
}
