package web

import (
	"fmt"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
)

// meKnowledge is the editor's part of /me: drafts and how many packs wait
// for a check (待核对).
type meKnowledge struct {
	Drafts   []draftLink
	ToReview int
}

type draftLink struct {
	Title   string
	URL     string
	Updated time.Time
}

// meKnowledge lists the user's drafts (editors only) and counts their 待核对 packs.
func (s *server) meKnowledge(c echo.Context) (*meKnowledge, error) {
	u := userOf(c)
	if s.editor == nil || !u.IsEditor() {
		return nil, nil
	}
	ctx := c.Request().Context()
	ds, err := s.editor.Drafts(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("drafts of %s: %w", u.ID, err)
	}
	k := &meKnowledge{}
	for _, d := range ds {
		link := draftLink{Title: d.Fields.Title, Updated: d.Updated, URL: "/drafts/" + d.ID}
		if d.Slug != "" {
			link.URL = "/packs/" + url.PathEscape(d.Slug) + "/edit"
		}
		k.Drafts = append(k.Drafts, link)
	}
	items, err := s.editor.ToReview(ctx, u.ID, u.EditorOf, s.staleCutoff())
	if err != nil {
		return nil, fmt.Errorf("待核对 of %s: %w", u.ID, err)
	}
	k.ToReview = len(items)
	return k, nil
}
