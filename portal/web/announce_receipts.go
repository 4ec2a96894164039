package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/store"
)

// Receipts is what the web layer needs for read receipts and comments on
// announcements (*announce.Service).
type Receipts interface {
	Confirm(ctx context.Context, id string, r announce.Receipt) (*announce.Receipt, error)
	Receipts(ctx context.Context, id string, depts []string) (map[string]map[string]announce.Receipt, error)
	MyReceipt(ctx context.Context, id, userID, dept string) (*announce.Receipt, error)
	AddComment(ctx context.Context, id string, c announce.Comment) (*announce.Comment, error)
	Comments(ctx context.Context, id string, limit int) ([]announce.Comment, error)
	Comment(ctx context.Context, id, commentID string) (*announce.Comment, error)
	DeleteComment(ctx context.Context, id, commentID string) error
	DeleteExtras(ctx context.Context, id string) error
}

var _ Receipts = (*announce.Service)(nil)

// The announcement page and its receipt report.
const (
	pageAnnouncement = "announcement"
	pageReceipts     = "receipts"
)

func init() { pageNames = append(pageNames, pageAnnouncement, pageReceipts) }

// receipts returns the receipt part of the announcement domain, or nil.
func (s *server) receipts() Receipts {
	r, _ := s.announce.(Receipts)
	return r
}

func (s *server) receiptRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.receipts() == nil {
		return
	}
	get("/announcements/:id", s.announcementPage)
	write("/announcements/:id/receipt", s.confirmAnnouncement)
	get("/announcements/:id/receipts", s.receiptReport)
	write("/announcements/:id/comments", s.commentAnnouncement)
	write("/announcements/:id/comments/:cid/delete", s.deleteAnnouncementComment)
}

// deleteReceipts drops the receipts and comments of a deleted announcement.
func (s *server) deleteReceipts(c echo.Context, id string) {
	if r := s.receipts(); r != nil {
		if err := r.DeleteExtras(c.Request().Context(), id); err != nil {
			s.log.Warn("delete announcement receipts", slog.String("id", id), slog.Any("err", err))
		}
	}
}

// visibleAnnouncement loads the announcement named in the path, 404 unless
// it is addressed to the user (or the user manages it).
func (s *server) visibleAnnouncement(c echo.Context) (*announce.Announcement, error) {
	id, err := pathParam(c, "id")
	if err != nil {
		return nil, err
	}
	if !announce.ValidID(id) {
		return nil, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("announcement id %q: %w", id, store.ErrNotFound)}
	}
	a, err := s.announce.Get(c.Request().Context(), id)
	if err != nil {
		return nil, fmt.Errorf("announcement %s: %w", id, err)
	}
	u := userOf(c)
	if !canManage(u, a) && a.AuthorID != u.ID && !a.For(u.Department) && !slices.ContainsFunc(u.EditorOf, a.For) {
		return nil, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("%s is not addressed by announcement %s", u.ID, id)}
	}
	return a, nil
}

// announcementView is the data of one announcement's page.
type announcementView struct {
	base
	Item       announceItem
	Mine       *announce.Receipt
	Comments   []commentRow
	CanReport  bool
	Confirmed  bool // just confirmed
	Errors     map[string]string
	Question   string
	NewComment string
	MaxComment int
}

type commentRow struct {
	announce.Comment
	CanDelete bool
}

func (s *server) newAnnouncementView(c echo.Context, a *announce.Announcement) (announcementView, error) {
	ctx := c.Request().Context()
	u := userOf(c)
	v := announcementView{base: s.newBase(c, langOf(c), "receipt.page.title", a.Title), Item: announceItems(u, []announce.Announcement{*a})[0],
		CanReport: canManage(u, a) || a.AuthorID == u.ID, Errors: map[string]string{}, MaxComment: announce.MaxComment}
	v.Nav = "announcements"
	var err error
	if a.Confirm {
		if v.Mine, err = s.receipts().MyReceipt(ctx, a.ID, u.ID, u.Department); err != nil {
			return v, fmt.Errorf("receipt of %s: %w", a.ID, err)
		}
	}
	if a.Comments {
		cs, err := s.receipts().Comments(ctx, a.ID, announce.MaxComments)
		if err != nil {
			return v, fmt.Errorf("comments of %s: %w", a.ID, err)
		}
		for _, cm := range cs {
			v.Comments = append(v.Comments, commentRow{Comment: cm, CanDelete: cm.AuthorID == u.ID || v.CanReport || u.CanModerate()})
		}
	}
	return v, nil
}

// announcementPage is GET /announcements/:id: the announcement with 收到 /
// 有疑问 when it asks for confirmation, and its comments when allowed.
func (s *server) announcementPage(c echo.Context) error {
	a, err := s.visibleAnnouncement(c)
	if err != nil {
		return err
	}
	v, err := s.newAnnouncementView(c, a)
	if err != nil {
		return err
	}
	v.Confirmed = c.QueryParam("confirmed") == "1"
	v.Share = s.announcementShare(a)
	return s.render(c, http.StatusOK, pageAnnouncement, tmplContent, v)
}

// confirmAnnouncement is POST /announcements/:id/receipt: kind=ack (收到) or
// kind=question with a comment to the author (有疑问).
func (s *server) confirmAnnouncement(c echo.Context) error {
	a, err := s.visibleAnnouncement(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	kind, comment := c.FormValue("kind"), strings.TrimSpace(c.FormValue("comment"))
	r := announce.Receipt{UserID: u.ID, Name: u.Name, Department: u.Department, Kind: kind, Comment: comment}
	v, err := s.newAnnouncementView(c, a)
	if err != nil {
		return err
	}
	switch {
	case !a.Confirm:
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("announcement %s asks for no receipts", a.ID)}
	case kind != announce.ReceiptAck && kind != announce.ReceiptQuestion:
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("receipt kind %q", kind)}
	case kind == announce.ReceiptQuestion && comment == "":
		v.Errors["question"] = mustT(v.Lang, "receipt.question.empty")
	case utf8.RuneCountInString(comment) > announce.MaxComment:
		v.Errors["question"] = mustT(v.Lang, "receipt.comment.long", announce.MaxComment)
	}
	if len(v.Errors) > 0 {
		v.Question = comment
		return s.render(c, http.StatusUnprocessableEntity, pageAnnouncement, tmplContent, v)
	}
	if _, err := s.receipts().Confirm(c.Request().Context(), a.ID, r); err != nil {
		return fmt.Errorf("confirm %s: %w", a.ID, err)
	}
	return c.Redirect(http.StatusSeeOther, announceURL(a.ID)+"?confirmed=1")
}

// commentAnnouncement is POST /announcements/:id/comments.
func (s *server) commentAnnouncement(c echo.Context) error {
	a, err := s.visibleAnnouncement(c)
	if err != nil {
		return err
	}
	if !a.Comments {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("announcement %s takes no comments", a.ID)}
	}
	u := userOf(c)
	text := strings.TrimSpace(c.FormValue("text"))
	if text == "" || utf8.RuneCountInString(text) > announce.MaxComment {
		v, err := s.newAnnouncementView(c, a)
		if err != nil {
			return err
		}
		v.NewComment = text
		v.Errors["comment"] = mustT(v.Lang, "receipt.comment.long", announce.MaxComment)
		if text == "" {
			v.Errors["comment"] = mustT(v.Lang, "receipt.comment.empty")
		}
		return s.render(c, http.StatusUnprocessableEntity, pageAnnouncement, tmplContent, v)
	}
	if _, err := s.receipts().AddComment(c.Request().Context(), a.ID, announce.Comment{AuthorID: u.ID, AuthorName: u.Name, Text: text}); err != nil {
		return fmt.Errorf("comment on %s: %w", a.ID, err)
	}
	return c.Redirect(http.StatusSeeOther, announceURL(a.ID)+"#comments")
}

// deleteAnnouncementComment is POST /announcements/:id/comments/:cid/delete:
// by the comment's author, the announcement's managers or a moderator.
func (s *server) deleteAnnouncementComment(c echo.Context) error {
	a, err := s.visibleAnnouncement(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	ctx := c.Request().Context()
	cm, err := s.receipts().Comment(ctx, a.ID, c.Param("cid"))
	if err != nil {
		return fmt.Errorf("comment: %w", err)
	}
	if cm.AuthorID != u.ID && !canManage(u, a) && a.AuthorID != u.ID && !u.CanModerate() {
		return forbidden(fmt.Errorf("%s may not delete comment %s", u.ID, cm.ID))
	}
	if err := s.receipts().DeleteComment(ctx, a.ID, cm.ID); err != nil {
		return fmt.Errorf("delete comment: %w", err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "announcement.comment.delete", Target: "announcement:" + a.ID, Detail: cm.AuthorName + ": " + cm.Text})
	return c.Redirect(http.StatusSeeOther, announceURL(a.ID)+"#comments")
}

// receiptDept is one department's line of the receipt report.
type receiptDept struct {
	Department  string
	Members     int
	Confirmed   int
	Questions   int
	Unconfirmed []string // names of who has not answered
}

// receiptsView is the data of the author's receipt report.
type receiptsView struct {
	base
	Announcement *announce.Announcement
	Depts        []receiptDept
	Questions    []announce.Receipt
	Total        receiptDept
}

// receiptReport is GET /announcements/:id/receipts: for the author and the
// announcement's managers, read and unread counts per department, who has
// not confirmed (by name, from the directory) and the questions asked.
func (s *server) receiptReport(c echo.Context) error {
	a, err := s.visibleAnnouncement(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	if !canManage(u, a) && a.AuthorID != u.ID {
		return forbidden(fmt.Errorf("%s may not see the receipts of %s", u.ID, a.ID))
	}
	ctx := c.Request().Context()
	depts := a.Targets
	if a.Everyone && s.people != nil {
		if depts, err = s.people.Departments(ctx); err != nil {
			return err
		}
	}
	got, err := s.receipts().Receipts(ctx, a.ID, depts)
	if err != nil {
		return fmt.Errorf("receipts of %s: %w", a.ID, err)
	}
	v := receiptsView{base: s.newBase(c, langOf(c), "receipt.report.title", a.Title), Announcement: a}
	v.Nav = "announcements"
	for _, d := range depts {
		rd := receiptDept{Department: d}
		answered := got[d]
		if s.people != nil {
			members, err := s.people.Members(ctx, d)
			if err != nil {
				return err
			}
			for _, m := range members {
				rd.Members++
				if _, ok := answered[m.ID]; !ok {
					rd.Unconfirmed = append(rd.Unconfirmed, m.Name)
				}
			}
		}
		for _, r := range answered {
			rd.Confirmed++
			if r.Kind == announce.ReceiptQuestion {
				rd.Questions++
				v.Questions = append(v.Questions, r)
			}
		}
		rd.Members = max(rd.Members, rd.Confirmed) // readers not yet in the directory still count
		v.Total.Members += rd.Members
		v.Total.Confirmed += rd.Confirmed
		v.Total.Questions += rd.Questions
		v.Depts = append(v.Depts, rd)
	}
	slices.SortFunc(v.Questions, func(x, y announce.Receipt) int { return y.At.Compare(x.At) })
	return s.render(c, http.StatusOK, pageReceipts, tmplContent, v)
}
