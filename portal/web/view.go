package web

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/index"
)

const (
	perPage     = 20
	maxPage     = 500 // deeper pages are refused by clamping; nobody pages that far
	maxQueryLen = 100 // runes
)

// base is the data every page shares: language, title, navigation.
type base struct {
	Lang      Lang
	HTMLLang  string
	Title     string // translated page title
	SwitchURL string // this URL in the other language
	Nav       string // active section: home, packs, departments, search
	Query     string // value of the search box in the header
	// User is the signed-in user (nil when signed out); CSRF is the session's
	// token for forms, and HXHeaders the same as HTMX's hx-headers JSON.
	User      *auth.User
	CSRF      string
	HXHeaders string
	// FilesOn shows the file library in the navigation.
	FilesOn bool
	// StoriesOn and PointsOn show the story feed and the leaderboard.
	StoriesOn, PointsOn bool
	// SuggestInbox shows the suggestion inbox to those who handle it.
	SuggestInbox bool
	// NotifyOn shows the 消息 link; Unread is its badge (unread notifications).
	NotifyOn bool
	Unread   int
	// AnnounceOn shows 公告 (in the tab bar when 消息 is off, else on 更多).
	AnnounceOn bool
	// Share is the page's og: card (nil: none); see share.go.
	Share *shareMeta
}

// newBase fills the shared page data; titleKey is a catalogue key.
func (s *server) newBase(c echo.Context, l Lang, titleKey string, args ...any) base {
	req := c.Request()
	q := req.URL.Query()
	q.Set(langParam, string(l.other()))
	title, err := translate(l, titleKey, args...)
	if err != nil {
		title = mustT(l, "site.name")
	}
	b := base{
		Lang:      l,
		HTMLLang:  l.htmlLang(),
		Title:     title,
		SwitchURL: localURL(req.URL.EscapedPath(), q),
		FilesOn:   s.files != nil,
		StoriesOn: s.stories != nil,
		PointsOn:  s.points != nil,
	}
	b.AnnounceOn = s.announce != nil
	if sess, _ := sessionOf(c); sess != nil {
		b.User, b.CSRF = &sess.User, sess.CSRF
		b.SuggestInbox = s.suggest != nil && canHandleSuggestions(b.User)
		b.NotifyOn = s.notify != nil
		b.Unread = s.unreadCount(c, b.User)
		if h, err := json.Marshal(map[string]string{csrfHeader: sess.CSRF}); err == nil {
			b.HXHeaders = string(h)
		}
	}
	return b
}

// pager is the prev/next navigation of a paged list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // empty when there is none
}

// newPager builds links that keep the filters in q.
func newPager(path string, q url.Values, page, total int) pager {
	return newPagerParam(path, q, "page", page, total, perPage)
}

// newPagerParam is newPager for a list of per items paged by param (a page
// with two lists pages them separately).
func newPagerParam(path string, q url.Values, param string, page, total, per int) pager {
	pages := max((total+per-1)/per, 1)
	p := pager{Page: page, Pages: pages, Total: total}
	link := func(n int) string {
		v := cloneValues(q)
		if n > 1 {
			v.Set(param, strconv.Itoa(n))
		} else {
			v.Del(param)
		}
		return localURL(path, v)
	}
	if page > 1 {
		p.Prev = link(min(page-1, pages))
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}

// facetLink is one facet value as a link that narrows the current list.
type facetLink struct {
	Value  string
	Count  int
	URL    string
	Active bool
}

// facetLinks turns facet counts into links setting param on path?q.
func facetLinks(path string, q url.Values, param string, counts []index.FacetCount) []facetLink {
	out := make([]facetLink, 0, len(counts))
	for _, fc := range counts {
		v := cloneValues(q)
		v.Del("page")
		v.Set(param, fc.Value)
		out = append(out, facetLink{Value: fc.Value, Count: fc.Count, URL: localURL(path, v), Active: q.Get(param) == fc.Value})
	}
	return out
}

// filter is an active filter with a link that removes it.
type filter struct {
	Key    string // catalogue key: filter.dept or filter.tag
	Value  string
	Remove string
}

// activeFilters lists the dept and tag filters set in q.
func activeFilters(path string, q url.Values) []filter {
	var out []filter
	for _, f := range []struct{ param, key string }{{"dept", "filter.dept"}, {"tag", "filter.tag"}} {
		if val := q.Get(f.param); val != "" {
			v := cloneValues(q)
			v.Del(f.param)
			v.Del("page")
			out = append(out, filter{Key: f.key, Value: val, Remove: localURL(path, v)})
		}
	}
	return out
}

func cloneValues(q url.Values) url.Values {
	v := make(url.Values, len(q))
	for k, vs := range q {
		v[k] = append([]string(nil), vs...)
	}
	return v
}

// pageParam reads ?page=, clamped to 1..maxPage; junk means 1.
func pageParam(c echo.Context) int { return pageParamNamed(c, "page") }

// pageParamNamed is pageParam for another parameter name.
func pageParamNamed(c echo.Context, name string) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// cleanParam trims a filter or query value to at most maxQueryLen runes and
// reports whether it was cut.
func cleanParam(s string) (string, bool) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if utf8.RuneCountInString(s) <= maxQueryLen {
		return s, false
	}
	r := []rune(s)
	return string(r[:maxQueryLen]), true
}

// hitURL is where a hit's page lives.
func hitURL(h index.Hit) string {
	if h.Doc.URL != "" {
		return h.Doc.URL
	}
	return "/packs/" + url.PathEscape(h.Doc.ID)
}
