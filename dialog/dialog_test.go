package dialog_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"example.com/sswbot/dialog"
)

// testFlow mirrors the shape of the real content: three routes from
// Kyrgyzstan, one from Japan.
func testFlow() *dialog.Flow {
	common := []dialog.Procedure{{ID: "A.4", Topics: []string{"coe"}}, {ID: "A.5", Topics: []string{"visa"}}, {ID: "A.6"}}
	return &dialog.Flow{
		Languages: []string{"ja", "en", "ru", "ky"},
		Countries: []string{"kg"},
		Roles:     []string{"employer", "worker", "other"},
		Locations: []string{"kg", "jp"},
		Routes: []dialog.Route{
			{Country: "kg", ID: "direct", Location: "kg", Steps: append([]dialog.Procedure{{ID: "A.1.1", Topics: []string{"contract"}}}, common...)},
			{Country: "kg", ID: "center", Location: "kg", Steps: append([]dialog.Procedure{{ID: "A.2.1"}, {ID: "A.2.2", Topics: []string{"contract"}}}, common...)},
			{Country: "kg", ID: "agency", Location: "kg", Steps: append([]dialog.Procedure{{ID: "A.3.1"}, {ID: "A.3.2", Topics: []string{"contract"}}, {ID: "A.3.3"}}, common...)},
			{Country: "kg", ID: "japan", Location: "jp", Steps: []dialog.Procedure{{ID: "B.1", Topics: []string{"contract"}}, {ID: "B.2", InsteadOf: []string{"coe", "visa"}}}},
		},
		Aliases: map[string]dialog.Payload{"english": {Kind: dialog.KindSetLang, Arg: "en"}, "next step": {Kind: dialog.KindTypedNext},
			"employer": {Kind: dialog.KindSetRole, Arg: "employer"}, "в кыргызстане": {Kind: dialog.KindSetLocation, Arg: "kg"},
			"in kyrgyzstan": {Kind: dialog.KindSetLocation, Arg: "kg"}, "certified agency": {Kind: dialog.KindSetRoute, Arg: "agency"},
			"direct hiring": {Kind: dialog.KindSetRoute, Arg: "direct"}},
		Keywords: []dialog.Keyword{{Words: []string{"visa", "виз"}, Target: "topic:visa"}, {Words: []string{"contact"}, Target: "contacts"}},
	}
}

type step struct {
	in        dialog.Input
	wantState string
	wantSays  []dialog.Say
}

func choice(p string) dialog.Input { return dialog.Input{Kind: dialog.Choice, Text: p} }
func text(s string) dialog.Input   { return dialog.Input{Kind: dialog.Text, Text: s} }

func says(rs []dialog.Reply) []dialog.Say {
	var out []dialog.Say
	for _, r := range rs {
		out = append(out, r.Say)
	}
	return out
}

func TestConversations(t *testing.T) {
	t.Parallel()
	f := testFlow()
	tests := []struct {
		name  string
		steps []step
	}{
		{"a new user without a language is asked for one", []step{
			{text("hello"), "lang", []dialog.Say{dialog.SayAskLanguage}},
			{choice("l:en"), "role", []dialog.Say{dialog.SayWelcome, dialog.SayAskRole}},
		}},
		{"a language hint skips the language question", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "ru"}, "role", []dialog.Say{dialog.SayWelcome, dialog.SayAskRole}},
		}},
		{"a deep link preselects the role", []step{
			{dialog.Input{Kind: dialog.Start, Text: "worker", LangHint: "ky"}, "location", []dialog.Say{dialog.SayWelcome, dialog.SayAskLocation}},
		}},
		{"an employer walks the direct route to the end", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:employer"), "location", []dialog.Say{dialog.SayAskLocation}},
			{choice("w:kg"), "route", []dialog.Say{dialog.SayAskRoute}},
			{choice("rt:direct"), "step:direct:1", []dialog.Say{dialog.SayRouteChosen, dialog.SayStep}},
			{choice("n:A.1.1"), "step:direct:2", nil},
			{choice("n:A.4"), "step:direct:3", nil},
			{choice("n:A.5"), "step:direct:4", nil},
			{choice("fin:A.6"), "done:direct", []dialog.Say{dialog.SayDone}},
		}},
		{"a worker in Japan goes straight to the only route", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "ru"}, "role", nil},
			{choice("r:worker"), "location", nil},
			{choice("w:jp"), "step:japan:1", []dialog.Say{dialog.SayStep}},
		}},
		{"not sure compares the routes and asks again", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:other"), "location", nil},
			{choice("w:kg"), "route", nil},
			{choice("rt:compare"), "route", []dialog.Say{dialog.SayCompare}},
			{choice("notes"), "route", []dialog.Say{dialog.SayCompareNotes}},
		}},
		{"a stale next button says so and shows the present", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:employer"), "location", nil},
			{choice("w:kg"), "route", nil},
			{choice("rt:direct"), "step:direct:1", nil},
			{choice("n:A.1.1"), "step:direct:2", nil},
			{choice("n:A.1.1"), "step:direct:2", []dialog.Say{dialog.SayStale, dialog.SayStep}},
		}},
		{"back in the walk goes to the previous step, then to the route", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:employer"), "location", nil},
			{choice("w:kg"), "route", nil},
			{choice("rt:center"), "step:center:1", nil},
			{choice("n:A.2.1"), "step:center:2", nil},
			{choice(dialog.PayloadBack), "step:center:1", nil},
			{choice(dialog.PayloadBack), "route", nil},
			{choice("rt:center"), "step:center:1", nil},
		}},
		{"changing the route keeps the other answers", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:worker"), "location", nil},
			{choice("w:kg"), "route", nil},
			{choice("rt:direct"), "step:direct:1", nil},
			{choice("chg"), "change", []dialog.Say{dialog.SayChangeWhich}},
			{choice("chg:route"), "route", nil},
			{choice("rt:agency"), "step:agency:1", nil},
		}},
		{"typing a number picks that choice, typing a label presses it", []step{
			{text("hi"), "lang", nil},
			{text("2"), "role", nil},
			{text("ＥＭＰＬＯＹＥＲ"), "location", nil},
			{text("В Кыргызстане"), "route", nil},
			{text("1"), "step:direct:1", nil},
			{text("Next step"), "step:direct:2", nil},
		}},
		{"a keyword shows the route's step about it and the walk stays put", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "ru"}, "role", nil},
			{choice("r:worker"), "location", nil},
			{choice("w:kg"), "route", nil},
			{choice("rt:agency"), "step:agency:1", nil},
			{text("а как получить визу?"), "step:agency:1", []dialog.Say{dialog.SayStepSingle}},
			{choice("n:A.3.1"), "step:agency:2", nil},
		}},
		{"part of a label picks that choice before keywords", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:employer"), "location", nil},
			{text("kyrgyzstan"), "route", nil},
			{text("agency"), "step:agency:1", nil},
		}},
		{"without a reading, a keyword about another route's step is re-asked briefly", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:worker"), "location", nil},
			{choice("w:jp"), "step:japan:1", nil},
			{text("and the visa?"), "step:japan:1", []dialog.Say{dialog.SayReAsk}},
		}},
		{"a keyword before a route shows the step on its own", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{text("what about the visa"), "role", []dialog.Say{dialog.SayKeywordNoRoute, dialog.SayStepSingle, dialog.SayAskRole}},
		}},
		{"repeated misunderstandings offer a person", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{text("qwerty"), "role", []dialog.Say{dialog.SayNotUnderstood, dialog.SayAskRole}},
			{text("asdf"), "role", []dialog.Say{dialog.SayNotUnderstood, dialog.SayAskRole}},
			{text("zxcv"), "offer", []dialog.Say{dialog.SayOfferStaff}},
			{choice(dialog.PayloadStaff), "role", []dialog.Say{dialog.SayStaffRequested}},
		}},
		{"a typed number answers the offer of a person as shown", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{text("qwerty"), "role", nil},
			{text("asdf"), "role", nil},
			{text("zxcv"), "offer", nil},
			{text("1"), "role", []dialog.Say{dialog.SayStaffRequested}},
		}},
		{"continuing after the offer asks the question again", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{text("qwerty"), "role", nil},
			{text("asdf"), "role", nil},
			{text("zxcv"), "offer", nil},
			{text("2"), "role", []dialog.Say{dialog.SayAskRole}},
		}},
		{"after forgetting, any message starts again", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice(dialog.PayloadForget), "forget", nil},
			{choice("fy"), "", nil},
			{text("hi"), "role", []dialog.Say{dialog.SayWelcome, dialog.SayAskRole}},
		}},
		{"forget asks first, then erases", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice(dialog.PayloadForget), "forget", []dialog.Say{dialog.SayForgetConfirm}},
			{choice("fn"), "role", []dialog.Say{dialog.SayAskRole}},
			{choice(dialog.PayloadForget), "forget", nil},
			{choice("fy"), "", []dialog.Say{dialog.SayForgotten}},
		}},
		{"an expired session is announced and starts fresh", []step{
			{dialog.Input{Kind: dialog.Text, Text: "hi", LangHint: "en", Expired: true}, "role", []dialog.Say{dialog.SayExpired, dialog.SayWelcome, dialog.SayAskRole}},
		}},
		{"a sticker gets a polite answer and the question again", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "ja"}, "role", nil},
			{dialog.Input{Kind: dialog.Unsupported}, "role", []dialog.Say{dialog.SayUnsupported, dialog.SayAskRole}},
		}},
		{"a sticker at a step gets the short answer with the step's buttons, not the step again", []step{
			{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
			{choice("r:employer"), "location", nil},
			{choice("w:jp"), "step:japan:1", nil},
			{dialog.Input{Kind: dialog.Unsupported}, "step:japan:1", []dialog.Say{dialog.SayUnsupported}},
			{text("qwerty"), "step:japan:1", []dialog.Say{dialog.SayReAsk}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s dialog.Session
			for i, st := range tt.steps {
				res := dialog.Step(f, s, st.in)
				s = res.Session
				if got := s.Label(f); got != st.wantState {
					t.Fatalf("step %d (%v): state = %q, want %q", i, st.in, got, st.wantState)
				}
				if st.wantSays != nil && !reflect.DeepEqual(says(res.Replies), st.wantSays) {
					t.Fatalf("step %d (%v): says %v, want %v", i, st.in, says(res.Replies), st.wantSays)
				}
			}
		})
	}
}

// twoCountries adds a second sending country with routes of the same ids.
func twoCountries() *dialog.Flow {
	f := testFlow()
	f.Countries = []string{"kg", "uz"}
	for _, r := range append([]dialog.Route(nil), f.Routes...) {
		r.Country = "uz"
		f.Routes = append(f.Routes, r)
	}
	return f
}

func TestSeveralCountriesAskWhichOne(t *testing.T) {
	t.Parallel()
	f := twoCountries()
	var s dialog.Session
	for i, st := range []step{
		{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil},
		{choice("r:employer"), "country", []dialog.Say{dialog.SayAskCountry}},
		{choice("k:uz"), "location", nil},
		{choice(dialog.PayloadBack), "country", nil},
		{choice("k:uz"), "location", nil},
		{choice("w:kg"), "route", nil},
		{choice("rt:agency"), "step:agency:1", nil},
		{choice("chg"), "change", nil},
		{choice("chg:country"), "country", nil},
		{choice("k:kg"), "route", nil}, // the location answer stays; the route was the other country's
	} {
		res := dialog.Step(f, s, st.in)
		s = res.Session
		if got := s.Label(f); got != st.wantState {
			t.Fatalf("step %d: state %q, want %q", i, got, st.wantState)
		}
		if st.wantSays != nil && !reflect.DeepEqual(says(res.Replies), st.wantSays) {
			t.Fatalf("step %d: says %v, want %v", i, says(res.Replies), st.wantSays)
		}
	}
	if s.Country != "kg" || s.Route != "" {
		t.Fatalf("after changing the country: %+v", s)
	}
}

func TestForgetAsksTheCallerToErase(t *testing.T) {
	t.Parallel()
	f := testFlow()
	s := dialog.Step(f, dialog.Session{}, dialog.Input{Kind: dialog.Start, LangHint: "en"}).Session
	s = dialog.Step(f, s, choice(dialog.PayloadForget)).Session
	if res := dialog.Step(f, s, choice("fy")); !res.Forget {
		t.Fatal("confirming forget did not ask the caller to erase")
	}
}

func TestOldSessionsLoad(t *testing.T) {
	t.Parallel()
	f := testFlow()
	tests := []struct {
		name, session, wantState string
	}{
		{"an unknown step goes to the route's first step", `{"v":1,"l":"en","s":"step","r":"worker","w":"kg","rt":"direct","st":"A.9"}`, "step:direct:1"},
		{"an unknown route asks the route again", `{"v":1,"l":"en","s":"step","r":"worker","w":"kg","rt":"ship"}`, "route"},
		{"an unknown state asks the first open question", `{"v":1,"l":"en","s":"weird","r":"worker"}`, "location"},
		{"an unknown language asks for one", `{"v":1,"l":"fr","s":"role"}`, "lang"},
		{"a change menu over a vanished route returns to a valid question", `{"v":1,"l":"en","s":"change","r":"worker","w":"kg","rt":"gone","ret":"step"}`, "route"},
		{"a forget confirmation over a vanished route returns to a valid question", `{"v":1,"l":"en","s":"forget","r":"worker","w":"kg","rt":"gone","ret":"done"}`, "route"},
		{"a route of the wrong location is dropped", `{"v":1,"l":"en","s":"step","r":"worker","w":"jp","rt":"direct","st":"A.4"}`, "step:japan:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s dialog.Session
			if err := json.Unmarshal([]byte(tt.session), &s); err != nil {
				t.Fatal(err)
			}
			res := dialog.Step(f, s, choice("c"))
			if got := res.Session.Label(f); got != tt.wantState {
				t.Fatalf("state = %q, want %q", got, tt.wantState)
			}
			if len(res.Replies) == 0 {
				t.Fatal("no reply")
			}
		})
	}
}

func TestNormalizeText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  Next   Step! ": "next step",
		"ＣＯＥ":             "coe",
		"Виза?":           "виза",
		"次へ\u3000":        "次へ",
	} {
		if got := dialog.NormalizeText(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// valid checks the invariants every session must keep.
func valid(t testing.TB, f *dialog.Flow, s dialog.Session) {
	t.Helper()
	switch s.State {
	case dialog.StateStep, dialog.StateDone:
		r := f.Route(s.Country, s.Route)
		if r == nil || r.Index(s.Step) < 0 || s.Lang == "" || s.Role == "" {
			t.Fatalf("walk state without a valid route/step: %+v", s)
		}
	case dialog.StateRoute:
		if s.Location == "" {
			t.Fatalf("route question without a location: %+v", s)
		}
	}
}

func FuzzStep(f *testing.F) {
	flow := testFlow()
	f.Add(`{"v":1,"l":"en","s":"step","r":"worker","w":"kg","rt":"direct","st":"A.4"}`, "choice", "n:A.4")
	f.Add(`{}`, "text", "hello")
	f.Add(`{"v":7,"s":"forget","ret":"nowhere"}`, "choice", "fy")
	f.Add(`{"v":1,"l":"ky","s":"done","r":"other","w":"jp","rt":"japan","st":"B.2"}`, "text", "3")
	f.Fuzz(func(t *testing.T, session, kind, text string) {
		var s dialog.Session
		_ = json.Unmarshal([]byte(session), &s)
		res := dialog.Step(flow, s, dialog.Input{Kind: dialog.InputKind(kind), Text: text})
		if len(res.Replies) == 0 {
			t.Fatal("no reply")
		}
		if len(res.Replies) > 5 {
			t.Fatalf("%d replies", len(res.Replies))
		}
		valid(t, flow, res.Session)
		for _, r := range res.Replies {
			for _, p := range r.Choices {
				if w := p.String(); len(w) > 64 || strings.ContainsFunc(w, func(r rune) bool { return r > 127 }) {
					t.Fatalf("payload %q is not short ASCII", w)
				}
				if back, ok := dialog.Parse(p.String()); !ok || back != p {
					t.Fatalf("payload %q does not parse back (%+v)", p, back)
				}
			}
		}
		// The result must be stable: running it again from there works too.
		again := dialog.Step(flow, res.Session, dialog.Input{Kind: dialog.Choice, Text: "c"})
		valid(t, flow, again.Session)
	})
}

// FuzzStepFields builds sessions field by field, so stale combinations
// (an aside over a vanished route, a walk without a role) are reached.
func FuzzStepFields(f *testing.F) {
	flow := testFlow()
	f.Add("en", "change", "worker", "kg", "gone", "", "step", 0, "choice", "c")
	f.Add("en", "forget", "worker", "kg", "gone", "", "done", 0, "choice", "fn")
	f.Add("ru", "offer", "other", "jp", "japan", "B.2", "step", 2, "text", "1")
	f.Add("ky", "done", "", "kg", "agency", "A.4", "", 0, "choice", dialog.PayloadBack)
	f.Fuzz(func(t *testing.T, lang, state, role, loc, route, stepID, ret string, misses int, kind, text string) {
		s := dialog.Session{V: 1, Lang: lang, State: dialog.State(state), Role: role, Location: loc,
			Route: route, Step: stepID, Return: dialog.State(ret), Misses: misses}
		res := dialog.Step(flow, s, dialog.Input{Kind: dialog.InputKind(kind), Text: text})
		if len(res.Replies) == 0 {
			t.Fatal("no reply")
		}
		valid(t, flow, res.Session)
		for _, p := range []string{"c", dialog.PayloadBack, "fn", "1", "2"} {
			valid(t, flow, dialog.Step(flow, res.Session, dialog.Input{Kind: dialog.Choice, Text: p}).Session)
		}
	})
}

func BenchmarkStep(b *testing.B) {
	f := testFlow()
	s := dialog.Session{V: 1, Lang: "en", State: dialog.StateStep, Role: "employer", Location: "kg", Route: "agency", Step: "A.3.1"}
	in := choice("n:A.3.1")
	b.ReportAllocs()
	for b.Loop() {
		_ = dialog.Step(f, s, in)
	}
}

func TestGraphWithSeveralCountries(t *testing.T) {
	t.Parallel()
	g := dialog.Graph(twoCountries(), nil)
	for _, want := range []string{"role -->|employer / worker / other| country{Sending country}", "country -->|uz| uz_location", "uz_route_kg -->|agency| uz_agency_A_3_1"} {
		if !strings.Contains(g, want) {
			t.Errorf("the graph lacks %q:\n%s", want, g)
		}
	}
}

// NeedsReading lets the caller skip reading typed text: wherever it says
// the reading is not needed, Step must do the same with a reading that
// would change the answer (a confident "help") as with none; and ordinary
// sentences must still be read.
func TestNeedsReadingOnlySkipsWhatStepIgnores(t *testing.T) {
	f := testFlow()
	help := dialog.Reading{Confident: true, Matches: []dialog.Meaning{{Slot: dialog.SlotControl, Value: "help", Score: 1, Confident: true}}}
	states := []dialog.State{"", dialog.StateLang, dialog.StateRole, dialog.StateLocation, dialog.StateRoute, dialog.StateStep,
		dialog.StateDone, dialog.StateChange, dialog.StateForget, dialog.StateOffer, "nowhere"}
	texts := []string{"1", " 2 ", "３", "4", "7", "9", "0", "-1", "english", "Next step", "employer", "direct hiring", "hello",
		"I need help", "visa", ""}
	skipped, read := 0, 0
	for _, st := range states {
		for _, lang := range []string{"", "en"} {
			for _, route := range []string{"", "agency", "japan"} {
				s := dialog.Session{V: 1, Lang: lang, State: st, Role: "employer", Location: "kg", Route: route, Return: dialog.StateStep}
				if route == "agency" {
					s.Step = "A.3.2"
				} else if route == "japan" {
					s.Location, s.Step = "jp", "B.1"
				}
				for _, tx := range texts {
					for _, expired := range []bool{false, true} {
						in := dialog.Input{Kind: dialog.Text, Text: tx, Expired: expired}
						if dialog.NeedsReading(f, s, in) {
							read++
							continue
						}
						skipped++
						without := dialog.Step(f, s, in)
						in.Reading = help
						if with := dialog.Step(f, s, in); !reflect.DeepEqual(with, without) {
							t.Fatalf("%+v, text %q: NeedsReading says no, but the reading changes the turn:\n%+v\n%+v", s, tx, with, without)
						}
					}
				}
			}
		}
	}
	if skipped == 0 || read == 0 {
		t.Fatalf("skipped %d, read %d: want both", skipped, read)
	}
	if dialog.NeedsReading(f, dialog.Session{V: 1, Lang: "en", State: dialog.StateRole}, text("we help our students")) == false {
		t.Error("a sentence at the role question is not read")
	}
	if dialog.NeedsReading(f, dialog.Session{V: 1, Lang: "en", State: dialog.StateRole}, choice("r:worker")) {
		t.Error("a button press is read")
	}
}

// A turn stays on the stack: Step allocates only its result's slices.
// (A call through a table of functions once moved every turn to the heap,
// one allocation of about 650 bytes more per event; see dispatch.)
func TestStepKeepsTheTurnOffTheHeap(t *testing.T) {
	f := testFlow()
	s := dialog.Session{V: 1, Lang: "en", State: dialog.StateStep, Role: "employer", Location: "kg", Route: "agency", Step: "A.3.1"}
	in := choice("n:A.3.1")
	if n := testing.AllocsPerRun(100, func() { _ = dialog.Step(f, s, in) }); n > 4 {
		t.Errorf("Step made %.0f allocations; want at most 4", n)
	}
}
