package line_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"example.com/sswbot/adapters/line"
	"example.com/sswbot/bot"
)

// fakeMenus answers LINE's rich menu endpoints like the Messaging API, on
// two hosts as LINE has them: api.line.me (menus, aliases, default, user
// links) and api-data.line.me (images). Other requests on the API host go
// to next (the message fake) when set.
type fakeMenus struct {
	API, Data string
	next      http.Handler

	mu      sync.Mutex
	seq     int
	menus   map[string]*fakeMenu // by id
	order   []string             // ids in creation order
	aliases map[string]string    // alias → menu id
	def     string
	links   map[string]string // user → menu id
	reads   int               // alias reads
	writes  []string          // every state-changing call, "METHOD path"
	fail    map[string]int    // "METHOD path-prefix" → status to answer
}

type fakeMenu struct {
	req   json.RawMessage
	name  string
	image []byte
}

func newFakeMenus(tb testing.TB, next http.Handler) *fakeMenus {
	f := &fakeMenus{next: next, menus: map[string]*fakeMenu{}, aliases: map[string]string{},
		links: map[string]string{}, fail: map[string]int{}}
	api := http.NewServeMux()
	api.HandleFunc("GET /v2/bot/richmenu/list", f.list)
	api.HandleFunc("POST /v2/bot/richmenu", f.create)
	api.HandleFunc("DELETE /v2/bot/richmenu/{id}", f.delete)
	api.HandleFunc("GET /v2/bot/richmenu/alias/list", f.aliasList)
	api.HandleFunc("GET /v2/bot/richmenu/alias/{alias}", f.aliasGet)
	api.HandleFunc("POST /v2/bot/richmenu/alias", f.aliasCreate)
	api.HandleFunc("POST /v2/bot/richmenu/alias/{alias}", f.aliasUpdate)
	api.HandleFunc("DELETE /v2/bot/richmenu/alias/{alias}", f.aliasDelete)
	api.HandleFunc("GET /v2/bot/user/all/richmenu", f.defGet)
	api.HandleFunc("POST /v2/bot/user/all/richmenu/{id}", f.defSet)
	api.HandleFunc("POST /v2/bot/user/{user}/richmenu/{id}", f.link)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if f.next != nil {
			f.next.ServeHTTP(w, r)
			return
		}
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
	})
	data := http.NewServeMux()
	data.HandleFunc("POST /v2/bot/richmenu/{id}/content", f.upload)
	data.HandleFunc("GET /v2/bot/richmenu/{id}/content", f.download)
	as := httptest.NewServer(f.guard(api))
	ds := httptest.NewServer(f.guard(data))
	tb.Cleanup(as.Close)
	tb.Cleanup(ds.Close)
	f.API, f.Data = as.URL, ds.URL
	return f
}

// guard checks the token, records state-changing calls and injects failures.
func (f *fakeMenus) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/richmenu") {
			h.ServeHTTP(w, r) // the message fake checks its own requests
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Authentication failed"}`)
			return
		}
		f.mu.Lock()
		if r.Method != http.MethodGet {
			f.writes = append(f.writes, r.Method+" "+r.URL.Path)
		}
		for k, st := range f.fail {
			if strings.HasPrefix(r.Method+" "+r.URL.Path, k) {
				f.mu.Unlock()
				writeJSON(w, st, `{"message":"injected failure"}`)
				return
			}
		}
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (f *fakeMenus) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []json.RawMessage
	for _, id := range f.order {
		m := f.menus[id]
		var obj map[string]any
		_ = json.Unmarshal(m.req, &obj)
		obj["richMenuId"] = id
		b, _ := json.Marshal(obj)
		out = append(out, b)
	}
	b, _ := json.Marshal(map[string]any{"richmenus": append([]json.RawMessage{}, out...)})
	writeJSON(w, http.StatusOK, string(b))
}

// create checks the request as LINE documents it: size, at most 20 areas
// inside the image, chat bar text 1-14 characters, name ≤ 300, postback
// actions with a label ≤ 20 and data ≤ 300.
func (f *fakeMenus) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Size struct {
			Width, Height int
		} `json:"size"`
		Selected    *bool  `json:"selected"`
		Name        string `json:"name"`
		ChatBarText string `json:"chatBarText"`
		Areas       []struct {
			Bounds struct {
				X, Y, Width, Height int
			} `json:"bounds"`
			Action struct {
				Type, Label, Data, DisplayText string
			} `json:"action"`
		} `json:"areas"`
	}
	bad := func(msg string) { writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"message":%q}`, msg)) }
	if err := json.Unmarshal(body, &req); err != nil {
		bad("The request body has 1 error(s)")
		return
	}
	switch {
	case !(req.Size.Width == 2500 && (req.Size.Height == 1686 || req.Size.Height == 843)) && !(req.Size.Width == 1200 && req.Size.Height == 405):
		bad("invalid size")
		return
	case req.Selected == nil || req.Name == "" || utf8.RuneCountInString(req.Name) > 300:
		bad("invalid selected or name")
		return
	case utf8.RuneCountInString(req.ChatBarText) < 1 || utf8.RuneCountInString(req.ChatBarText) > 14:
		bad("invalid chatBarText")
		return
	case len(req.Areas) < 1 || len(req.Areas) > 20:
		bad("invalid areas")
		return
	}
	for _, a := range req.Areas {
		b := a.Bounds
		if b.X < 0 || b.Y < 0 || b.Width <= 0 || b.Height <= 0 || b.X+b.Width > req.Size.Width || b.Y+b.Height > req.Size.Height {
			bad("area out of bounds")
			return
		}
		if a.Action.Type != "postback" || a.Action.Data == "" || len(a.Action.Data) > 300 ||
			utf8.RuneCountInString(a.Action.Label) > 20 || utf8.RuneCountInString(a.Action.DisplayText) > 300 {
			bad("invalid action")
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("richmenu-%032d", f.seq)
	f.menus[id] = &fakeMenu{req: body, name: req.Name}
	f.order = append(f.order, id)
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"richMenuId":%q}`, id))
}

func (f *fakeMenus) delete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if f.menus[id] == nil {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
		return
	}
	delete(f.menus, id)
	for i, x := range f.order {
		if x == id {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	if f.def == id {
		f.def = ""
	}
	for u, m := range f.links {
		if m == id {
			delete(f.links, u)
		}
	}
	writeJSON(w, http.StatusOK, `{}`)
}

func (f *fakeMenus) aliasList(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]string{}
	for a, id := range f.aliases {
		out = append(out, map[string]string{"richMenuAliasId": a, "richMenuId": id})
	}
	b, _ := json.Marshal(map[string]any{"aliases": out})
	writeJSON(w, http.StatusOK, string(b))
}

func (f *fakeMenus) aliasGet(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	id, ok := f.aliases[r.PathValue("alias")]
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"message":"richmenu alias not found"}`)
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"richMenuAliasId":%q,"richMenuId":%q}`, r.PathValue("alias"), id))
}

func (f *fakeMenus) aliasCreate(w http.ResponseWriter, r *http.Request) {
	var req struct{ RichMenuAliasId, RichMenuId string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.menus[req.RichMenuId] == nil || f.menus[req.RichMenuId].image == nil:
		writeJSON(w, http.StatusBadRequest, `{"message":"richmenu not found or has no image"}`)
	case f.aliases[req.RichMenuAliasId] != "":
		writeJSON(w, http.StatusBadRequest, `{"message":"conflict richmenu alias id"}`)
	default:
		f.aliases[req.RichMenuAliasId] = req.RichMenuId
		writeJSON(w, http.StatusOK, `{}`)
	}
}

func (f *fakeMenus) aliasUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct{ RichMenuId string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	defer f.mu.Unlock()
	a := r.PathValue("alias")
	switch {
	case f.aliases[a] == "":
		writeJSON(w, http.StatusNotFound, `{"message":"richmenu alias not found"}`)
	case f.menus[req.RichMenuId] == nil || f.menus[req.RichMenuId].image == nil:
		writeJSON(w, http.StatusBadRequest, `{"message":"richmenu not found or has no image"}`)
	default:
		f.aliases[a] = req.RichMenuId
		writeJSON(w, http.StatusOK, `{}`)
	}
}

func (f *fakeMenus) aliasDelete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.aliases, r.PathValue("alias"))
	writeJSON(w, http.StatusOK, `{}`)
}

func (f *fakeMenus) defGet(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.def == "" {
		writeJSON(w, http.StatusNotFound, `{"message":"no default richmenu"}`)
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"richMenuId":%q}`, f.def))
}

func (f *fakeMenus) defSet(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if f.menus[id] == nil || f.menus[id].image == nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"must upload richmenu image before applying it to user"}`)
		return
	}
	f.def = id
	writeJSON(w, http.StatusOK, `{}`)
}

func (f *fakeMenus) link(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if f.menus[id] == nil || f.menus[id].image == nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"must upload richmenu image before applying it to user"}`)
		return
	}
	f.links[r.PathValue("user")] = id
	writeJSON(w, http.StatusOK, `{}`)
}

// upload takes a PNG or JPEG of at most 1 MB, once per menu, with the
// menu's size.
func (f *fakeMenus) upload(w http.ResponseWriter, r *http.Request) {
	img, _ := io.ReadAll(r.Body)
	ct := r.Header.Get("Content-Type")
	if ct != "image/png" && ct != "image/jpeg" {
		writeJSON(w, http.StatusBadRequest, `{"message":"invalid content type"}`)
		return
	}
	if len(img) > 1<<20 {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"image too large"}`)
		return
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.menus[r.PathValue("id")]
	switch {
	case m == nil:
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
	case m.image != nil:
		writeJSON(w, http.StatusBadRequest, `{"message":"An image has already been uploaded to the richmenu"}`)
	case err != nil:
		writeJSON(w, http.StatusBadRequest, `{"message":"invalid image"}`)
	default:
		var size struct{ Size struct{ Width, Height int } }
		_ = json.Unmarshal(m.req, &size)
		if cfg.Width != size.Size.Width || cfg.Height != size.Size.Height {
			writeJSON(w, http.StatusBadRequest, `{"message":"image size does not match"}`)
			return
		}
		m.image = img
		writeJSON(w, http.StatusOK, `{}`)
	}
}

func (f *fakeMenus) download(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.menus[r.PathValue("id")]
	if m == nil || m.image == nil {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(m.image)
}

// Writes returns the state-changing calls so far and forgets them.
func (f *fakeMenus) Writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.writes
	f.writes = nil
	return w
}

// testMenus are four menus with labels in every script the content uses.
func testMenus() []line.Menu {
	labels := map[string][]string{
		"ja": {"すべての手順", "連絡先", "担当者と話す", "言語", "最初からやり直す"},
		"en": {"All steps", "Contacts", "Talk to a person", "Language", "Start over"},
		"ru": {"Все шаги", "Контакты", "Связь с оператором", "Язык", "Начать заново"},
		"ky": {"Бардык кадамдар", "Байланыштар", "Операторго кайрылуу", "Тил", "Кайра баштоо"},
	}
	payloads := []string{bot.PayloadAll, bot.PayloadContacts, bot.PayloadStaff, bot.PayloadLang, bot.PayloadRestart}
	var out []line.Menu
	for _, lang := range []string{"ja", "en", "ru", "ky"} {
		m := line.Menu{Lang: lang, ChatBar: map[string]string{"ja": "メニュー", "en": "Menu", "ru": "Меню", "ky": "Меню"}[lang]}
		for i, l := range labels[lang] {
			m.Items = append(m.Items, line.MenuItem{Label: l, Payload: payloads[i]})
		}
		out = append(out, m)
	}
	return out
}

func setupConfig(f *fakeMenus, out io.Writer) line.SetupConfig {
	return line.SetupConfig{AccessToken: token, APIBaseURL: f.API, DataBaseURL: f.Data, Default: "ja", Out: out, Accent: 2}
}

func TestMenuImage(t *testing.T) {
	for _, m := range testMenus() {
		b, err := line.MenuImage(m, 2)
		if err != nil {
			t.Fatalf("%s: %v", m.Lang, err)
		}
		if len(b) > 1<<20 {
			t.Errorf("%s: %d bytes, LINE takes at most 1 MB", m.Lang, len(b))
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", m.Lang, err)
		}
		if got := img.Bounds().Size(); got != image.Pt(line.MenuWidth, line.MenuHeight) || got != image.Pt(2500, 843) {
			t.Errorf("%s: size %v", m.Lang, got)
		}
		// Every area has ink: its label was drawn.
		for i, r := range [][4]int{{0, 0, 833, 421}, {833, 0, 1666, 421}, {1666, 0, 2500, 421}, {0, 421, 1250, 843}, {1250, 421, 2500, 843}} {
			bg := img.At(r[0]+10, r[1]+10)
			inked := 0
			for y := r[1] + 20; y < r[3]-20; y += 3 {
				for x := r[0] + 20; x < r[2]-20; x += 3 {
					if img.At(x, y) != bg {
						inked++
					}
				}
			}
			if inked < 200 {
				t.Errorf("%s: area %d (%q) has almost no ink (%d samples)", m.Lang, i, m.Items[i].Label, inked)
			}
		}
	}
}

func TestMenuImageRejects(t *testing.T) {
	m := testMenus()[0]
	m.Items = m.Items[:4]
	if _, err := line.MenuImage(m, -1); err == nil {
		t.Error("a menu of 4 items was drawn into a layout of 5")
	}
	m = testMenus()[0]
	m.ChatBar = "これはとても長いチャットバーのテキストです"
	if _, err := line.MenuImage(m, -1); err == nil {
		t.Error("a chat bar text over 14 characters was accepted")
	}
	m = testMenus()[0]
	m.Items[0].Label = "漢"
	if miss := line.MissingGlyphs("漢字"); miss == "" {
		t.Skip("the font has these glyphs")
	}
	if _, err := line.MenuImage(m, -1); err == nil || !strings.Contains(err.Error(), "menufont.sh") {
		t.Errorf("a label the font cannot draw: err = %v, want a hint to rebuild the font", err)
	}
}

func TestSetupRichMenusIsIdempotent(t *testing.T) {
	f := newFakeMenus(t, nil)
	ctx := context.Background()
	var out bytes.Buffer
	ids, err := line.SetupRichMenus(ctx, setupConfig(f, &out), testMenus())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(ids) != 4 || len(f.menus) != 4 {
		t.Fatalf("ids %v, menus on LINE %d", ids, len(f.menus))
	}
	for lang, id := range ids {
		if f.aliases[line.MenuAlias(lang)] != id || f.menus[id].image == nil {
			t.Errorf("%s: alias %q → %q, want %q with an image", lang, line.MenuAlias(lang), f.aliases[line.MenuAlias(lang)], id)
		}
		var req struct {
			Name  string
			Areas []struct {
				Action struct{ Type, Data, Label string }
			}
		}
		_ = json.Unmarshal(f.menus[id].req, &req)
		if !strings.HasPrefix(req.Name, "sswbot-"+lang+"-") || len(req.Areas) != 5 || req.Areas[2].Action.Data != bot.PayloadStaff {
			t.Errorf("%s: menu %+v", lang, req)
		}
	}
	if f.def != ids["ja"] {
		t.Errorf("default %q, want the ja menu %q", f.def, ids["ja"])
	}
	f.Writes()

	// A second run changes nothing.
	out.Reset()
	again, err := line.SetupRichMenus(ctx, setupConfig(f, &out), testMenus())
	if err != nil {
		t.Fatal(err)
	}
	if w := f.Writes(); len(w) != 0 {
		t.Errorf("second run changed state: %v\n%s", w, out.String())
	}
	for l := range ids {
		if again[l] != ids[l] {
			t.Errorf("%s: second run returned %q, first %q", l, again[l], ids[l])
		}
	}

	// A changed label replaces that language's menu only, moves its alias
	// and deletes the old menu; a menu not ours survives.
	f.mu.Lock()
	f.menus["richmenu-by-hand"] = &fakeMenu{req: json.RawMessage(`{"name":"campaign","size":{"width":2500,"height":843}}`), name: "campaign"}
	f.order = append(f.order, "richmenu-by-hand")
	f.aliases["campaign"] = "richmenu-by-hand"
	f.mu.Unlock()
	menus := testMenus()
	menus[1].Items[0].Label = "Every step"
	out.Reset()
	changed, err := line.SetupRichMenus(ctx, setupConfig(f, &out), menus)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(f.Writes(), "\n")
	if changed["en"] == ids["en"] || changed["ja"] != ids["ja"] || f.aliases["sswbot-en"] != changed["en"] || f.menus[ids["en"]] != nil {
		t.Errorf("after changing en: ids %v (before %v), aliases %v\n%s", changed, ids, f.aliases, out.String())
	}
	if f.menus["richmenu-by-hand"] == nil || f.aliases["campaign"] == "" {
		t.Error("a menu or alias not made by sswbot was deleted")
	}
	if strings.Count(w, "POST /v2/bot/richmenu\n") != 1 || !strings.Contains(w, "DELETE /v2/bot/richmenu/"+ids["en"]) {
		t.Errorf("writes:\n%s", w)
	}
}

func TestSetupRichMenusDryRun(t *testing.T) {
	f := newFakeMenus(t, nil)
	var out bytes.Buffer
	cfg := setupConfig(f, &out)
	cfg.DryRun = true
	if _, err := line.SetupRichMenus(context.Background(), cfg, testMenus()); err != nil {
		t.Fatal(err)
	}
	if w := f.Writes(); len(w) != 0 {
		t.Errorf("dry run changed state: %v", w)
	}
	for _, want := range []string{"would create rich menu sswbot-ja-", "would upload its image (PNG 2500×843", "would create alias sswbot-ky", "would set the default rich menu to sswbot-ja-"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	// Without a token it plans as for an empty channel and calls nothing.
	out.Reset()
	cfg.AccessToken, cfg.APIBaseURL, cfg.DataBaseURL = "", "http://127.0.0.1:1", "http://127.0.0.1:1"
	if _, err := line.SetupRichMenus(context.Background(), cfg, testMenus()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "assuming the channel has no rich menus") || strings.Count(out.String(), "would create rich menu") != 4 {
		t.Errorf("dry run without token:\n%s", out.String())
	}
}

func TestSetupRichMenusResumesAfterAStop(t *testing.T) {
	f := newFakeMenus(t, nil)
	ctx := context.Background()
	// The first run stops at the first image upload: the menu exists
	// without its image.
	f.fail["POST /v2/bot/richmenu/richmenu-"] = http.StatusInternalServerError
	if _, err := line.SetupRichMenus(ctx, setupConfig(f, io.Discard), testMenus()); err == nil {
		t.Fatal("a failed upload was not reported")
	}
	delete(f.fail, "POST /v2/bot/richmenu/richmenu-")
	var out bytes.Buffer
	ids, err := line.SetupRichMenus(ctx, setupConfig(f, &out), testMenus())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(f.menus) != 4 || !strings.Contains(out.String(), "has no image") {
		t.Errorf("menus on LINE %d (want 4, the first reused)\n%s", len(f.menus), out.String())
	}
	for lang, id := range ids {
		if f.menus[id] == nil || f.menus[id].image == nil {
			t.Errorf("%s: menu %s without image", lang, id)
		}
	}
}

// A user who chooses a language gets that language's rich menu, after the
// reply; the alias is read once; without menus nothing breaks.
func TestAdapterLinksRichMenuOnLanguageChoice(t *testing.T) {
	api := newFakeAPI(t)
	f := newFakeMenus(t, api)
	ids, err := line.SetupRichMenus(context.Background(), setupConfig(f, io.Discard), testMenus())
	if err != nil {
		t.Fatal(err)
	}
	b := newFakeBot()
	langs := map[string]string{"l:ru": "ru", "l:ky": "ky"}
	b.outcome = func(ev bot.Event, o *bot.Outcome) {
		if l, ok := langs[ev.Text]; ok {
			o.Lang, o.LangChanged = l, true
		}
	}
	a := newAdapter(t, &fakeAPI{URL: f.API}, b, func(c *line.Config) { c.RichMenus = true })
	for i, data := range []string{"l:ru", "c:yes", "l:ky"} {
		body := postbackBody(fmt.Sprintf("01H000000000000000000000%02d", i), data)
		if rec := post(a, body, sign(body)); rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", data, rec.Code)
		}
		shutdown(t, a)
		want := map[string]string{"l:ru": ids["ru"], "c:yes": ids["ru"], "l:ky": ids["ky"]}[data]
		f.mu.Lock()
		got := f.links[userID]
		f.mu.Unlock()
		if got != want {
			t.Errorf("after %s: linked to %q, want %q", data, got, want)
		}
	}
	replies := 0
	for _, c := range api.Calls() {
		if c.Path == "/v2/bot/message/reply" {
			replies++
		}
	}
	if replies != 3 || f.reads != 2 {
		t.Errorf("%d replies (want 3), %d alias reads (want 2: ru, ky)", replies, f.reads)
	}

	// LINE failing the link changes nothing for the conversation.
	f.fail["POST /v2/bot/user/"] = http.StatusInternalServerError
	body := postbackBody("01H00000000000000000000099", "l:ru")
	if rec := post(a, body, sign(body)); rec.Code != http.StatusOK {
		t.Fatalf("status %d with a failing link", rec.Code)
	}
	shutdown(t, a)
	if n := len(api.Calls()); api.Calls()[n-1].Path != "/v2/bot/message/reply" {
		t.Errorf("the reply was not sent when linking failed: %v", api.Summaries())
	}
}

func TestAdapterWithoutRichMenus(t *testing.T) {
	api := newFakeAPI(t)
	f := newFakeMenus(t, api) // no setup: no aliases
	b := newFakeBot()
	b.outcome = func(ev bot.Event, o *bot.Outcome) { o.Lang, o.LangChanged = "ru", true }
	a := newAdapter(t, &fakeAPI{URL: f.API}, b, func(c *line.Config) { c.RichMenus = true })
	for i := range 3 {
		body := postbackBody(fmt.Sprintf("01H000000000000000000001%02d", i), "l:ru")
		if rec := post(a, body, sign(body)); rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		shutdown(t, a) // the link runs after the answer
	}
	if len(f.links) != 0 || f.reads != 1 {
		t.Errorf("links %v, alias reads %d (want 1: a missing alias is remembered)", f.links, f.reads)
	}
}

// postbackBody is a signed-able webhook body with one postback event.
func postbackBody(id, data string) []byte {
	return []byte(fmt.Sprintf(`{"destination":"U0","events":[{"type":"postback","mode":"active","timestamp":1462629479859,
"source":{"type":"user","userId":%q},"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},
"replyToken":"tok-%s","postback":{"data":%q}}]}`, userID, id, id, data))
}
