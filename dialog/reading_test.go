package dialog_test

import (
	"reflect"
	"testing"

	"example.com/sswbot/dialog"
)

// read is typed text with the reading the bot's model would give it.
func read(text string, ms ...dialog.Meaning) dialog.Input {
	r := dialog.Reading{Matches: ms}
	if len(ms) > 0 {
		r.Confident = ms[0].Confident
	}
	return dialog.Input{Kind: dialog.Text, Text: text, Reading: r}
}

func sure(slot, value string) dialog.Meaning {
	return dialog.Meaning{Slot: slot, Value: value, Score: 1, Confident: true}
}

func unsure(slot, value string, score float64) dialog.Meaning {
	return dialog.Meaning{Slot: slot, Value: value, Score: score}
}

func TestReadings(t *testing.T) {
	t.Parallel()
	f := testFlow()
	start := step{dialog.Input{Kind: dialog.Start, LangHint: "en"}, "role", nil}
	worker := step{choice("r:worker"), "location", nil}
	inKG := step{choice("w:kg"), "route", nil}
	inJP := step{choice("w:jp"), "step:japan:1", nil}
	negated := unsure("route", "agency", 1)
	negated.Negated = true
	tests := []struct {
		name  string
		steps []step
	}{
		{"one sentence answers three questions and lands on the step", []step{start,
			{read("We are a Japanese company hiring a worker still in Bishkek, through a certified agency",
				sure("role", "employer"), sure("location", "kg"), sure("route", "agency")),
				"step:agency:1", []dialog.Say{dialog.SayUnderstood, dialog.SayStep}},
		}},
		{"one answer is taken without a summary", []step{start,
			{read("I'm looking for a job", sure("role", "worker")), "location", []dialog.Say{dialog.SayAskLocation}},
		}},
		{"an unsure answer asks which was meant", []step{start, worker, inKG,
			{read("agent-ish", unsure("route", "agency", 0.6), unsure("topic", "agency", 0.5)), "route", []dialog.Say{dialog.SayClarify}},
		}},
		{"a ruled-out answer offers the others", []step{start, worker, inKG,
			{read("no agency involved", negated), "route", []dialog.Say{dialog.SayClarify}},
		}},
		{"thanks gets a polite answer and does not move", []step{start, worker, inJP,
			{read("thanks!", sure("control", "thanks")), "step:japan:1", []dialog.Say{dialog.SayAckThanks}},
		}},
		{"ok at a question does not answer it", []step{start,
			{read("ok", sure("control", "ok")), "role", []dialog.Say{dialog.SayAckOK}},
		}},
		{"gibberish is not understood and moves nobody", []step{start, worker, inJP,
			{read("asdfgh"), "step:japan:1", []dialog.Say{dialog.SayReAsk}},
		}},
		{"an unsure control word is not acted on", []step{start, worker, inJP,
			{read("we help our students", unsure("control", "help", 0.4)), "step:japan:1", []dialog.Say{dialog.SayReAsk}},
		}},
		{"a question the document does not answer gets an honest answer", []step{start, worker, inJP,
			{read("how much is the rent?", sure("oos", "housing")), "step:japan:1", []dialog.Say{dialog.SayOutOfScope}},
		}},
		// Either reading may score higher; both are answered, the honest one first.
		{"a question about a step's detail the document lacks gets both answers", []step{start, worker, inJP,
			{read("how much is the visa?", sure("oos", "fees"), sure("topic", "visa")), "step:japan:1", []dialog.Say{dialog.SayOutOfScope, dialog.SayOtherRoute}},
		}},
		{"the same with the topic read first", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("how long does the visa take", sure("topic", "visa"), sure("oos", "duration")), "step:direct:1", []dialog.Say{dialog.SayOutOfScope, dialog.SayStepSingle}},
		}},
		{"a weaker out-of-scope reading after a topic is left alone", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("виза алдым эми эмне кылам", sure("topic", "visa"), dialog.Meaning{Slot: "oos", Value: "family", Score: 0.8, Confident: true}), "step:direct:1", []dialog.Say{dialog.SayStepSingle}},
		}},
		{"an unsure out-of-scope reading leaves the topic alone", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("when do I get the visa", sure("topic", "visa"), unsure("oos", "application_status", 0.46)), "step:direct:1", []dialog.Say{dialog.SayStepSingle}},
		}},
		{"a topic of another route is explained", []step{start, worker, inJP,
			{read("and the visa?", sure("topic", "visa")), "step:japan:1", []dialog.Say{dialog.SayOtherRoute}},
		}},
		{"a topic of the route shows its step", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("what about the visa", sure("topic", "visa")), "step:direct:1", []dialog.Say{dialog.SayStepSingle}},
		}},
		{"a typed request for another language asks which", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("in russian please", sure("control", "lang")), "lang", nil},
			{choice("l:ru"), "step:direct:1", nil},
		}},
		{"a typed request for all steps shows the checklist", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("how many steps are left", sure("control", "all")), "step:direct:1", []dialog.Say{dialog.SayChecklist}},
		}},
		{"all steps before a route asks on", []step{start, worker,
			{read("all steps", sure("control", "all")), "location", nil},
		}},
		{"next moves along the walk", []step{start, worker, inKG, {choice("rt:direct"), "step:direct:1", nil},
			{read("what's next", sure("control", "next")), "step:direct:2", []dialog.Say{dialog.SayStep}},
		}},
		{"yes confirms forgetting only where it is asked", []step{start, worker,
			{read("yes", sure("control", "yes")), "location", []dialog.Say{dialog.SayAckOK}},
			{choice("g:forget"), "forget", nil},
			{read("yes", sure("control", "yes")), "", []dialog.Say{dialog.SayForgotten}},
		}},
		{"an answer after repeated misses replaces the offer of a person", []step{start, worker, inJP,
			{read("x"), "step:japan:1", nil}, {read("y"), "step:japan:1", nil}, {read("z"), "offer", nil},
			{read("what about the contract", sure("topic", "contract")), "step:japan:1", []dialog.Say{dialog.SayStep}},
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
					t.Fatalf("step %d (%q): state = %q, want %q (%v)", i, st.in.Text, got, st.wantState, says(res.Replies))
				}
				if st.wantSays != nil && !reflect.DeepEqual(says(res.Replies), st.wantSays) {
					t.Fatalf("step %d (%q): says %v, want %v", i, st.in.Text, says(res.Replies), st.wantSays)
				}
			}
		})
	}
}

// A topic of another route names the step of the user's route that plays
// its part where the content says one does.
func TestATopicOfAnotherRouteNamesTheStepInItsPlace(t *testing.T) {
	f := testFlow()
	japan := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "jp", Route: "japan", Step: "B.1", State: dialog.StateStep}
	direct := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", Route: "direct", Step: "A.1.1", State: dialog.StateStep}
	for _, tt := range []struct {
		s             dialog.Session
		topic         string
		step, instead string
	}{
		{japan, "visa", "A.5", "B.2"},
		{japan, "coe", "A.4", "B.2"},
		{direct, "change_of_status", "", ""}, // no route has it: not explained
	} {
		res := dialog.Step(f, tt.s, read("?", sure("topic", tt.topic)))
		r := res.Replies[0]
		if tt.step == "" {
			if r.Say == dialog.SayOtherRoute {
				t.Errorf("%s on %s: %+v, want no explanation", tt.topic, tt.s.Route, r)
			}
			continue
		}
		if r.Say != dialog.SayOtherRoute || r.Step != tt.step || r.Instead != tt.instead {
			t.Errorf("%s on %s: %s step %q instead %q, want other_route %q instead %q", tt.topic, tt.s.Route, r.Say, r.Step, r.Instead, tt.step, tt.instead)
		}
		if res.Session.Route != tt.s.Route || res.Session.Step != tt.s.Step {
			t.Errorf("%s on %s moved the user to %s %s", tt.topic, tt.s.Route, res.Session.Route, res.Session.Step)
		}
	}
}

func TestClarifyOffersTheReadingsAsButtons(t *testing.T) {
	f := testFlow()
	s := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", State: dialog.StateRoute}
	in := read("agency?", unsure("route", "agency", 0.6))
	in.Reading.Alternatives = []dialog.Meaning{unsure("route", "center", 0.5)}
	res := dialog.Step(f, s, in)
	var got []string
	for _, p := range res.Replies[0].Choices {
		got = append(got, p.String())
	}
	want := []string{"rt:agency", "rt:center", "rt:compare", "g:back"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("choices = %v, want %v", got, want)
	}
}

func TestExpect(t *testing.T) {
	f := testFlow()
	for _, tt := range []struct {
		s    dialog.Session
		want []string
	}{
		{dialog.Session{V: 1, Lang: "en", State: dialog.StateRole}, []string{"role"}},
		{dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", State: dialog.StateRoute}, []string{"route"}},
		{dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "jp", Route: "japan", Step: "B.1", State: dialog.StateStep}, nil},
	} {
		if got := dialog.Expect(f, tt.s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Expect(%s) = %v, want %v", tt.s.State, got, tt.want)
		}
	}
}

// Both answers end with the buttons of where the user is, and a person
// among them (the out-of-scope answer offers one); a topic with no step to
// show leaves the out-of-scope answer alone, with its own buttons.
func TestBothAnswersOfferAPerson(t *testing.T) {
	f := testFlow()
	direct := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", Route: "direct", Step: "A.1.1", State: dialog.StateStep}
	for _, tt := range []struct {
		topic string
		says  []dialog.Say
	}{
		{"visa", []dialog.Say{dialog.SayOutOfScope, dialog.SayStepSingle}},
		{"change_of_status", []dialog.Say{dialog.SayOutOfScope}}, // no route of the user's country has it
		{"contract", []dialog.Say{dialog.SayOutOfScope}},         // the step on the screen: not again
	} {
		res := dialog.Step(f, direct, read("how long does it take", sure("oos", "duration"), sure("topic", tt.topic)))
		if got := says(res.Replies); !reflect.DeepEqual(got, tt.says) {
			t.Fatalf("%s: says %v, want %v", tt.topic, got, tt.says)
		}
		if res.Replies[0].Step != "duration" {
			t.Errorf("%s: out-of-scope answer about %q, want duration", tt.topic, res.Replies[0].Step)
		}
		last := res.Replies[len(res.Replies)-1]
		var staff, next bool
		for _, p := range last.Choices {
			staff = staff || p.Kind == dialog.KindStaff
			next = next || p.Kind == dialog.KindNext
		}
		if !staff || !next {
			t.Errorf("%s: last buttons %v, want the walk's with a person", tt.topic, last.Choices)
		}
		if res.Session.Step != direct.Step || res.Session.State != direct.State {
			t.Errorf("%s moved the user to %s %s", tt.topic, res.Session.State, res.Session.Step)
		}
	}
}

// A sentence that starts the conversation or answers the language question
// chooses the language it is written in, and answers what it says.
func TestATypedLanguageChooses(t *testing.T) {
	f := testFlow()
	typed := func(text, lang, hint string, ms ...dialog.Meaning) dialog.Input {
		in := read(text, ms...)
		in.TypedLang, in.LangHint = lang, hint
		return in
	}
	atLang := dialog.Step(f, dialog.Session{}, dialog.Input{Kind: dialog.Start}).Session
	walk := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", Route: "direct", Step: "A.1.1", State: dialog.StateStep}
	relang := dialog.Step(f, walk, choice("g:lang")).Session
	for _, tt := range []struct {
		name      string
		s         dialog.Session
		in        dialog.Input
		lang      string
		wantState string
		says      []dialog.Say
	}{
		{"a first message in Russian on a Japanese phone", dialog.Session{}, typed("Здравствуйте, я ищу работу", "ru", "ja", sure("role", "worker")),
			"ru", "location", []dialog.Say{dialog.SayWelcome, dialog.SayAskLocation}},
		{"a first message saying two answers", dialog.Session{}, typed("we are a company, the worker is in Bishkek", "en", "", sure("role", "employer"), sure("location", "kg")),
			"en", "route", []dialog.Say{dialog.SayWelcome, dialog.SayUnderstood, dialog.SayAskRoute}},
		{"a first message answering nothing asks", dialog.Session{}, typed("hello", "en", "ja", sure("control", "hello")),
			"en", "role", []dialog.Say{dialog.SayWelcome, dialog.SayAskRole}},
		{"a first message in no language asks for one", dialog.Session{}, typed("12345", "", ""),
			"", "lang", []dialog.Say{dialog.SayAskLanguage}},
		{"a sentence at the language question", atLang, typed("мен жумуш издейм", "ky", "", sure("role", "worker")),
			"ky", "location", []dialog.Say{dialog.SayWelcome, dialog.SayAskLocation}},
		{"a sentence when changing the language goes back", relang, typed("по-русски", "ru", ""),
			"ru", "step:direct:1", []dialog.Say{dialog.SayStep}},
		{"in the walk, another script goes on in its language", walk, typed("что дальше", "ru", "", sure("control", "next")),
			"ru", "step:direct:2", []dialog.Say{dialog.SayStep}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := dialog.Step(f, tt.s, tt.in)
			if res.Session.Lang != tt.lang || res.Session.Label(f) != tt.wantState {
				t.Errorf("lang %q state %q, want %q %q", res.Session.Lang, res.Session.Label(f), tt.lang, tt.wantState)
			}
			if got := says(res.Replies); !reflect.DeepEqual(got, tt.says) {
				t.Errorf("says %v, want %v", got, tt.says)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		s      dialog.Session
		in     dialog.Input
		lang   string
		expect []string
	}{
		{"a first message: the question after the language", dialog.Session{}, typed("x", "ru", "ja"), "ru", []string{"role"}},
		{"the platform's language without a typed one", dialog.Session{}, typed("x", "", "ja"), "ja", []string{"role"}},
		{"at the language question, typed", atLang, typed("x", "ky", ""), "ky", []string{"role"}},
		{"at the language question, not typed", atLang, typed("x", "", ""), "", nil},
		{"in the walk the session's", walk, typed("x", "", ""), "en", nil},
		{"in the walk another script's", walk, typed("x", "ru", ""), "ru", nil},
	} {
		lang, expect := dialog.ReadAs(f, tt.s, tt.in)
		if lang != tt.lang || !reflect.DeepEqual(expect, tt.expect) {
			t.Errorf("%s: ReadAs = %q %v, want %q %v", tt.name, lang, expect, tt.lang, tt.expect)
		}
	}
}

// An unsure topic in the walk asks which step is meant, each a button that
// shows it; topics of one step show it; the buttons show only steps of the
// user's route.
func TestAnUnsureTopicInTheWalkAsksWhichStep(t *testing.T) {
	f := testFlow()
	direct := dialog.Session{V: 1, Lang: "en", Role: "worker", Country: "kg", Location: "kg", Route: "direct", Step: "A.1.1", State: dialog.StateStep}
	unsureRead := func(top dialog.Meaning, alts ...dialog.Meaning) dialog.Input {
		in := read("?", top)
		in.Reading.Alternatives = alts
		return in
	}
	topic := func(v string, score float64) dialog.Meaning { return unsure("topic", v, score) }

	res := dialog.Step(f, direct, unsureRead(topic("coe", 0.6), topic("visa", 0.55), topic("landing", 0.52)))
	if got := says(res.Replies); !reflect.DeepEqual(got, []dialog.Say{dialog.SayClarify}) {
		t.Fatalf("says %v, want clarify", got)
	}
	ch := res.Replies[0].Choices
	if len(ch) < 3 || ch[0] != (dialog.Payload{Kind: dialog.KindShowStep, Arg: "A.4"}) || ch[1] != (dialog.Payload{Kind: dialog.KindShowStep, Arg: "A.5"}) ||
		ch[2].Kind == dialog.KindShowStep || !hasKind(ch, dialog.KindStaff) {
		t.Errorf("choices %v, want A.4 and A.5 (no step for landing), then the walk's", ch)
	}
	if res.Session.Step != "A.1.1" || res.Unrecognized {
		t.Errorf("moved to %s or counted a miss", res.Session.Step)
	}

	// a weak alternative is not offered; two topics of one step show it
	res = dialog.Step(f, direct, unsureRead(topic("coe", 0.6), topic("visa", 0.4)))
	if ch := res.Replies[0].Choices; ch[1].Kind == dialog.KindShowStep {
		t.Errorf("choices %v: a 0.4 reading offered", ch)
	}
	agency := direct
	agency.Route, agency.Step = "agency", "A.3.1"
	f.Routes[2].Steps[1].Topics = []string{"contract", "recruitment"}
	res = dialog.Step(f, agency, unsureRead(topic("recruitment", 0.65), topic("contract", 0.6)))
	if got := says(res.Replies); !reflect.DeepEqual(got, []dialog.Say{dialog.SayStepSingle}) || res.Replies[0].Step != "A.3.2" {
		t.Errorf("two topics of A.3.2: says %v %+v, want step_single A.3.2", got, res.Replies)
	}

	for _, tt := range []struct {
		press string
		says  []dialog.Say
	}{
		{"s:A.5", []dialog.Say{dialog.SayStepSingle}},
		{"s:A.1.1", []dialog.Say{dialog.SayStep}},                // the one on the screen
		{"s:B.2", []dialog.Say{dialog.SayStale, dialog.SayStep}}, // another route's
	} {
		res := dialog.Step(f, direct, choice(tt.press))
		if got := says(res.Replies); !reflect.DeepEqual(got, tt.says) || res.Session.Step != "A.1.1" {
			t.Errorf("%s: says %v at %s, want %v at A.1.1", tt.press, got, res.Session.Step, tt.says)
		}
	}
}

func hasKind(ps []dialog.Payload, k dialog.Kind) bool {
	for _, p := range ps {
		if p.Kind == k {
			return true
		}
	}
	return false
}
