package understand_test

import "testing"

func TestLanguage(t *testing.T) {
	m := mustModel(t)
	for _, c := range []struct{ text, want string }{
		{"日本で働きたいです", "ja"},
		{"キルギス人を雇いたい", "ja"},
		{"こんにちは", "ja"},
		{"Здравствуйте! Я из Оша, хочу поехать в Японию работать поваром", "ru"},
		{"мы компания в Японии", "ru"},
		{"Японияда иштегим келет", "ky"},    // ү-less, but Kyrgyz words
		{"мен жумуш издеп жатам", "ky"},     // the same
		{"салам, мен Бишкекте турам", "ky"}, // мен, турам
		{"үй-бүлөм менен барсам болобу", "ky"},
		{"I want to work in Japan", "en"},
		{"we are a company in Osaka", "en"},
		{"ishu rabotu v yaponii", "ru"},
		{"men japoniyada ishtegim kelet", "ky"},
		{"12345", ""},
		{"", ""},
	} {
		if got := m.Language(c.text); got != c.want {
			t.Errorf("Language(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestLanguageOfShowsItOnlyBeyondTheScript(t *testing.T) {
	m := mustModel(t)
	for _, c := range []struct {
		text, want string
		shown      bool
	}{
		{"Айбек", "ru", false},
		{"Айбек Асанов", "ru", false},
		{"я ищу работу", "ru", true},
		{"Бишкек", "ru", false}, // a place: any language writes it so
		{"үй", "ky", true},
		{"はい", "ja", true},
		{"12345", "", false},
	} {
		if got, shown := m.LanguageOf(c.text); got != c.want || shown != c.shown {
			t.Errorf("LanguageOf(%q) = %q %v, want %q %v", c.text, got, shown, c.want, c.shown)
		}
	}
}
