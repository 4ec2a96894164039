package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
)

// listView is the data of a paged, filterable list of packs (the /packs page
// and a department page).
type listView struct {
	base
	Department string // the department of a department page
	Hits       []index.Hit
	Pager      pager
	Filters    []filter
	DeptFacets []facetLink
	TagFacets  []facetLink
}

// packList is /packs: every pack, newest first, filtered by dept and tag.
func (s *server) packList(c echo.Context) error {
	dept, _ := cleanParam(c.QueryParam("dept"))
	tag, _ := cleanParam(c.QueryParam("tag"))
	q := url.Values{}
	setIf(q, "dept", dept)
	setIf(q, "tag", tag)
	l := langOf(c)
	v := listView{base: s.newBase(c, l, "packs.title")}
	v.Nav = "packs"
	if err := s.fillList(c, &v, "/packs", q, index.Query{Department: dept, Tag: tag}); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pagePacks, tmplContent, v)
}

// fillList runs a newest-first paged query and fills hits, pager and facets.
func (s *server) fillList(c echo.Context, v *listView, path string, q url.Values, iq index.Query) error {
	page := pageParam(c)
	iq.Sort = index.SortNewest
	iq.Offset = (page - 1) * perPage
	iq.Limit = perPage
	iq.Facets = true
	res, err := s.packs.Search(c.Request().Context(), iq)
	if err != nil {
		return fmt.Errorf("list packs %s: %w", path, err)
	}
	v.Hits = res.Hits
	v.Pager = newPager(path, q, page, res.Total)
	v.Filters = activeFilters(path, q)
	if iq.Department == "" || path == "/packs" {
		v.DeptFacets = facetLinks(path, q, "dept", res.Facets["department"])
	}
	v.TagFacets = facetLinks(path, q, "tag", res.Facets["tag"])
	return nil
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
