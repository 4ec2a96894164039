package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/search"
	"github.com/jinnang/jinnang/portal/store"
)

// The search pages for editors and administrators.
const (
	pageSearchMisses = "searchmisses"
	pageSynonyms     = "synonyms"

	missesPath   = "/search/misses"
	synonymsPath = "/admin/synonyms"

	// missWeeks is how many weeks the 搜不到的问题 page shows.
	missWeeks = 4
)

func init() {
	pageNames = append(pageNames, pageSearchMisses, pageSynonyms)
	addMessages(searchMessages)
}

// Search is what the web layer needs from the search domain (implemented
// by *search.Service): one search over every kind of document, the weekly
// counts of questions that found little, and the synonym list.
type Search interface {
	Search(ctx context.Context, q index.Query) (index.Result, error)
	// Record counts a submitted query that found nothing or only partial
	// matches (no user identity is kept).
	Record(query string, hits int, weak bool)
	// Misses returns the last weeks, this one first.
	Misses(ctx context.Context, weeks int) ([]search.Week, error)
	// Synonyms returns the list and its ETag ("" when there is none).
	Synonyms(ctx context.Context) (text, etag string, err error)
	// SaveSynonyms stores and applies a list over version ifMatch;
	// search.ErrSynonyms for a bad line, store.ErrPrecondition on a conflict.
	SaveSynonyms(ctx context.Context, text, ifMatch string) error
}

// missesView is the data of the 搜不到的问题 page.
type missesView struct {
	base
	Weeks []search.Week
	Top   int
}

// searchMisses is GET /search/misses: per week, the questions that found
// nothing or only partial matches, most asked first — the packs to write
// next.
func (s *server) searchMisses(c echo.Context) error {
	weeks, err := s.searchSvc.Misses(c.Request().Context(), missWeeks)
	if err != nil {
		return fmt.Errorf("search misses: %w", err)
	}
	v := missesView{base: s.newBase(c, langOf(c), "misses.title"), Weeks: weeks, Top: search.TopMisses}
	v.Nav = "search"
	return s.render(c, http.StatusOK, pageSearchMisses, tmplContent, v)
}

// synonymsView is the data of the synonym editor.
type synonymsView struct {
	base
	Text   string
	ETag   string
	Error  string
	Saved  bool
	Groups int
}

// synonymsForm is GET /admin/synonyms.
func (s *server) synonymsForm(c echo.Context) error {
	text, etag, err := s.searchSvc.Synonyms(c.Request().Context())
	if err != nil {
		return fmt.Errorf("synonyms: %w", err)
	}
	v := synonymsView{base: s.newBase(c, langOf(c), "synonyms.title"), Text: text, ETag: etag, Saved: c.QueryParam("saved") == "1"}
	v.Nav = "admin"
	v.Groups = countGroups(text)
	return s.render(c, http.StatusOK, pageSynonyms, tmplContent, v)
}

// saveSynonyms is POST /admin/synonyms: the list over exactly the version
// the admin loaded (If-Match); a bad line is shown with the text kept.
func (s *server) saveSynonyms(c echo.Context) error {
	l := langOf(c)
	v := synonymsView{base: s.newBase(c, l, "synonyms.title")}
	v.Nav = "admin"
	v.Text = strings.ReplaceAll(c.FormValue("synonyms"), "\r\n", "\n")
	v.ETag = c.FormValue("etag")
	v.Groups = countGroups(v.Text)
	err := s.searchSvc.SaveSynonyms(c.Request().Context(), v.Text, v.ETag)
	switch {
	case errors.Is(err, search.ErrSynonyms):
		v.Error = mustT(l, "synonyms.invalid", strings.TrimPrefix(err.Error(), search.ErrSynonyms.Error()+": "))
		return s.render(c, http.StatusUnprocessableEntity, pageSynonyms, tmplContent, v)
	case errors.Is(err, store.ErrPrecondition):
		_, cur, gerr := s.searchSvc.Synonyms(c.Request().Context())
		if gerr != nil {
			return fmt.Errorf("reload synonyms after conflict: %w", gerr)
		}
		v.ETag = cur // saving again overwrites what is there now, knowingly
		v.Error = mustT(l, "synonyms.conflict")
		return s.render(c, http.StatusConflict, pageSynonyms, tmplContent, v)
	case err != nil:
		return fmt.Errorf("save synonyms: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "search.synonyms", Target: "search:synonyms"})
	return c.Redirect(http.StatusSeeOther, synonymsPath+"?saved=1")
}

// countGroups counts the non-comment lines of a synonym list.
func countGroups(text string) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			n++
		}
	}
	return n
}
