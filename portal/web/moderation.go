package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/stories"
)

// queueCard is a story in the moderation queue with its reports.
type queueCard struct {
	Card    storyCard
	Reports []stories.Report
}

// moderationView is the data of the moderation queue.
type moderationView struct {
	base
	Items []queueCard
	Done  string // the action just taken, for the notice
	Error string
}

// moderationQueue is GET /moderation: reported and hidden stories awaiting a decision.
func (s *server) moderationQueue(c echo.Context) error {
	items, err := s.stories.Queue(c.Request().Context())
	if err != nil {
		return err
	}
	v := moderationView{base: s.newBase(c, langOf(c), "moderation.title")}
	v.Nav = "moderation"
	if act := c.QueryParam("done"); isAction(act) {
		v.Done = act
	}
	for _, it := range items {
		v.Items = append(v.Items, queueCard{Card: newStoryCard(it.Story), Reports: it.Reports})
	}
	return s.render(c, http.StatusOK, pageModeration, tmplContent, v)
}

func isAction(a string) bool {
	switch stories.Action(a) {
	case stories.ActHide, stories.ActRestore, stories.ActDelete, stories.ActWarn:
		return true
	}
	return false
}

// moderateStory is POST /stories/:id/moderate (moderators): action is hide,
// restore, delete or warn (which needs a note). Every action is audited.
func (s *server) moderateStory(c echo.Context) error {
	u := userOf(c)
	act := c.FormValue("action")
	if !isAction(act) {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("moderate: action %q", act)}
	}
	note := c.FormValue("note")
	st, err := s.stories.Moderate(c.Request().Context(), c.Param("id"), stories.Action(act), u.ID, note)
	if errors.Is(err, stories.ErrInvalid) || errors.Is(err, stories.ErrForbidden) {
		return &Error{Status: http.StatusUnprocessableEntity, Public: "moderation.invalid", Cause: err}
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story." + act, Target: "story:" + st.ID, Detail: "author " + st.Author + ": " + note})
	s.notifyModerated(c, st, stories.Action(act), u.ID, note)
	return c.Redirect(http.StatusSeeOther, "/moderation?done="+act)
}

// leaderboardView is the data of the leaderboard.
type leaderboardView struct {
	base
	Board      *points.Board
	Month      string // 2006-01
	Prev, Next string // neighbouring months ("" for the future)
	Weights    map[string]int
	// More is the next page of the board ("" on the last); MoreFrom the
	// position it starts at; Top the first page when this is not it.
	More, Top string
	MoreFrom  int
}

// leaderboardPage is how many people one leaderboard page shows.
const leaderboardPage = 20

// leaderboard is GET /leaderboard?month=2006-01: the month's contributors.
func (s *server) leaderboard(c echo.Context) error {
	now := s.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m, err := time.Parse("2006-01", c.QueryParam("month")); err == nil && !m.After(month) && m.Year() >= 2000 {
		month = m
	}
	b, err := s.points.Board(c.Request().Context(), month)
	if err != nil {
		return err
	}
	v := leaderboardView{base: s.newBase(c, langOf(c), "leaderboard.title"), Month: month.Format("2006-01"),
		Weights: points.DefaultWeights}
	from, _ := strconv.Atoi(c.QueryParam("from"))
	if from < 0 || from >= len(b.Entries) {
		from = 0
	}
	page := *b
	page.Entries = b.Entries[from:min(from+leaderboardPage, len(b.Entries))]
	v.Board = &page
	if end := from + len(page.Entries); end < len(b.Entries) {
		v.More, v.MoreFrom = fmt.Sprintf("/leaderboard?month=%s&from=%d", v.Month, end), end+1
	}
	if from > 0 {
		v.Top = "/leaderboard?month=" + v.Month
	}
	v.Nav = "leaderboard"
	v.Prev = "/leaderboard?month=" + month.AddDate(0, -1, 0).Format("2006-01")
	if next := month.AddDate(0, 1, 0); !next.After(now) {
		v.Next = "/leaderboard?month=" + next.Format("2006-01")
	}
	return s.render(c, http.StatusOK, pageLeaderboard, tmplContent, v)
}

// rulesPage is GET /rules: the community rules.
func (s *server) rulesPage(c echo.Context) error {
	v := struct {
		base
		Reasons []string
	}{base: s.newBase(c, langOf(c), "rules.title"), Reasons: stories.Reasons}
	v.Nav = "stories"
	return s.render(c, http.StatusOK, pageRules, tmplContent, v)
}
