package line

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// menuIDTTL is how long a language's rich menu id, read from its alias, is
// trusted: a later `sswbot line setup` moves the alias to a new menu.
const menuIDTTL = 10 * time.Minute

// menuLinker links users to the rich menu of their language. The menus are
// made by `sswbot line setup`; the adapter finds them by their alias
// (MenuAlias), so serve needs no menu ids in its configuration.
type menuLinker struct {
	mu  sync.Mutex
	ids map[string]menuID // by language
}

type menuID struct {
	id      string // "" when the alias does not exist (setup not run)
	checked time.Time
}

// linkMenu links user's rich menu to lang's. It runs after the replies were
// sent; a failure is logged and counted, never retried: the user keeps the
// menu they had (the default one at worst) until their next language
// choice.
func (a *Adapter) linkMenu(ctx context.Context, user, lang string) {
	id, ok := a.menuID(ctx, lang)
	if !ok || id == "" {
		return
	}
	api, err := a.api(ctx)
	if err != nil {
		return
	}
	res, _, err := api.LinkRichMenuIdToUserWithHttpInfo(user, id)
	closeBody(res)
	a.m.Outbound(platform, "link_richmenu", statusLabel(res, err))
	if err != nil {
		a.log.Warn("line: linking the rich menu failed", "user", hashID(user), "lang", lang, "status", statusLabel(res, err))
		if status(res) == http.StatusNotFound || status(res) == http.StatusBadRequest {
			a.forgetMenuID(lang) // the menu may have been replaced
		}
	}
}

// menuID returns lang's rich menu id from the cache or its alias; ok is
// false when LINE could not be asked.
func (a *Adapter) menuID(ctx context.Context, lang string) (string, bool) {
	now := a.cfg.Now()
	a.menus.mu.Lock()
	c, cached := a.menus.ids[lang]
	a.menus.mu.Unlock()
	if cached && now.Sub(c.checked) < menuIDTTL {
		return c.id, true
	}
	api, err := a.api(ctx)
	if err != nil {
		return "", false
	}
	res, body, err := api.GetRichMenuAliasWithHttpInfo(MenuAlias(lang))
	a.m.Outbound(platform, "get_richmenu_alias", statusLabel(res, err))
	switch {
	case status(res) == http.StatusNotFound || status(res) == http.StatusBadRequest:
		closeBody(res)
		a.log.Info("line: no rich menu for this language; run `sswbot line setup`", "lang", lang)
		c = menuID{checked: now}
	case err != nil:
		closeBody(res)
		a.log.Warn("line: reading the rich menu alias failed", "lang", lang, "status", statusLabel(res, err))
		return "", false
	default:
		closeBody(res)
		c = menuID{id: body.RichMenuId, checked: now}
	}
	a.menus.mu.Lock()
	if a.menus.ids == nil {
		a.menus.ids = map[string]menuID{}
	}
	a.menus.ids[lang] = c
	a.menus.mu.Unlock()
	return c.id, true
}

func (a *Adapter) forgetMenuID(lang string) {
	a.menus.mu.Lock()
	delete(a.menus.ids, lang)
	a.menus.mu.Unlock()
}
