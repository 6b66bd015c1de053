// Package listing holds the console's filter, order and paging rules, shared
// by store/memstore and store/redisstore so both list alike. It knows bot's
// Meta, Entry and Filter only; fetching them is the stores' business.
package listing

import (
	"cmp"
	"slices"
	"strings"

	"example.com/sswbot/bot"
)

// Match reports whether m passes every condition of f except Query, which
// needs the transcript (see Contains).
func Match(m bot.Meta, f bot.Filter) bool {
	switch {
	case f.Platform != "" && m.Platform != f.Platform,
		f.Lang != "" && m.Lang != f.Lang,
		f.Handoff && !m.Handoff,
		f.Owned && m.Owner == "",
		f.Inactive && !m.Inactive,
		!f.Since.IsZero() && m.LastActive.Before(f.Since),
		!f.Until.IsZero() && !m.LastActive.Before(f.Until):
		return false
	}
	return true
}

// Contains reports whether any entry's text contains query, ignoring case.
// An empty query matches everything.
func Contains(entries []bot.Entry, query string) bool {
	if query == "" {
		return true
	}
	q := strings.ToLower(query)
	for _, e := range entries {
		if strings.Contains(strings.ToLower(e.Text), q) {
			return true
		}
	}
	return false
}

// Page sorts ms by last activity, most recent first (ties by id, so pages
// are stable), and returns the slice f.Offset and f.Limit select.
func Page(ms []bot.Meta, f bot.Filter) []bot.Meta {
	slices.SortFunc(ms, func(a, b bot.Meta) int {
		if c := b.LastActive.Compare(a.LastActive); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	off := min(max(f.Offset, 0), len(ms))
	ms = ms[off:]
	if f.Limit > 0 && f.Limit < len(ms) {
		ms = ms[:f.Limit]
	}
	return ms
}
