package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/polls"
)

// Polls is what the web layer needs from the polls domain (implemented by
// *polls.Service). Missing polls are store.ErrNotFound.
type Polls interface {
	// Create stores a new poll.
	Create(ctx context.Context, p polls.Poll) (*polls.Poll, error)
	// Get returns one poll.
	Get(ctx context.Context, id string) (*polls.Poll, error)
	ListPage(ctx context.Context, u *auth.User, from int) ([]polls.Poll, int, error)
	// HasVoted reports whether the user voted on p.
	HasVoted(ctx context.Context, p *polls.Poll, userID string) (bool, error)
	// Vote records a vote once: polls.ErrVoted, ErrClosed, ErrNotInAudience, ErrInvalid.
	Vote(ctx context.Context, p *polls.Poll, u auth.User, answers []polls.Answer) error
	// Results tallies the votes.
	Results(ctx context.Context, p *polls.Poll) (*polls.Results, error)
}

var _ Polls = (*polls.Service)(nil)

// pollQuestionSlots is how many question rows the (script-free) create form
// offers at first; 添加问题 re-renders it with one more, up to polls.MaxQuestions.
const pollQuestionSlots = 2

// pollDeadlineLayout is the value format of <input type="datetime-local">.
const pollDeadlineLayout = "2006-01-02T15:04"

// canCreatePolls reports whether u may create polls: admins and editors.
func canCreatePolls(u *auth.User) bool { return u.IsEditor() }

// pollRoutes registers the poll pages (signed in).
func (s *server) pollRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	get("/polls", s.pollList)
	get("/polls/new", s.newPollForm, requireEditor)
	write("/polls", s.createPoll, requireEditor)
	get("/polls/:id", s.pollPage)
	write("/polls/:id/vote", s.vote)
	get("/polls/:id/results", s.pollResults)
	get("/polls/:id/chart/:q", s.pollChart)
}

// pollListView is the data of the poll list.
type pollListView struct {
	base
	Polls     []polls.Poll
	Now       time.Time
	CanCreate bool
	More      string // the URL of the next page; empty on the last
}

// pollList is GET /polls.
func (s *server) pollList(c echo.Context) error {
	u := userOf(c)
	from, _ := strconv.Atoi(c.QueryParam("from"))
	list, next, err := s.polls.ListPage(c.Request().Context(), u, from)
	if err != nil {
		return fmt.Errorf("poll list: %w", err)
	}
	v := pollListView{base: s.newBase(c, langOf(c), "polls.title"), Polls: list, Now: s.now(), CanCreate: canCreatePolls(u)}
	if next > 0 {
		v.More = "/polls?from=" + strconv.Itoa(next)
	}
	v.Nav = "polls"
	return s.render(c, http.StatusOK, pagePolls, tmplContent, v)
}

// questionSlot is one row of the create form.
type questionSlot struct {
	N        int
	Num      int // N+1, as shown
	Text     string
	Kind     string
	Options  string
	Optional bool
}

// pollFormView is the data of the create form.
type pollFormView struct {
	base
	PollTitle  string
	Intro      string
	Mode       string
	Deadline   string
	Depts      []string // offered as checkboxes
	Chosen     map[string]string
	OtherDepts string
	OwnerDepts []string // departments the creator may file the poll under
	OwnerDept  string
	Slots      []questionSlot
	Errors     map[string]string
	CanAdd     bool // fewer slots than polls.MaxQuestions
	Added      bool // the form was re-rendered by 添加问题
}

// newPollFormView fills the form with defaults.
func (s *server) newPollFormView(c echo.Context) (pollFormView, error) {
	u := userOf(c)
	v := pollFormView{base: s.newBase(c, langOf(c), "polls.new.title"), Mode: string(polls.Anonymous),
		Deadline: s.now().AddDate(0, 0, 7).Format(pollDeadlineLayout), Chosen: map[string]string{}, Errors: map[string]string{},
		OwnerDepts: slices.Clone(u.EditorOf)}
	if !u.IsAdmin() && len(u.EditorOf) > 0 {
		v.OwnerDept = u.EditorOf[0]
	}
	if s.files != nil {
		depts, err := s.files.Departments(c.Request().Context())
		if err != nil {
			return v, fmt.Errorf("poll form: departments: %w", err)
		}
		for _, d := range depts {
			v.Depts = append(v.Depts, d.Name)
		}
	}
	v.setSlots(pollQuestionSlots)
	v.Nav = "polls"
	return v, nil
}

// newPollForm is GET /polls/new (admins and editors).
func (s *server) newPollForm(c echo.Context) error {
	v, err := s.newPollFormView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pagePollForm, tmplContent, v)
}

// createPoll is POST /polls (admins and editors).
func (s *server) createPoll(c echo.Context) error {
	u := userOf(c)
	v, err := s.newPollFormView(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("poll form: %w", err)}
	}
	v.PollTitle, v.Intro, v.Mode = form.Get("title"), form.Get("intro"), form.Get("mode")
	v.Deadline, v.OtherDepts, v.OwnerDept = form.Get("deadline"), form.Get("other_depts"), form.Get("owner_dept")
	p := polls.Poll{Title: v.PollTitle, Intro: v.Intro, Mode: polls.Mode(v.Mode), Owner: u.ID, OwnerDept: v.OwnerDept}
	for _, d := range form["dept"] {
		v.Chosen[d] = d
		p.Departments = append(p.Departments, d)
	}
	for _, d := range strings.FieldsFunc(v.OtherDepts, markdown.IsListSeparator) {
		p.Departments = append(p.Departments, strings.TrimSpace(d))
	}
	l := v.Lang
	if p.OwnerDept != "" && !u.CanEdit(p.OwnerDept) || p.OwnerDept == "" && !u.IsAdmin() {
		v.Errors["owner_dept"] = mustT(l, "polls.owner.denied")
	}
	dl, err := time.ParseInLocation(pollDeadlineLayout, v.Deadline, time.Local)
	switch {
	case err != nil:
		v.Errors["deadline"] = mustT(l, "polls.deadline.invalid")
	case !dl.After(s.now()):
		v.Errors["deadline"] = mustT(l, "polls.deadline.past")
	}
	p.Deadline = dl
	slots, _ := strconv.Atoi(form.Get("slots"))
	for k := range form { // a slot the form sent counts even without "slots"
		if n, err := strconv.Atoi(strings.TrimPrefix(k, "qtext")); err == nil && strings.HasPrefix(k, "qtext") && n >= slots {
			slots = n + 1
		}
	}
	adding := form.Get("add") != ""
	if adding {
		slots++
	}
	v.setSlots(slots)
	var slotOf []int // the slot of each filled question
	for i := range v.Slots {
		sl := &v.Slots[i]
		n := strconv.Itoa(i)
		sl.Text, sl.Kind, sl.Options = form.Get("qtext"+n), cmp.Or(form.Get("qkind"+n), string(polls.Single)), form.Get("qopts"+n)
		sl.Optional = form.Get("qoptional"+n) != ""
		if strings.TrimSpace(sl.Text) == "" {
			continue
		}
		q := polls.Question{Text: sl.Text, Kind: polls.Kind(sl.Kind), Optional: sl.Optional}
		if q.Kind != polls.Text {
			q.Options = strings.Split(strings.ReplaceAll(sl.Options, "\r\n", "\n"), "\n")
		}
		p.Questions = append(p.Questions, q)
		slotOf = append(slotOf, i)
	}
	if adding { // 添加问题: the same form with one more slot, nothing checked yet
		v.Errors, v.Added = map[string]string{}, true
		return s.render(c, http.StatusOK, pagePollForm, tmplContent, v)
	}
	if len(v.Errors) == 0 {
		if err := p.Validate(); err != nil {
			if !errors.Is(err, polls.ErrInvalid) {
				return fmt.Errorf("create poll: %w", err)
			}
			field, q, msg, ok := pollFieldError(l, err, func(q int) int {
				if q <= len(slotOf) {
					return slotOf[q-1] + 1
				}
				return q
			})
			switch {
			case !ok:
				v.Errors["questions"] = mustT(l, "formerr.invalid")
			case q > 0 && q <= len(slotOf): // next to the question's own slot
				v.Errors["q"+strconv.Itoa(slotOf[q-1])] = msg
			case field == polls.FieldTitle || field == polls.FieldIntro || field == polls.FieldDeadline:
				v.Errors[field] = msg
			default:
				v.Errors["questions"] = msg
			}
		}
	}
	if _, denied := v.Errors["owner_dept"]; denied {
		return s.render(c, http.StatusForbidden, pagePollForm, tmplContent, v)
	}
	if len(v.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, pagePollForm, tmplContent, v)
	}
	created, err := s.polls.Create(c.Request().Context(), p)
	if err != nil {
		return fmt.Errorf("create poll: %w", err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "poll.create", Target: "poll:" + created.ID, Detail: created.Title})
	s.notifyPoll(c, created, u.Name)
	return c.Redirect(http.StatusSeeOther, "/polls/"+created.ID)
}

// pollView is the data of the vote page.
type pollView struct {
	base
	Poll      *polls.Poll
	Open      bool
	Voted     bool
	Included  bool
	CanSee    bool // may see the results
	CanManage bool
	Errors    map[string]string
	Picked    map[string]bool   // "q<i>-<option>" → checked, to keep input
	Texts     map[string]string // "q<i>" → text
	Notice    string
	Qs        []pollQ
	Audience  string // the departments, joined
}

// pollQ is a question numbered for the page; Name is its form field.
type pollQ struct {
	polls.Question
	Num  int
	Name string
}

// loadPoll reads the poll of the path and what the user may do with it; a
// poll addressed elsewhere is a 404 to those who do not manage it.
func (s *server) loadPoll(c echo.Context) (pollView, error) {
	ctx := c.Request().Context()
	u := userOf(c)
	p, err := s.polls.Get(ctx, c.Param("id"))
	if err != nil {
		return pollView{}, fmt.Errorf("poll: %w", err)
	}
	v := pollView{base: s.newBase(c, langOf(c), "poll.title", p.Title), Poll: p, Open: p.Open(s.now()),
		Included: p.Includes(u.Department), CanManage: p.CanManage(u), Errors: map[string]string{},
		Picked: map[string]bool{}, Texts: map[string]string{}}
	if !v.Included && !v.CanManage {
		return pollView{}, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("poll %s is not for %s", p.ID, u.Department)}
	}
	if v.Voted, err = s.polls.HasVoted(ctx, p, u.ID); err != nil {
		return pollView{}, fmt.Errorf("poll %s: %w", p.ID, err)
	}
	v.CanSee = v.CanManage || v.Voted || !v.Open
	for i, q := range p.Questions {
		v.Qs = append(v.Qs, pollQ{Question: q, Num: i + 1, Name: "q" + strconv.Itoa(i)})
	}
	shown := make([]string, len(p.Departments))
	for i, d := range p.Departments {
		shown[i] = s.deptShown(d) // the display name after a rename (deptnames.go)
	}
	v.Audience = strings.Join(shown, "、")
	v.Nav = "polls"
	return v, nil
}

// pollPage is GET /polls/:id: the mode stated up front, then the questions
// (or "you have voted", or "closed").
func (s *server) pollPage(c echo.Context) error {
	v, err := s.loadPoll(c)
	if err != nil {
		return err
	}
	if c.QueryParam("voted") == "1" && v.Voted {
		v.Notice = mustT(v.Lang, "poll.thanks")
	}
	return s.render(c, http.StatusOK, pagePoll, tmplContent, v)
}

// vote is POST /polls/:id/vote: q<i> holds the option indexes (one for
// single, any for multiple) or the text.
func (s *server) vote(c echo.Context) error {
	v, err := s.loadPoll(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("vote form: %w", err)}
	}
	l := v.Lang
	answers := make([]polls.Answer, len(v.Poll.Questions))
	for i, q := range v.Poll.Questions {
		name := "q" + strconv.Itoa(i)
		if q.Kind == polls.Text {
			answers[i].Text = form.Get(name)
			v.Texts[name] = answers[i].Text
			continue
		}
		for _, raw := range form[name] {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("vote: %s=%q", name, raw)}
			}
			answers[i].Choices = append(answers[i].Choices, n)
			v.Picked[name+"-"+raw] = true
		}
	}
	err = s.polls.Vote(c.Request().Context(), v.Poll, *userOf(c), answers)
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/polls/"+v.Poll.ID+"?voted=1")
	case errors.Is(err, polls.ErrVoted):
		v.Voted, v.CanSee = true, true
		v.Errors["poll"] = mustT(l, "poll.voted.already")
		return s.render(c, http.StatusConflict, pagePoll, tmplContent, v)
	case errors.Is(err, polls.ErrClosed):
		v.Errors["poll"] = mustT(l, "poll.closed")
		return s.render(c, http.StatusConflict, pagePoll, tmplContent, v)
	case errors.Is(err, polls.ErrNotInAudience):
		return forbidden(err)
	case errors.Is(err, polls.ErrInvalid):
		v.Errors["poll"] = mustT(l, "poll.answers.invalid")
		return s.render(c, http.StatusUnprocessableEntity, pagePoll, tmplContent, v)
	}
	return fmt.Errorf("vote: %w", err)
}

// pollResultsView is the data of the results page.
type pollResultsView struct {
	base
	Poll      *polls.Poll
	Results   *polls.Results
	CanManage bool
	Open      bool
	Qs        []resultQ
}

// resultQ is a question's tally numbered for the page.
type resultQ struct {
	polls.QuestionResult
	Index, Num int
}

// visibleResults loads the poll and refuses the results to those who may
// not see them yet (in the audience, not voted, poll still open).
func (s *server) visibleResults(c echo.Context) (pollView, error) {
	v, err := s.loadPoll(c)
	if err != nil {
		return v, err
	}
	if !v.CanSee {
		return v, forbidden(fmt.Errorf("results of poll %s before voting", v.Poll.ID))
	}
	return v, nil
}

// pollResults is GET /polls/:id/results: SVG bar charts per choice
// question, the text answers (named only in named mode), and for managers
// the "not yet voted" count per department.
func (s *server) pollResults(c echo.Context) error {
	v, err := s.visibleResults(c)
	if err != nil {
		return err
	}
	r, err := s.polls.Results(c.Request().Context(), v.Poll)
	if err != nil {
		return fmt.Errorf("poll results: %w", err)
	}
	rv := pollResultsView{base: s.newBase(c, v.Lang, "poll.results.title", v.Poll.Title), Poll: v.Poll, Results: r,
		CanManage: v.CanManage, Open: v.Open}
	for i, qr := range r.Questions {
		rv.Qs = append(rv.Qs, resultQ{QuestionResult: qr, Index: i, Num: i + 1})
	}
	rv.Nav = "polls"
	return s.render(c, http.StatusOK, pagePollResults, tmplContent, rv)
}

// pollChart is GET /polls/:id/chart/:q: the SVG bar chart of question q.
func (s *server) pollChart(c echo.Context) error {
	v, err := s.visibleResults(c)
	if err != nil {
		return err
	}
	q, err := strconv.Atoi(c.Param("q"))
	if err != nil || q < 0 || q >= len(v.Poll.Questions) || v.Poll.Questions[q].Kind == polls.Text {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("poll %s has no chart %q", v.Poll.ID, c.Param("q"))}
	}
	r, err := s.polls.Results(c.Request().Context(), v.Poll)
	if err != nil {
		return fmt.Errorf("poll chart: %w", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", previewCSP)
	return c.Blob(http.StatusOK, "image/svg+xml", polls.ChartSVG(v.Poll.Questions[q], r.Questions[q].Counts))
}

// Page templates of the polls.
const (
	pagePolls       = "polls"
	pagePollForm    = "pollform"
	pagePoll        = "poll"
	pagePollResults = "pollresults"
)

// setSlots gives the form n question slots (at least pollQuestionSlots, at
// most polls.MaxQuestions), keeping what the existing ones hold.
func (v *pollFormView) setSlots(n int) {
	n = max(pollQuestionSlots, min(n, polls.MaxQuestions))
	for i := len(v.Slots); i < n; i++ {
		v.Slots = append(v.Slots, questionSlot{N: i, Num: i + 1, Kind: string(polls.Single)})
	}
	v.Slots = v.Slots[:n]
	v.CanAdd = n < polls.MaxQuestions
}
