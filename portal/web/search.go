package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/files"
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
	// Files: the department files that match (first few), and a file whose
	// title or tag is exactly the query (the 直达 card).
	FileHits  []index.Hit
	FileTotal int
	FilesURL  string
	Shortcut  *files.File
}

// searchFiles is how many matching files the search page shows.
const searchFiles = 5

// searchFormID is the id of the search form: HTMX names it in HX-Trigger
// when the form is submitted (Enter, the button) rather than typed into.
const searchFormID = "search-form"

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
		if s.files != nil {
			if done, err := s.searchFilesInto(c, &v); done || err != nil {
				return err
			}
		}
	}
	return s.render(c, http.StatusOK, pageSearch, tmplResults, v)
}

// searchFilesInto adds the matching files and the shortcut to v. An exact
// shortcut match sent by Enter goes straight to the file: a 303 for a
// full-page GET with go=1, HX-Redirect for an HTMX form submission. done
// reports that the response was written.
func (s *server) searchFilesInto(c echo.Context, v *searchView) (done bool, err error) {
	ctx := c.Request().Context()
	res, err := s.files.Search(ctx, index.Query{Text: v.Query, Department: v.Dept, Tag: v.Tag, Sort: index.SortRelevance, Limit: searchFiles})
	if err != nil {
		return false, fmt.Errorf("search files: %w", err)
	}
	v.FileHits, v.FileTotal = res.Hits, res.Total
	fq := url.Values{"q": {v.Query}}
	setIf(fq, "dept", v.Dept)
	setIf(fq, "tag", v.Tag)
	v.FilesURL = localURL("/files", fq)
	f, ok, err := s.files.Shortcut(ctx, v.Query)
	if err != nil {
		return false, fmt.Errorf("search shortcut: %w", err)
	}
	if !ok {
		return false, nil
	}
	v.Shortcut = f
	req := c.Request()
	switch {
	case isFragment(req) && req.Header.Get("HX-Trigger") == searchFormID:
		c.Response().Header().Set("HX-Redirect", fileURL(f.ID))
		return true, c.NoContent(http.StatusOK)
	case req.Header.Get("HX-Request") != "true" && c.QueryParam("go") == "1":
		return true, c.Redirect(http.StatusSeeOther, fileURL(f.ID))
	}
	return false, nil
}
