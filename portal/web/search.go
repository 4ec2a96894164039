package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/lang"
)

// searchKinds are the kinds of documents the search page offers as a type
// filter, in the order the chips show them.
var searchKinds = []string{"pack", "file", "dept", "announce", "story"}

// searchView is the data of the search page and its results fragment.
type searchView struct {
	base
	Searched  bool // false when q is empty: show the hint
	Truncated bool // q was longer than maxQueryLen runes
	MaxLen    int
	Dept, Tag string
	Kind      string // the type filter, "" for everything
	Hits      []index.Hit
	Pager     pager
	Filters   []filter
	// KindFacets are the type chips (全部 first); DeptFacets and TagFacets
	// narrow by department and tag. FacetSample: the counts are of the
	// best index.FacetWindow results.
	KindFacets  []kindLink
	DeptFacets  []facetLink
	TagFacets   []facetLink
	FacetSample bool
	FacetWindow int
	BrowseURL   string
	// Shortcut is the 直达 card: a hit whose title or a tag is exactly the
	// query. It sits on top of the results and never replaces them.
	Shortcut *index.Hit
	// Weak is set when no result holds every word of the query: Ask names
	// the departments to ask (from their intros), Related the tags to try.
	Weak    bool
	Ask     []index.Hit
	Related []facetLink
	// MissesURL links editors to the 搜不到的问题 page, SynonymsURL admins to
	// the synonym list ("" for others).
	MissesURL   string
	SynonymsURL string
}

// kindLink is one type chip.
type kindLink struct {
	Kind   string // "" for all
	Count  int
	URL    string
	Active bool
}

// searchFormID is the id of the search form: HTMX names it in HX-Trigger
// when the form is submitted (Enter, the button) rather than typed into.
const searchFormID = "search-form"

// searchAskDepts is how many departments a weak result suggests asking, and
// searchRelatedTags how many tags it suggests.
const (
	searchAskDepts    = 2
	searchRelatedTags = 6
)

// searchTagChips is how many tag chips the search page shows, the most
// frequent among the best results (and the chosen tag): a hundred chips
// were a fifth of the page's rendering and bytes and too many to read.
const searchTagChips = 24

// topChips keeps the first n links (they come most frequent first) and an
// active one beyond them.
func topChips(links []facetLink, n int) []facetLink {
	if len(links) <= n {
		return links
	}
	out := links[:n:n]
	for _, l := range links[n:] {
		if l.Active {
			out = append(out, l)
		}
	}
	return out
}

// searchRoutes registers the search page and, when the search service is
// wired, the 搜不到的问题 page and the synonym editor.
func (s *server) searchRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	get("/search", s.search)
	if s.searchSvc == nil {
		return
	}
	get(missesPath, s.searchMisses, requireEditor)
	get(synonymsPath, s.synonymsForm, requireAdmin)
	write(synonymsPath, s.saveSynonyms, requireAdmin)
}

// search is /search?q=: the full page, or only the results for HTMX. Enter
// and the button always show the results (with the 直达 card on top when
// one hit is exactly what was typed); one index search answers the page.
func (s *server) search(c echo.Context) error {
	text, truncated := cleanParam(c.QueryParam("q"))
	dept, _ := cleanParam(c.QueryParam("dept"))
	tag, _ := cleanParam(c.QueryParam("tag"))
	kind := c.QueryParam("type")
	if !slices.Contains(searchKinds, kind) {
		kind = ""
	}
	l := langOf(c)
	var v searchView
	if text == "" {
		v.base = s.newBase(c, l, "search.title")
	} else {
		v.base = s.newBase(c, l, "search.titleq", text)
	}
	v.Nav = "search"
	v.Query, v.Truncated, v.MaxLen, v.Dept, v.Tag, v.Kind = text, truncated, maxQueryLen, dept, tag, kind
	v.BrowseURL = "/packs"
	v.FacetWindow = index.FacetWindow
	if u := userOf(c); s.searchSvc != nil && u.IsEditor() {
		v.MissesURL = missesPath
		if u.IsAdmin() {
			v.SynonymsURL = synonymsPath
		}
	}
	if text == "" {
		return s.renderCached(c, http.StatusOK, pageSearch, tmplResults, v)
	}
	page := pageParam(c)
	q := index.Query{
		Text: text, Kind: kind, Department: dept, Tag: tag,
		Sort: index.SortRelevance, Offset: (page - 1) * perPage, Limit: perPage, Facets: true,
	}
	var res index.Result
	var serial uint64
	var err error
	if s.searchSvc != nil {
		q.Readers, q.Now = readersOf(userOf(c)), s.now()
		res, serial, err = s.cachedSearch(c.Request().Context(), q, s.searchSvc.Search)
	} else {
		res, serial, err = s.cachedSearch(c.Request().Context(), q, s.packs.Search)
	}
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	params := url.Values{"q": {text}}
	setIf(params, "dept", dept)
	setIf(params, "tag", tag)
	setIf(params, "type", kind)
	v.Searched = true
	v.Hits = res.Hits
	v.Pager = newPager("/search", params, page, res.Total)
	v.Filters = activeFilters("/search", params)
	v.KindFacets = kindLinks(params, res.Facets["kind"], res.Total)
	v.DeptFacets = facetLinks("/search", params, "dept", res.Facets["department"])
	v.TagFacets = topChips(facetLinks("/search", params, "tag", res.Facets["tag"]), searchTagChips)
	v.FacetSample = res.FacetSample
	if page == 1 {
		v.Shortcut = shortcut(text, res.Hits)
	}
	v.Weak = len(res.Hits) == 0 || res.Hits[0].Coverage < 1
	if v.Weak && page == 1 {
		v.Ask, v.Related = s.searchHelp(c, res, params)
	}
	if s.searchSvc != nil && page == 1 && dept == "" && tag == "" && kind == "" && !typing(c) {
		s.searchSvc.Record(text, res.Total, v.Weak)
	}
	key, err := searchPageKey(v, serial)
	if err != nil {
		return fmt.Errorf("search: page key: %w", err)
	}
	return s.renderCached(c, http.StatusOK, pageSearch, tmplResults, v, key)
}

// typing reports an as-you-type request (HTMX, from the input rather than
// the form): it is not counted as a question asked.
func typing(c echo.Context) bool {
	r := c.Request()
	return isFragment(r) && r.Header.Get("HX-Trigger") != searchFormID
}

// readersOf is what the user may find beyond what everyone finds: the
// announcements for their department. Administrators find all of them.
func readersOf(u *auth.User) []string {
	if u == nil || u.IsAdmin() {
		return nil
	}
	return []string{"dept:" + u.Department}
}

// shortcut returns the first hit (a pack, file or department) whose title
// or one of whose tags is exactly text, ignoring case, width and spaces.
func shortcut(text string, hits []index.Hit) *index.Hit {
	want := lang.Key(text)
	for i, h := range hits {
		if h.Doc.Kind != "pack" && h.Doc.Kind != "file" && h.Doc.Kind != "dept" {
			continue
		}
		if lang.Key(h.Doc.Title) == want || slices.ContainsFunc(h.Doc.Tags, func(t string) bool { return lang.Key(t) == want }) {
			return &hits[i]
		}
	}
	return nil
}

// searchHelp suggests, for a weak result, the departments to ask — the
// department intros among the hits, else the departments of the best hits
// — and related tags from the facets. With no hit at all it offers every
// department that has an intro.
func (s *server) searchHelp(c echo.Context, res index.Result, params url.Values) ([]index.Hit, []facetLink) {
	var ask []index.Hit
	for _, h := range res.Hits {
		if h.Doc.Kind == "dept" && len(ask) < searchAskDepts {
			ask = append(ask, h)
		}
	}
	for _, fc := range res.Facets["department"] {
		if len(ask) >= searchAskDepts {
			break
		}
		if !slices.ContainsFunc(ask, func(h index.Hit) bool { return h.Doc.Title == fc.Value }) {
			ask = append(ask, index.Hit{Doc: index.Doc{Kind: "dept", Title: fc.Value, URL: deptURL(fc.Value)}})
		}
	}
	if len(res.Hits) == 0 && s.files != nil {
		depts, err := s.files.Departments(c.Request().Context())
		if err != nil {
			s.log.Warn("search help: list departments", "err", err)
		}
		for _, d := range depts {
			if d.Intro != "" {
				ask = append(ask, index.Hit{Doc: index.Doc{Kind: "dept", Title: d.Name, Summary: d.Intro, URL: deptURL(d.Name)}})
			}
		}
	}
	related := facetLinks("/search", params, "tag", res.Facets["tag"])
	return ask, related[:min(len(related), searchRelatedTags)]
}

// kindLinks are the type chips: everything, then each kind with results.
func kindLinks(params url.Values, counts []index.FacetCount, total int) []kindLink {
	active := params.Get("type")
	link := func(kind string) string {
		v := cloneValues(params)
		v.Del("page")
		if kind == "" {
			v.Del("type")
		} else {
			v.Set("type", kind)
		}
		return localURL("/search", v)
	}
	if len(counts) == 0 && active == "" {
		return nil
	}
	all := total // of every kind when no type is chosen; unknown (0) when one is
	if active != "" {
		all = 0
	}
	out := []kindLink{{Kind: "", Count: all, URL: link(""), Active: active == ""}}
	for _, k := range searchKinds {
		for _, fc := range counts {
			if fc.Value == k {
				out = append(out, kindLink{Kind: k, Count: fc.Count, URL: link(k), Active: active == k})
			}
		}
	}
	return out
}

// kindBadge is the catalogue key of a kind's badge.
func kindBadge(kind string) string {
	if slices.Contains(searchKinds, kind) {
		return "search.kind." + kind
	}
	return "search.kind.pack"
}
