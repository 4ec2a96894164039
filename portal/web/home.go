package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/ttl"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
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

// homePacksTTL bounds how long home shows the newest packs and the pick of
// the day it found, without asking the index again: two index searches were
// a third of a home page's CPU. Any write through this process (POST, PUT,
// DELETE: publishing, editing, deleting a pack) drops them at once; a pack
// published through another process, or by an import, is on home within
// homePacksTTL.
const homePacksTTL = 2 * time.Second

// homePacks is what home last found in the index: one entry, keyed by the
// date of the pick of the day, stamped with server.writes when the search
// started.
type homePacks = ttl.Cache[string, homeFound]

type homeFound struct {
	latest []index.Hit
	daily  *index.Hit // nil: no packs
}

// homeIndex returns the newest packs and the pick of the day, from the
// index or from what it answered less than homePacksTTL ago.
func (s *server) homeIndex(ctx context.Context) ([]index.Hit, *index.Hit, error) {
	now := s.now()
	day := now.Format(time.DateOnly)
	writes := s.writes.Load()
	if f, ok := s.homePacks.Get(day, writes, now, homePacksTTL); ok {
		return f.latest, f.daily, nil
	}
	res, err := s.packs.Search(ctx, index.Query{Sort: index.SortNewest, Limit: homeLatest})
	if err != nil {
		return nil, nil, fmt.Errorf("home: latest packs: %w", err)
	}
	daily, err := s.packs.DailyPick(ctx, now)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("home: daily pick: %w", err)
	}
	s.homePacks.Put(day, homeFound{latest: res.Hits, daily: daily}, writes, now, 1)
	return res.Hits, daily, nil
}

// home shows the newest packs, the pick of the day and a search box.
func (s *server) home(c echo.Context) error {
	latest, daily, err := s.homeIndex(c.Request().Context())
	if err != nil {
		return err
	}
	l := langOf(c)
	v := homeView{base: s.newBase(c, l, "home.title"), Latest: latest, Daily: daily, MaxLen: maxQueryLen}
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
	// The page is a function of its data: the JSON of the view plus the
	// announcements' rendered bodies (kept out of their JSON) name it.
	key, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("home: page key: %w", err)
	}
	parts := []string{string(key)}
	for _, a := range v.Announcements {
		parts = append(parts, string(a.HTML))
	}
	return s.renderCached(c, 200, pageHome, tmplContent, v, parts...)
}

// homeStoryTTL bounds how long home keeps the story of the day it picked.
// Picking asks the index for the story at a day-dependent offset of the
// whole feed, which past the feed head walks that many hits (the deep
// paging of /stories?page=20: 0.1 s at L); within the TTL home only reads
// the picked story's record,
// so a hidden or deleted story leaves home at once, in every process. New
// stories can move the day's pick (it depends on their number); home
// follows within homeStoryTTL.
const homeStoryTTL = 10 * time.Minute

// homeStory is the story of the day home last picked.
type homeStory struct {
	mu  sync.Mutex
	day string
	id  string
	at  time.Time
}

// dailyStory returns the story of the day: the one picked less than
// homeStoryTTL ago while it is still visible, else a new pick.
func (s *server) dailyStory(ctx context.Context) (*stories.Story, error) {
	now := s.now()
	day := now.Format(time.DateOnly)
	hs := &s.homeStory
	hs.mu.Lock()
	id := ""
	if hs.day == day && now.Sub(hs.at) < homeStoryTTL && !now.Before(hs.at) {
		id = hs.id
	}
	hs.mu.Unlock()
	if id != "" {
		st, err := s.stories.Get(ctx, id)
		switch {
		case err == nil && st.Visible():
			return st, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	st, err := s.stories.DailyPick(ctx, now)
	if err != nil {
		return nil, err
	}
	hs.mu.Lock()
	hs.day, hs.id, hs.at = day, st.ID, now
	hs.mu.Unlock()
	return st, nil
}
