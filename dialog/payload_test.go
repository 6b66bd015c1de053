package dialog_test

import (
	"testing"

	"example.com/sswbot/dialog"
)

// TestPayloadWireForms pins the wire strings: buttons in messages sent
// before a change must keep working.
func TestPayloadWireForms(t *testing.T) {
	t.Parallel()
	for wire, want := range map[string]dialog.Payload{
		"g:help":     {Kind: dialog.KindHelp},
		"g:lang":     {Kind: dialog.KindLang},
		"g:restart":  {Kind: dialog.KindRestart},
		"g:contacts": {Kind: dialog.KindContacts},
		"g:staff":    {Kind: dialog.KindStaff},
		"g:forget":   {Kind: dialog.KindForget},
		"g:back":     {Kind: dialog.KindBack},
		"all":        {Kind: dialog.KindAll},
		"chg":        {Kind: dialog.KindChange},
		"chg:loc":    {Kind: dialog.KindChange, Arg: "loc"},
		"c":          {Kind: dialog.KindContinue},
		"fy":         {Kind: dialog.KindYes},
		"fn":         {Kind: dialog.KindNo},
		"rt:compare": {Kind: dialog.KindCompare},
		"notes":      {Kind: dialog.KindCompareNotes},
		"rt:agency":  {Kind: dialog.KindSetRoute, Arg: "agency"},
		"l:ky":       {Kind: dialog.KindSetLang, Arg: "ky"},
		"r:worker":   {Kind: dialog.KindSetRole, Arg: "worker"},
		"k:kg":       {Kind: dialog.KindSetCountry, Arg: "kg"},
		"w:jp":       {Kind: dialog.KindSetLocation, Arg: "jp"},
		"n:A.3.1":    {Kind: dialog.KindNext, Arg: "A.3.1"},
		"fin:B.2":    {Kind: dialog.KindFinish, Arg: "B.2"},
		"next":       {Kind: dialog.KindTypedNext},
	} {
		got, ok := dialog.Parse(wire)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", wire, got, ok, want)
		}
		if got.String() != wire {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), wire)
		}
	}
	for _, bad := range []string{"", "x", "r:", "zz:1", "g:nope", "l:ку", "n:A 1", "n:" + string(make([]byte, 70))} {
		if p, ok := dialog.Parse(bad); ok {
			t.Errorf("Parse(%q) = %+v, want false", bad, p)
		}
	}
}

// TestQuestionTable checks the table's promises: every question has a
// slot, answers of its own kind, and a change button.
func TestQuestionTable(t *testing.T) {
	t.Parallel()
	f := testFlow()
	seen := map[dialog.Kind]bool{}
	for _, q := range dialog.Questions() {
		if q.Slot(&dialog.Session{}) == nil || q.Values == nil || q.Change == "" || q.Say == "" || seen[q.Kind] {
			t.Errorf("question %s is incomplete or shares its kind", q.State)
		}
		seen[q.Kind] = true
		if dialog.QuestionAt(q.State) == nil {
			t.Errorf("QuestionAt(%s) = nil", q.State)
		}
		s := dialog.Session{Lang: "en", Role: "worker", Country: "kg", Location: "kg"}
		for _, p := range q.Choices(f, s) {
			if back, ok := dialog.Parse(p.String()); !ok || back != p {
				t.Errorf("question %s offers %q, which does not parse back", q.State, p)
			}
		}
	}
	s := dialog.Session{Country: "kg", Location: "jp"}
	if route := dialog.QuestionAt(dialog.StateRoute); route.Asked(f, s) {
		t.Error("the route question is asked where there is only one route")
	}
}
