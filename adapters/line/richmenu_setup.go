package line

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/internal/apiclient"
)

// Everything the rich menu setup owns carries this prefix: menus are named
// "sswbot-<lang>-<hash of request and image>", aliases are "sswbot-<lang>".
// Menus and aliases without it (made by hand in the LINE Official Account
// Manager, say) are never touched.
const menuPrefix = "sswbot-"

// DefaultDataBaseURL is the host LINE takes rich menu images on.
const DefaultDataBaseURL = "https://api-data.line.me"

// MenuAlias is the rich menu alias of a language: the adapter resolves it
// to link a user's menu to their language.
func MenuAlias(lang string) string { return menuPrefix + lang }

// SetupConfig configures SetupRichMenus.
type SetupConfig struct {
	AccessToken string
	APIBaseURL  string // default "https://api.line.me"
	DataBaseURL string // default DefaultDataBaseURL (image upload)
	HTTPClient  *http.Client
	// Default is the language whose menu users see before they choose one.
	Default string
	// DryRun reads what exists and prints what would change, changing
	// nothing. Without an AccessToken it assumes the channel has no menus.
	DryRun bool
	// Out receives one line per action (or planned action).
	Out io.Writer
	// Accent is the index of the item drawn highlighted, -1 for none.
	Accent int
}

// menuPlan is one language's menu as it should be.
type menuPlan struct {
	lang  string
	name  string
	req   messaging_api.RichMenuRequest
	image []byte
	id    string // its id on LINE once found or created
}

// SetupRichMenus makes the channel's rich menus match menus, idempotently:
// a menu whose name (language + hash of its areas, texts and image) exists
// is reused (its image uploaded if an earlier run stopped before), else it
// is created and its image uploaded; the alias "sswbot-<lang>" points at
// it; the default menu is cfg.Default's; then menus and aliases of ours
// that are no longer wanted are deleted. It returns the menu id per
// language ("" for menus a dry run would create).
func SetupRichMenus(ctx context.Context, cfg SetupConfig, menus []Menu) (map[string]string, error) {
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	plans, err := planMenus(menus, cfg.Accent)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(plans, func(p *menuPlan) bool { return p.lang == cfg.Default }) {
		return nil, fmt.Errorf("rich menu: no menu for the default language %q", cfg.Default)
	}
	if cfg.DryRun && cfg.AccessToken == "" {
		fmt.Fprintln(cfg.Out, "dry run without a channel access token: assuming the channel has no rich menus")
		s := &menuSetup{cfg: cfg}
		return s.apply(plans, nil, nil, "")
	}
	s, err := newMenuSetup(ctx, cfg)
	if err != nil {
		return nil, err
	}
	existing, err := s.list()
	if err != nil {
		return nil, err
	}
	aliases, err := s.aliases()
	if err != nil {
		return nil, err
	}
	def, err := s.defaultMenu()
	if err != nil {
		return nil, err
	}
	return s.apply(plans, existing, aliases, def)
}

// planMenus checks menus, draws their images and names them.
func planMenus(menus []Menu, accent int) ([]*menuPlan, error) {
	if len(menus) == 0 {
		return nil, errors.New("rich menu: no menus")
	}
	var plans []*menuPlan
	for _, m := range menus {
		if slices.ContainsFunc(plans, func(p *menuPlan) bool { return p.lang == m.Lang }) {
			return nil, fmt.Errorf("rich menu: two menus for %q", m.Lang)
		}
		img, err := MenuImage(m, accent)
		if err != nil {
			return nil, err
		}
		req := menuRequest(m)
		body, err := json.Marshal(&req)
		if err != nil {
			return nil, err
		}
		sum := sha256.New()
		sum.Write(body)
		sum.Write(img)
		req.Name = menuPrefix + m.Lang + "-" + hex.EncodeToString(sum.Sum(nil))[:12]
		plans = append(plans, &menuPlan{lang: m.Lang, name: req.Name, req: req, image: img})
	}
	return plans, nil
}

// menuRequest is m as LINE's create-rich-menu request (without its name).
func menuRequest(m Menu) messaging_api.RichMenuRequest {
	req := messaging_api.RichMenuRequest{
		Size:        &messaging_api.RichMenuSize{Width: MenuWidth, Height: MenuHeight},
		Selected:    false, // collapsed: the conversation stays visible on small phones
		ChatBarText: m.ChatBar,
	}
	for i, r := range areas() {
		it := m.Items[i]
		req.Areas = append(req.Areas, messaging_api.RichMenuArea{
			Bounds: &messaging_api.RichMenuBounds{X: int64(r.Min.X), Y: int64(r.Min.Y), Width: int64(r.Dx()), Height: int64(r.Dy())},
			Action: &messaging_api.PostbackAction{
				Label:       truncate(it.Label, maxLabelRunes),
				Data:        it.Payload,
				DisplayText: truncate(it.Label, maxDisplayRunes),
			},
		})
	}
	return req
}

// menuSetup talks to the Messaging API for SetupRichMenus.
type menuSetup struct {
	cfg  SetupConfig
	api  *messaging_api.MessagingApiAPI
	blob *messaging_api.MessagingApiBlobAPI
}

func newMenuSetup(ctx context.Context, cfg SetupConfig) (*menuSetup, error) {
	if cfg.AccessToken == "" {
		return nil, errors.New("rich menu: missing channel access token (LINE_CHANNEL_ACCESS_TOKEN)")
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = "https://api.line.me"
	}
	if cfg.DataBaseURL == "" {
		cfg.DataBaseURL = DefaultDataBaseURL
	}
	for _, u := range []string{cfg.APIBaseURL, cfg.DataBaseURL} {
		if err := checkBaseURL(u); err != nil {
			return nil, fmt.Errorf("rich menu: base url: %w", err)
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = apiclient.New(2, 30*time.Second)
	}
	api, err := messaging_api.NewMessagingApiAPI(cfg.AccessToken,
		messaging_api.WithEndpoint(cfg.APIBaseURL), messaging_api.WithHTTPClient(cfg.HTTPClient))
	if err != nil {
		return nil, err
	}
	blob, err := messaging_api.NewMessagingApiBlobAPI(cfg.AccessToken,
		messaging_api.WithBlobEndpoint(cfg.DataBaseURL), messaging_api.WithBlobHTTPClient(cfg.HTTPClient))
	if err != nil {
		return nil, err
	}
	return &menuSetup{cfg: cfg, api: api.WithContext(ctx), blob: blob.WithContext(ctx)}, nil
}

// apiErr wraps a failed call; nil when err is nil. It closes res.
func apiErr(method string, res *http.Response, err error) error {
	defer closeBody(res)
	if err == nil {
		return nil
	}
	return &apiError{method: method, status: status(res), detail: errorDetail(res), err: err}
}

func (s *menuSetup) list() ([]messaging_api.RichMenuResponse, error) {
	res, body, err := s.api.GetRichMenuListWithHttpInfo()
	if err := apiErr("list rich menus", res, err); err != nil {
		return nil, err
	}
	return body.Richmenus, nil
}

func (s *menuSetup) aliases() ([]messaging_api.RichMenuAliasResponse, error) {
	res, body, err := s.api.GetRichMenuAliasListWithHttpInfo()
	if err := apiErr("list rich menu aliases", res, err); err != nil {
		return nil, err
	}
	return body.Aliases, nil
}

// defaultMenu returns the id of the channel's default menu, "" for none
// (LINE answers 404 then).
func (s *menuSetup) defaultMenu() (string, error) {
	res, body, err := s.api.GetDefaultRichMenuIdWithHttpInfo()
	if status(res) == http.StatusNotFound {
		closeBody(res)
		return "", nil
	}
	if err := apiErr("get default rich menu", res, err); err != nil {
		return "", err
	}
	return body.RichMenuId, nil
}

// hasImage reports whether the menu's image was uploaded (LINE answers 404
// for a menu without one).
func (s *menuSetup) hasImage(id string) (bool, error) {
	res, _, err := s.blob.GetRichMenuImageWithHttpInfo(id)
	if status(res) == http.StatusNotFound {
		closeBody(res)
		return false, nil
	}
	if err := apiErr("download rich menu image", res, err); err != nil {
		return false, err
	}
	return true, nil
}

// apply brings the channel from what exists to plans, printing each step.
// In a dry run it only prints.
func (s *menuSetup) apply(plans []*menuPlan, existing []messaging_api.RichMenuResponse, aliases []messaging_api.RichMenuAliasResponse, def string) (map[string]string, error) {
	out, dry := s.cfg.Out, s.cfg.DryRun
	would := wouldIf(dry)
	for _, p := range plans {
		if err := s.ensureMenu(p, existing); err != nil {
			return nil, err
		}
	}
	ids := map[string]string{}
	for _, p := range plans {
		ids[p.lang] = p.id
		if err := s.ensureAlias(p, aliases); err != nil {
			return nil, err
		}
	}
	want := plans[slices.IndexFunc(plans, func(p *menuPlan) bool { return p.lang == s.cfg.Default })]
	if def != "" && def == want.id {
		fmt.Fprintf(out, "default rich menu is %s (%s)\n", want.name, def)
	} else {
		fmt.Fprintf(out, "%sset the default rich menu to %s\n", would, want.name)
		if !dry {
			res, _, err := s.api.SetDefaultRichMenuWithHttpInfo(want.id)
			if err := apiErr("set default rich menu", res, err); err != nil {
				return nil, err
			}
		}
	}
	// Stale aliases of ours first (LINE keeps an alias's menu alive), then
	// stale menus of ours; users linked to one fall back to the default.
	for _, a := range aliases {
		if !strings.HasPrefix(a.RichMenuAliasId, menuPrefix) || slices.ContainsFunc(plans, func(p *menuPlan) bool { return MenuAlias(p.lang) == a.RichMenuAliasId }) {
			continue
		}
		fmt.Fprintf(out, "%sdelete stale alias %s\n", would, a.RichMenuAliasId)
		if !dry {
			res, _, err := s.api.DeleteRichMenuAliasWithHttpInfo(a.RichMenuAliasId)
			if err := apiErr("delete rich menu alias", res, err); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range existing {
		if !strings.HasPrefix(m.Name, menuPrefix) || slices.ContainsFunc(plans, func(p *menuPlan) bool { return p.id == m.RichMenuId }) {
			continue
		}
		fmt.Fprintf(out, "%sdelete stale rich menu %s (%s)\n", would, m.Name, m.RichMenuId)
		if !dry {
			res, _, err := s.api.DeleteRichMenuWithHttpInfo(m.RichMenuId)
			if err := apiErr("delete rich menu", res, err); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// ensureMenu finds p's menu among existing (uploading its image if an
// earlier run stopped before) or creates it; it sets p.id.
func (s *menuSetup) ensureMenu(p *menuPlan, existing []messaging_api.RichMenuResponse) error {
	out, dry := s.cfg.Out, s.cfg.DryRun
	if i := slices.IndexFunc(existing, func(m messaging_api.RichMenuResponse) bool { return m.Name == p.name }); i >= 0 {
		p.id = existing[i].RichMenuId
		ok, err := s.hasImage(p.id)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(out, "keep rich menu %s (%s)\n", p.name, p.id)
			return nil
		}
		fmt.Fprintf(out, "rich menu %s (%s) has no image\n", p.name, p.id)
	} else {
		if dry {
			fmt.Fprintf(out, "would create rich menu %s: %d areas, chat bar %q\n", p.name, len(p.req.Areas), p.req.ChatBarText)
		} else {
			res, body, err := s.api.CreateRichMenuWithHttpInfo(&p.req)
			if err := apiErr("create rich menu", res, err); err != nil {
				return err
			}
			p.id = body.RichMenuId
			fmt.Fprintf(out, "created rich menu %s (%s)\n", p.name, p.id)
		}
	}
	if dry {
		fmt.Fprintf(out, "would upload its image (PNG %d×%d, %d bytes)\n", MenuWidth, MenuHeight, len(p.image))
		return nil
	}
	res, _, err := s.blob.SetRichMenuImageWithHttpInfo(p.id, "image/png", bytes.NewReader(p.image))
	if err := apiErr("upload rich menu image", res, err); err != nil {
		return err
	}
	fmt.Fprintf(out, "uploaded its image (PNG %d×%d, %d bytes)\n", MenuWidth, MenuHeight, len(p.image))
	return nil
}

// ensureAlias points the alias of p's language at p's menu.
func (s *menuSetup) ensureAlias(p *menuPlan, aliases []messaging_api.RichMenuAliasResponse) error {
	out, dry := s.cfg.Out, s.cfg.DryRun
	alias := MenuAlias(p.lang)
	i := slices.IndexFunc(aliases, func(a messaging_api.RichMenuAliasResponse) bool { return a.RichMenuAliasId == alias })
	switch {
	case i >= 0 && p.id != "" && aliases[i].RichMenuId == p.id:
		fmt.Fprintf(out, "keep alias %s → %s\n", alias, p.name)
	case i >= 0:
		fmt.Fprintf(out, "%spoint alias %s at %s\n", wouldIf(dry), alias, p.name)
		if !dry {
			res, _, err := s.api.UpdateRichMenuAliasWithHttpInfo(alias, &messaging_api.UpdateRichMenuAliasRequest{RichMenuId: p.id})
			return apiErr("update rich menu alias", res, err)
		}
	default:
		fmt.Fprintf(out, "%screate alias %s → %s\n", wouldIf(dry), alias, p.name)
		if !dry {
			res, _, err := s.api.CreateRichMenuAliasWithHttpInfo(&messaging_api.CreateRichMenuAliasRequest{RichMenuAliasId: alias, RichMenuId: p.id})
			return apiErr("create rich menu alias", res, err)
		}
	}
	return nil
}

func wouldIf(dry bool) string {
	if dry {
		return "would "
	}
	return ""
}
