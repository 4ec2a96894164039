package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
)

// searchView is the data of the search page and its results fragment.
type searchView struct {
	base
	Searched   bool // false when q is empty: show the hint
	Truncated  bool // q was longer than maxQueryLen runes
	MaxLen     int
	Dept, Tag  string
	Hits       []index.Hit
	Pager      pager
	Filters    []filter
	DeptFacets []facetLink
	TagFacets  []facetLink
	BrowseURL  string
}

// search is /search?q=: the full page, or only the results for HTMX.
func (s *server) search(c echo.Context) error {
	text, truncated := cleanParam(c.QueryParam("q"))
	dept, _ := cleanParam(c.QueryParam("dept"))
	tag, _ := cleanParam(c.QueryParam("tag"))
	l := langOf(c)
	var v searchView
	if text == "" {
		v.base = s.newBase(c, l, "search.title")
	} else {
		v.base = s.newBase(c, l, "search.titleq", text)
	}
	v.Nav = "search"
	v.Query, v.Truncated, v.MaxLen, v.Dept, v.Tag = text, truncated, maxQueryLen, dept, tag
	v.BrowseURL = "/packs"
	if text != "" {
		page := pageParam(c)
		res, err := s.packs.Search(c.Request().Context(), index.Query{
			Text:       text,
			Department: dept,
			Tag:        tag,
			Sort:       index.SortRelevance,
			Offset:     (page - 1) * perPage,
			Limit:      perPage,
			Facets:     true,
		})
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		q := url.Values{"q": {text}}
		setIf(q, "dept", dept)
		setIf(q, "tag", tag)
		v.Searched = true
		v.Hits = res.Hits
		v.Pager = newPager("/search", q, page, res.Total)
		v.Filters = activeFilters("/search", q)
		v.DeptFacets = facetLinks("/search", q, "dept", res.Facets["department"])
		v.TagFacets = facetLinks("/search", q, "tag", res.Facets["tag"])
	}
	return s.render(c, http.StatusOK, pageSearch, tmplResults, v)
}
