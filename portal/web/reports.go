package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
)

// Reports is what the web layer needs from 一线上报 (*reports.Service).
type Reports interface {
	Create(ctx context.Context, by reports.Person, department, text, videoJob string, imgs ...images.Result) (*reports.Report, error)
	Photo(ctx context.Context, id string, n int, thumb bool) (io.ReadCloser, store.Object, error)
	Get(ctx context.Context, id string) (*reports.Report, error)
	ForDepartment(ctx context.Context, department string) ([]*reports.Report, error)
	Mine(ctx context.Context, userID string) ([]*reports.Report, error)
	Reply(ctx context.Context, id string, by reports.Person, manager bool, text string) (*reports.Report, error)
	SetStatus(ctx context.Context, id string, st reports.Status) (*reports.Report, error)
}

var _ Reports = (*reports.Service)(nil)

const (
	pageReports     = "reports"
	pageReportForm  = "reportform"
	pageReport      = "report"
	pageReportQueue = "reportqueue"
)

func init() {
	pageNames = append(pageNames, pageReports, pageReportForm, pageReport, pageReportQueue)
	addMessages(reportMessages)
}

// reportRoutes registers 一线上报. The form streams its video like a story.
func (s *server) reportRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc), match func([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.reports == nil {
		return
	}
	get("/reports", s.reportList)
	get("/reports/new", s.reportForm)
	match([]string{http.MethodPost}, "/reports", s.createReport, s.requireUser, maxBody(s.storyVideoLimit()+reports.MaxImages*imageMaxBytes+1<<20))
	get("/reports/queue", s.reportQueue)
	get("/reports/:id", s.reportPage)
	get("/reports/:id/photo/:n", s.reportPhoto)
	get("/reports/:id/thumb/:n", s.reportPhoto)
	write("/reports/:id/reply", s.replyReport)
	write("/reports/:id/status", s.statusReport)
	if s.media != nil {
		get("/reports/:id/video.mp4", s.reportVideo)
		get("/reports/:id/poster.jpg", s.reportVideo)
	}
}

func reportURL(id string) string { return "/reports/" + url.PathEscape(id) }

// reportCard is a report in lists and on its page.
type reportCard struct {
	*reports.Report
	URL   string
	Video *videoView
}

type reportsView struct {
	base
	Cards   []reportCard
	Manages []string // the departments the viewer manages
}

// manages lists the departments u manages (edits); admins manage all.
func manages(u *auth.User, dept string) bool { return u.CanEdit(dept) }

func (s *server) reportCards(ctx context.Context, rs []*reports.Report) []reportCard {
	out := make([]reportCard, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.reportCard(ctx, r))
	}
	return out
}

func (s *server) reportCard(ctx context.Context, r *reports.Report) reportCard {
	c := reportCard{Report: r, URL: reportURL(r.ID)}
	if r.VideoJob != "" && s.media != nil {
		if j, err := s.media.Job(ctx, r.VideoJob); err == nil {
			v := &videoView{Width: j.Width, Height: j.Height, Seconds: int(j.Seconds + 0.5), Processing: !j.Done() && !j.Failed()}
			if j.Done() {
				v.Done, v.Src, v.Poster = true, c.URL+"/video.mp4", c.URL+"/poster.jpg"
			}
			if j.Failed() {
				v.Reason = j.ReasonZh
			}
			c.Video = v
		}
	}
	return c
}

// reportList is GET /reports: my reports.
func (s *server) reportList(c echo.Context) error {
	u := userOf(c)
	rs, err := s.reports.Mine(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	v := reportsView{base: s.newBase(c, langOf(c), "reports.title"), Cards: s.reportCards(c.Request().Context(), rs), Manages: u.EditorOf}
	v.Nav = "reports"
	return s.render(c, http.StatusOK, pageReports, tmplContent, v)
}

// reportQueue is GET /reports/queue: the reports to the departments I manage.
func (s *server) reportQueue(c echo.Context) error {
	u := userOf(c)
	if !u.IsEditor() {
		return &Error{Status: http.StatusForbidden, Public: "error.403", Cause: errors.New("report queue: not a manager")}
	}
	depts := u.EditorOf
	if dept := c.QueryParam("department"); dept != "" && u.CanEdit(dept) {
		depts = []string{dept}
	}
	var all []*reports.Report
	for _, d := range depts {
		rs, err := s.reports.ForDepartment(c.Request().Context(), d)
		if err != nil {
			return err
		}
		all = append(all, rs...)
	}
	v := reportsView{base: s.newBase(c, langOf(c), "reports.queue.title"), Cards: s.reportCards(c.Request().Context(), all), Manages: u.EditorOf}
	v.Nav = "reports"
	return s.render(c, http.StatusOK, pageReportQueue, tmplContent, v)
}

type reportFormView struct {
	base
	Departments []string
	Department  string
	Text        string
	Errors      map[string]string
	Video       *videoLimits
	MaxImages   int
	MaxMB       int
}

func (s *server) newReportFormView(c echo.Context) (reportFormView, error) {
	v := reportFormView{base: s.newBase(c, langOf(c), "reports.new.title"), Errors: map[string]string{}, MaxImages: reports.MaxImages, MaxMB: imageMaxBytes >> 20}
	v.Nav = "reports"
	if s.files != nil {
		ds, err := s.files.Departments(c.Request().Context())
		if err != nil {
			return v, err
		}
		for _, d := range ds {
			v.Departments = append(v.Departments, d.Name)
		}
	}
	for _, d := range append([]string{userOf(c).Department}, s.editorDepartments(c)...) {
		if d != "" && !slices.Contains(v.Departments, d) {
			v.Departments = append(v.Departments, d)
		}
	}
	v.Department = userOf(c).Department
	if s.media != nil {
		v.Video = &videoLimits{Seconds: int(s.media.MaxDuration().Seconds()), MB: int(s.media.MaxBytes() >> 20)}
	}
	return v, nil
}

// reportForm is GET /reports/new.
func (s *server) reportForm(c echo.Context) error {
	v, err := s.newReportFormView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageReportForm, tmplContent, v)
}

// createReport is POST /reports: CSRF, department and text first, then the
// video, streamed into the transcode queue.
func (s *server) createReport(c echo.Context) error {
	u := userOf(c)
	v, err := s.newReportFormView(c)
	if err != nil {
		return err
	}
	l, req := v.Lang, c.Request()
	sess, _ := sessionOf(c)
	csrfOK := auth.CheckCSRF(sess, req.Header.Get(csrfHeader))
	csrfErr := &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("report: csrf token missing, wrong or after the video")}
	mr, err := req.MultipartReader()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("report: %w", err)}
	}
	job, status := "", http.StatusUnprocessableEntity
	var photos []images.Result
	photoLimits := s.photoLimits(c, storyRequestPixels)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if berr := bodyError(err); errors.Is(berr, errTooLarge) {
				v.Errors["video"], status = mustT(l, "media.large", s.media.MaxBytes()>>20), http.StatusRequestEntityTooLarge
				break
			} else {
				return berr
			}
		}
		if p.FormName() == imagesField {
			if !csrfOK {
				s.drain(c)
				return csrfErr
			}
			if p.FileName() == "" || v.Errors[imagesField] != "" {
				continue
			}
			if len(photos) == reports.MaxImages {
				v.Errors[imagesField] = mustT(l, "storyform.images.many", reports.MaxImages)
				continue
			}
			res, err := images.Process(p, photoLimits)
			if rerr := photoRefusal(c, err); rerr != nil {
				s.drain(c)
				s.dropVideo(c, job)
				return rerr
			}
			if err != nil {
				v.Errors[imagesField], status = imageError(l, p.FileName(), err)
				continue
			}
			photos = append(photos, *res)
			continue
		}
		if p.FormName() != videoField {
			b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return bodyError(err)
			}
			val := strings.ToValidUTF8(string(b), "")
			switch p.FormName() {
			case csrfField:
				csrfOK = csrfOK || auth.CheckCSRF(sess, val)
			case "department":
				v.Department = val
			case "text":
				v.Text = val
			}
			continue
		}
		if !csrfOK {
			s.drain(c)
			return csrfErr
		}
		if p.FileName() == "" || s.media == nil || job != "" {
			continue
		}
		id, msg, code, err := s.enqueueMedia(c, l, media.KindVideo, p)
		if err != nil {
			s.drain(c)
			return err
		}
		if msg != "" {
			v.Errors["video"], status = msg, code
			continue
		}
		job = id
	}
	s.drain(c)
	if !csrfOK {
		s.dropVideo(c, job)
		return csrfErr
	}
	if !slices.Contains(v.Departments, v.Department) && len(s.deptEditorIDs(c, v.Department)) == 0 {
		v.Errors["department"] = mustT(l, "reports.department.pick")
	}
	if len(v.Errors) == 0 {
		r, err := s.reports.Create(req.Context(), reports.Person{ID: u.ID, Name: u.Name, Department: u.Department}, v.Department, v.Text, job, photos...)
		if err == nil {
			s.claimMedia(c, media.Owner(media.OwnerReport, r.ID), job)
			s.notifyReportManagers(c, r)
			return c.Redirect(http.StatusSeeOther, reportURL(r.ID))
		}
		if !errors.Is(err, reports.ErrInvalid) {
			s.dropVideo(c, job)
			return fmt.Errorf("create report: %w", err)
		}
		v.Errors["text"] = mustT(l, "reports.text.invalid", reports.MaxText)
	}
	s.dropVideo(c, job)
	return s.render(c, status, pageReportForm, tmplContent, v)
}

// viewableReport loads a report its reporter or a manager of its department may see.
func (s *server) viewableReport(c echo.Context) (*reports.Report, bool, error) {
	r, err := s.reports.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, false, err
	}
	u := userOf(c)
	mgr := manages(u, r.Department)
	if r.Reporter != u.ID && !mgr {
		return nil, false, fmt.Errorf("report %s: %w", r.ID, store.ErrNotFound)
	}
	return r, mgr, nil
}

type reportView struct {
	base
	Card     reportCard
	Manager  bool
	Statuses []reports.Status
	Reply    string
	Errors   map[string]string
}

// reportPage is GET /reports/:id.
func (s *server) reportPage(c echo.Context) error {
	r, mgr, err := s.viewableReport(c)
	if err != nil {
		return err
	}
	v := reportView{base: s.newBase(c, langOf(c), "report.title", r.Department), Card: s.reportCard(c.Request().Context(), r),
		Manager: mgr, Statuses: reports.Statuses, Errors: map[string]string{}}
	v.Nav = "reports"
	return s.render(c, http.StatusOK, pageReport, tmplContent, v)
}

// replyReport is POST /reports/:id/reply (the reporter or a manager).
func (s *server) replyReport(c echo.Context) error {
	r, mgr, err := s.viewableReport(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	r, err = s.reports.Reply(c.Request().Context(), r.ID, reports.Person{ID: u.ID, Name: u.Name}, mgr && r.Reporter != u.ID, c.FormValue("text"))
	if errors.Is(err, reports.ErrInvalid) {
		return &Error{Status: http.StatusUnprocessableEntity, Public: "reports.text.invalid.page", Cause: err}
	}
	if err != nil {
		return err
	}
	if u.ID != r.Reporter {
		s.emit(c, notify.Note{Kind: notify.KindReportReply, To: r.Reporter, ActorID: u.ID, Actor: u.Name, Ref: r.ID,
			Title: reportTitle(r), Body: r.Thread[len(r.Thread)-1].Text, URL: reportURL(r.ID)})
	}
	return c.Redirect(http.StatusSeeOther, reportURL(r.ID)+"#thread")
}

// statusReport is POST /reports/:id/status (managers).
func (s *server) statusReport(c echo.Context) error {
	r, mgr, err := s.viewableReport(c)
	if err != nil {
		return err
	}
	if !mgr {
		return &Error{Status: http.StatusForbidden, Public: "error.403", Cause: errors.New("report status: not a manager")}
	}
	r, err = s.reports.SetStatus(c.Request().Context(), r.ID, reports.Status(c.FormValue("status")))
	if errors.Is(err, reports.ErrInvalid) {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: err}
	}
	if err != nil {
		return err
	}
	u := userOf(c)
	s.emit(c, notify.Note{Kind: notify.KindReportStatus, To: r.Reporter, ActorID: u.ID, Actor: u.Name, Ref: r.ID,
		Action: string(r.Status), Title: reportTitle(r), URL: reportURL(r.ID)})
	return c.Redirect(http.StatusSeeOther, reportURL(r.ID))
}

// reportPhoto is GET /reports/:id/photo/:n and /thumb/:n.
func (s *server) reportPhoto(c echo.Context) error {
	r, _, err := s.viewableReport(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(r.Images) {
		return fmt.Errorf("report %s photo %q: %w", r.ID, c.Param("n"), store.ErrNotFound)
	}
	rc, obj, err := s.reports.Photo(c.Request().Context(), r.ID, n, strings.Contains(c.Path(), "/thumb/"))
	if err != nil {
		return err
	}
	defer rc.Close()
	return serveJPEG(c, rc, obj, imageCache)
}

// reportVideo is GET /reports/:id/video.mp4 and /poster.jpg.
func (s *server) reportVideo(c echo.Context) error {
	r, _, err := s.viewableReport(c)
	if err != nil {
		return err
	}
	if r.VideoJob == "" {
		return fmt.Errorf("report %s has no video: %w", r.ID, store.ErrNotFound)
	}
	part := media.PartVideo
	if strings.HasSuffix(c.Path(), "/poster.jpg") {
		part = media.PartPoster
	}
	return s.serveMedia(c, r.VideoJob, part)
}

// notifyReportManagers tells the department's managers about a new report.
func (s *server) notifyReportManagers(c echo.Context, r *reports.Report) {
	if s.notify == nil {
		return
	}
	to := s.deptEditorIDs(c, r.Department)
	if len(to) == 0 {
		return
	}
	u := userOf(c)
	n := notify.Note{Kind: notify.KindReportNew, ActorID: u.ID, Actor: u.Name, Ref: r.ID, Title: reportTitle(r), Body: r.Text, URL: reportURL(r.ID)}
	if err := s.notify.EmitAll(c.Request().Context(), to, n); err != nil {
		s.log.Error("report notification failed", "report", r.ID, "err", err)
	}
}

// reportTitle is the start of a report's text.
func reportTitle(r *reports.Report) string { return textTitle(r.Text, "🎬") }

var reportMessages = map[string][2]string{
	"nav.reports":                {"一线上报", "Front-line reports"},
	"reports.title":              {"一线上报", "Front-line reports"},
	"reports.intro":              {"把一线看到的情况（文字或一段短视频）直接报给部门负责人，不会出现在公开的故事里。", "Report what you see on the front line (text or a short video) straight to a department's managers; it does not appear in the public stories."},
	"reports.new":                {"新上报", "New report"},
	"reports.new.title":          {"一线上报", "New front-line report"},
	"reports.mine.empty":         {"你还没有上报过。", "You have not reported anything yet."},
	"reports.queue":              {"待处理的上报", "Reports to handle"},
	"reports.queue.title":        {"上报处理队列", "Report queue"},
	"reports.queue.empty":        {"没有上报。", "No reports."},
	"reports.department":         {"报给哪个部门的负责人", "To the managers of"},
	"reports.department.pick":    {"请选择部门", "pick a department"},
	"reports.text":               {"情况说明", "What is happening"},
	"reports.text.help":          {"最多 %d 字；有视频时可以不写。", "At most %d characters; optional with a video."},
	"reports.text.invalid":       {"请写明情况（最多 %d 字），或附一段视频", "describe it (at most %d characters) or attach a video"},
	"reports.text.invalid.page":  {"回复不能为空，最多 1000 字。", "A reply cannot be empty and has at most 1000 characters."},
	"reports.images":             {"照片（可选）", "Photos (optional)"},
	"reports.images.help":        {"最多 %d 张，每张最多 %d MB；照片会重新编码，位置等信息不会保留。", "Up to %d photos, at most %d MB each; they are re-encoded and keep no location."},
	"reports.photo":              {"第 %d 张照片", "Photo %d"},
	"reports.video":              {"短视频（可选）", "Short video (optional)"},
	"reports.submit":             {"上报", "Send report"},
	"reports.from":               {"%s（%s）上报", "Reported by %s (%s)"},
	"reports.status":             {"状态", "Status"},
	"reports.status.received":    {"已收到", "Received"},
	"reports.status.in_progress": {"处理中", "In progress"},
	"reports.status.resolved":    {"已解决", "Resolved"},
	"reports.status.set":         {"更新状态", "Update status"},
	"reports.thread":             {"回复", "Replies"},
	"reports.thread.empty":       {"还没有回复。", "No replies yet."},
	"reports.manager":            {"负责人", "Manager"},
	"reports.reply":              {"写回复", "Write a reply"},
	"reports.reply.send":         {"发送", "Send"},
	"report.title":               {"给 %s 的上报", "Report to %s"},
	"notify.kind.report.new":     {"有人向我负责的部门上报", "Reports to departments I manage"},
	"notify.kind.report.reply":   {"我的上报有回复", "Replies to my reports"},
	"notify.kind.report.status":  {"我的上报状态变化", "Status changes of my reports"},
	"notify.text.report.new":     {"%s 发来一线上报", "%s sent a front-line report"},
	"notify.text.report.reply":   {"%s 回复了你的上报", "%s replied to your report"},
	"notify.text.report.status":  {"%s 更新了你的上报状态", "%s updated the status of your report"},
}
