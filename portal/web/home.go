package web

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

const homeLatest = 6

// homeView is the data of the home page.
type homeView struct {
	base
	Latest []index.Hit
	Daily  *index.Hit // nil when there are no packs
	// The search box (partial "searchform") searches as you type into #results.
	MaxLen    int
	Dept, Tag string
	Kind      string // the search box's type filter: none on the home page
	// Announcements are the newest live ones for the user's department or everyone.
	Announcements []announceItem
	// Story is the story of the day (nil when stories are off or there are none).
	Story *storyCard
	// Paths are the reader's unfinished reading paths with progress.
	Paths []pathProgress
}

// home shows the newest packs, the pick of the day and a search box.
func (s *server) home(c echo.Context) error {
	ctx := c.Request().Context()
	res, err := s.packs.Search(ctx, index.Query{Sort: index.SortNewest, Limit: homeLatest})
	if err != nil {
		return fmt.Errorf("home: latest packs: %w", err)
	}
	daily, err := s.packs.DailyPick(ctx, s.now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("home: daily pick: %w", err)
	}
	l := langOf(c)
	v := homeView{base: s.newBase(c, l, "home.title"), Latest: res.Hits, Daily: daily, MaxLen: maxQueryLen}
	v.Nav = "home"
	if v.Announcements, err = s.homeAnnouncementList(c); err != nil {
		return err
	}
	if v.Story, err = s.storyOfTheDay(c); err != nil {
		return err
	}
	if v.Paths, err = s.homePathList(c); err != nil {
		return err
	}
	return s.renderCached(c, 200, pageHome, tmplContent, v)
}
