package knowledge_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"example.com/sswbot/knowledge"
)

// TestLoadRejectsWhatTheReviewFound loads testdata/review, which repeats
// the mistakes the first content review found, and wants each reported at
// its line.
func TestLoadRejectsWhatTheReviewFound(t *testing.T) {
	t.Parallel()
	_, err := knowledge.Load(os.DirFS("testdata/review"))
	var kerr *knowledge.Error
	if !errors.As(err, &kerr) {
		t.Fatalf("err = %v, want a *knowledge.Error", err)
	}
	got := err.Error()
	for _, want := range []string{
		// 認定 is not 許可 (glossary B04 vs T12), clause by clause and
		// against the Japanese text.
		`kg.yaml:12: compare: ru text: "• Через агентство занятости с разрешением Минтруда КР" gives the Kyrgyz Ministry's certification (認定)`,
		`kg.yaml:22: step A.3.1 body: ru text: "Агентства, получившие разрешение" gives`,
		`ssw.yaml:10: glossary sending_agency: ky text: "министрликтен уруксат алган агенттик" gives`,
		`kg.yaml:29: step A.3.3 note 1: ru text renders 許可 (permission) with the word for 認定 (certification)`,
		// The same name twice in one clause.
		`kg.yaml:27: step A.3.3 body: ru text: "По правилам Кыргызской Республики гражданин Кыргызской Ре…" repeats «Кыргызской Республики» in one clause`,
		// The content's avoid list.
		`kg.yaml:27: step A.3.3 body: en text says "according to the Kyrgyz side": write “reportedly”`,
		`ssw.yaml:19: ui done: ja text says "おつかれさま"`,
		// Latin brackets in Japanese.
		`ssw.yaml:20: ui not_understood: ja text: Latin brackets "()" in Japanese text: use full-width （）`,
		// A singular before several sections.
		`ssw.yaml:21: ui source_line_many: en text: "section" before several section ids: write "sections"`,
		`ssw.yaml:21: ui source_line_many: ru text: «раздел» before several section ids: write «разделы»`,
		`ssw.yaml:21: ui source_line_many: ky text: «бөлүмү» after several section ids: write «бөлүмдөрү»`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no problem\n  %s\namong\n%s", want, got)
		}
	}
	// Japan's permission for employment placement, said to be issued in
	// Japan, is right (the second line of the compare text).
	if strings.Contains(got, "Если агентство отбирает") {
		t.Errorf("Japan's permission was flagged:\n%s", got)
	}
}

func TestLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, text string
		want       string // a problem's start; "" means none
	}{
		{"ja", "手続のご案内：認定送出機関について", ""},
		{"ja", "認定送出機関についてについて", "a doubled particle"},
		{"ja", "所在地：Bishkek（ビシュケク）", ""},
		{"ja", "所在地：Bishkek (ビシュケク)", `Latin brackets`},
		{"en", "Source: the document, section A.6", ""},
		{"en", "Source: the document, section C.1, C.2", `"section" before several`},
		{"ru", "Источник: документ, раздел A.6", ""},
		{"ru", "Источник: документ, разделы C.1, C.2", ""},
		{"ru", "Источник: документ, раздел C.1 и C.2", "«раздел» before several"},
		{"ky", "Булак: документ, C.1, C.2 бөлүмдөрү", ""},
		{"ky", "Булак: документ, C.1, C.2 бөлүмү", "«бөлүмү» after several"},
		{"ru", "агентство, аккредитованное Минтрудом КР", ""},
		{"ru", "для этого требуется разрешение агентству, выдаваемое в Японии", ""},
		{"ru", "агентство с разрешением Минтруда КР", `"агентство с разрешением Минтруда КР" gives`},
		{"ky", "Японияда берилүүчү уруксат агенттикке керек", ""},
		{"ky", "уруксат алган агенттик", `"уруксат алган агенттик" gives`},
		{"ru", "Если изменение статуса пребывания разрешено, процедура завершена.", ""},
		{"ru", "гражданин Кыргызской Республики, заключивший договор в Кыргызской Республике", ""},
	}
	for _, tt := range tests {
		got := knowledge.Lint(tt.lang, tt.text)
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("Lint(%s, %q) = %q, want nothing", tt.lang, tt.text, got)
		case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
			t.Errorf("Lint(%s, %q) = %q, want one problem starting %q", tt.lang, tt.text, got, tt.want)
		}
	}
}
