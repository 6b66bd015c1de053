package main

import (
	"strings"
	"testing"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/knowledge"
)

// The embedded menu font is a subset: a label whose characters it lacks
// would be drawn as boxes. scripts/menufont.sh rebuilds it.
func TestMenuFontCoversLabels(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	menus, err := richMenus(kb)
	if err != nil {
		t.Fatal(err)
	}
	if len(menus) != len(knowledge.Languages) {
		t.Fatalf("%d menus for %d languages", len(menus), len(knowledge.Languages))
	}
	for _, m := range menus {
		for _, s := range append([]string{m.ChatBar}, labelsOf(m)...) {
			if miss := line.MissingGlyphs(s); miss != "" {
				t.Errorf("%s: the menu font lacks %q (in %q): run scripts/menufont.sh", m.Lang, miss, s)
			}
		}
		if _, err := line.MenuImage(m, menuAccent); err != nil {
			t.Errorf("%s: %v", m.Lang, err)
		}
	}
}

func labelsOf(m line.Menu) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.Label)
	}
	return out
}

func TestLineSetupDryRunWithoutToken(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "", "line", "setup", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, lang := range knowledge.Languages {
		if !strings.Contains(out, "would create rich menu sswbot-"+lang+"-") || !strings.Contains(out, "would create alias sswbot-"+lang) {
			t.Errorf("no plan for %s:\n%s", lang, out)
		}
	}
	if code, _, errOut := runCmd(t, nil, "", "line", "setup"); code != 1 || !strings.Contains(errOut, "LINE_CHANNEL_ACCESS_TOKEN") {
		t.Errorf("without a token: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCmd(t, nil, "", "line", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}
