package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"example.com/sswbot/store/redisstore/redistest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sourceFacts are strings of the official document that the bot must print
// character for character.
var sourceFacts = []string{
	"Kyrgyz Republic 720010, Bishkek city, Toktogul street, 237",
	"+996 312 65 02 64",
	"borbor@migrant.kg",
	"japanemployment@migrant.kg",
	"東京都港区三田 1-5-7",
	"03-6453-8277",
	"kgembassy.jp@mfa.gov.kg",
	"https://migrant.kg/kg/services/employment-agency/?country_id=2",
	"https://migrant.kg/kg/services/country/iaponiia/",
}

// walkScript answers the questions by number and presses "next" to the end
// of a route, then asks for the contacts.
func walkScript(route int, steps int) string {
	loc, rt := "1", fmt.Sprint(route)
	lines := []string{"1"} // role: the first choice
	if route == 4 {
		lines = append(lines, "2") // already in Japan: one route, no question
		rt = ""
		_ = loc
	} else {
		lines = append(lines, loc)
	}
	if rt != "" {
		lines = append(lines, rt)
	}
	for range steps {
		lines = append(lines, "1") // next step / finish is always the first button
	}
	return strings.Join(append(lines, "/contacts"), "\n") + "\n"
}

func TestChatWalksEveryRouteInEveryLanguage(t *testing.T) {
	t.Parallel()
	routes := []struct {
		n, steps int
		last     string
	}{{1, 4, "A.6"}, {2, 5, "A.6"}, {3, 6, "A.6"}, {4, 2, "B.2"}}
	for _, lang := range []string{"ja", "en", "ru", "ky"} {
		for _, r := range routes {
			t.Run(fmt.Sprintf("%s/route%d", lang, r.n), func(t *testing.T) {
				t.Parallel()
				code, out, errOut := runCmd(t, nil, walkScript(r.n, r.steps), "chat", "--lang", lang)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if !strings.Contains(out, r.last) {
					t.Fatalf("the walk did not reach step %s:\n%s", r.last, out)
				}
				if !strings.Contains(out, "✅") {
					t.Fatalf("no finished checklist:\n%s", out)
				}
				for _, fact := range sourceFacts {
					if !strings.Contains(out, fact) {
						t.Errorf("%q is not printed exactly", fact)
					}
				}
			})
		}
	}
}

func TestChatResumesWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"REDIS_URL": srv.URL()}
	if code, _, errOut := runCmd(t, env, "1\n1\n", "chat", "--lang", "en", "--user", "alice"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	// A new process: the conversation continues at the route question.
	code, out, errOut := runCmd(t, env, "3\n", "chat", "--user", "alice")
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Which recruitment route") || !strings.Contains(out, "Step 1 of 6") {
		t.Fatalf("the second run did not resume at the route question:\n%s", out)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if code, out, errOut := runCmd(t, nil, "", "check"); code != 0 || !strings.Contains(out, "ok: content version") ||
		!strings.Contains(out, ", 1 country,") {
		t.Fatalf("check on the shipped content: exit %d\n%s%s", code, out, errOut)
	}
	tests := []struct {
		name, file, old, new, want string
	}{
		{"a misspelled key", "kg.yaml", "    source: A.5\n", "    sorce: A.5\n", "kg.yaml:"},
		{"a missing translation", "ssw.yaml", "\n    ky:", "\n    kx:", "unknown language \"kx\""},
		{"a dangling contact reference", "kg.yaml", "contacts: [center", "contacts: [centre", "unknown contact \"centre\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := copyContent(t)
			path := filepath.Join(dir, tt.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.old) {
				t.Fatalf("%s has no %q to break", tt.file, tt.old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, _ := runCmd(t, nil, "", "check", "--knowledge", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if !strings.Contains(out, tt.want) || !strings.Contains(out, filepath.Join(dir, tt.file)+":") {
				t.Fatalf("output lacks a file:line message with %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestCheckNamesAMissingDirectory(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"check", "--knowledge", missing}},
		{"environment", map[string]string{"SSWBOT_KNOWLEDGE": missing}, []string{"check"}},
	} {
		code, out, errOut := runCmd(t, tt.env, "", tt.args...)
		if code == 0 || !strings.Contains(out+errOut, missing+" (--knowledge / SSWBOT_KNOWLEDGE): no such directory") {
			t.Errorf("%s: exit %d, output:\n%s%s", tt.name, code, out, errOut)
		}
	}
}

func TestCheckWarnsWhenReviewIsDue(t *testing.T) {
	t.Parallel()
	dir := copyContent(t)
	for _, name := range []string{"ssw.yaml", "kg.yaml"} {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := regexp.MustCompile(`(?m)^reviewed: .*$`).ReplaceAllString(string(b), "reviewed: 2020-01-01")
		s = regexp.MustCompile(`(?m)^review_by: .*$`).ReplaceAllString(s, "review_by: 2020-06-01")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runCmd(t, nil, "", "check", "--knowledge", dir)
	if code != 0 || !strings.Contains(out, "warning: the content was due for review by 2020-06-01") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func copyContent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "knowledge", "content")
	names, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("content files: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGraphGolden(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, nil, "", "graph")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join("testdata", "flow.golden.mmd")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if out != string(want) {
		t.Fatalf("the graph changed; run go test ./cmd/sswbot -run Graph -update and review:\n%s", out)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```mermaid\n"+out+"```") {
		t.Error("the README's Mermaid chart differs from `sswbot graph`: paste testdata/flow.golden.mmd into it")
	}
}

func TestServeRefusesHalfConfiguredChannels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LINE_CHANNEL_SECRET": "s"}, "LINE is half-configured"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_URL": "https://x.example/telegram/webhook"}, "needs TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"SSWBOT_SESSION_TTL": "soon"}, "not a positive duration"},
		{map[string]string{"SSWBOT_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "SSWBOT_TRUSTED_PROXIES"},
		{map[string]string{"SSWBOT_CONSOLE_TRUST_PROXY": "true"}, "SSWBOT_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, tt.env, "", "serve", "--addr", "127.0.0.1:0")
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("env %v: exit %d, stderr %q; want 1 and %q", tt.env, code, errOut, tt.want)
		}
	}
}

func TestHelpListsEnvironment(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmd(t, nil, "", "serve", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, v := range []string{"SSWBOT_ADDR", "REDIS_URL", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL",
		"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "SSWBOT_CONSOLE_USERS"} {
		if !strings.Contains(errOut, v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

func TestSecureCookiesFollowTheAddress(t *testing.T) {
	tests := []struct {
		addr, env string
		want      bool
	}{
		{":8080", "", true},
		{"0.0.0.0:8080", "", true},
		{"10.0.0.5:8080", "", true},
		{"127.0.0.1:8080", "", false},
		{"localhost:8080", "", false},
		{"[::1]:8080", "", false},
		{":8080", "false", false},
		{"127.0.0.1:8080", "true", true},
	}
	for _, tt := range tests {
		cfg := defaultConfig()
		if err := cfg.fromEnv(envOf(map[string]string{"SSWBOT_ADDR": tt.addr, "SSWBOT_CONSOLE_SECURE_COOKIES": tt.env})); err != nil {
			t.Fatal(err)
		}
		if got := cfg.secureCookies(); got != tt.want {
			t.Errorf("addr %q, SSWBOT_CONSOLE_SECURE_COOKIES=%q: Secure %v, want %v", tt.addr, tt.env, got, tt.want)
		}
	}
}

func TestLegacyCaseKeysAreChosenByTheEnvironment(t *testing.T) {
	for _, tt := range []struct {
		env     string
		want    bool
		invalid bool
	}{{"", false, false}, {"true", true, false}, {"false", false, false}, {"maybe", false, true}} {
		cfg := defaultConfig()
		err := cfg.fromEnv(envOf(map[string]string{"SSWBOT_REDIS_LEGACY_CASES": tt.env}))
		if (err != nil) != tt.invalid || cfg.RedisLegacyCases != tt.want {
			t.Errorf("SSWBOT_REDIS_LEGACY_CASES=%q: %v, err %v; want %v, invalid %v", tt.env, cfg.RedisLegacyCases, err, tt.want, tt.invalid)
		}
	}
}
