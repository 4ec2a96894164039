package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/notify"
)

// Notifier is what the web layer needs from notifications (*notify.Service).
type Notifier interface {
	Emit(ctx context.Context, n notify.Note) error
	EmitAll(ctx context.Context, recipients []string, n notify.Note) error
	Broadcast(ctx context.Context, n notify.Note) error
	List(ctx context.Context, r notify.Reader, before string, limit int) (notify.Page, error)
	Unread(ctx context.Context, r notify.Reader) (int, error)
	Open(ctx context.Context, r notify.Reader, id string) (*notify.Note, error)
	MarkAllRead(ctx context.Context, r notify.Reader) error
	Prefs(ctx context.Context, userID string) ([]notify.Pref, error)
	SetPrefs(ctx context.Context, userID string, choices map[notify.Kind]notify.Channel) error
	PushOn() bool
	SetGroupHook(ctx context.Context, dept, webhook string) error
	GroupHooks(ctx context.Context) ([]notify.GroupHook, error)
}

var _ Notifier = (*notify.Service)(nil)

const (
	pageNotifications = "notifications"
	pageNotifyPrefs   = "notifyprefs"
	tmplNoteItems     = "noteitems"
	notesPerPage      = 20
)

func init() {
	pageNames = append(pageNames, pageNotifications, pageNotifyPrefs, pageAdminWeCom)
	addMessages(notifyMessages)
}

// notifyRoutes registers the 消息 pages.
func (s *server) notifyRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.notify == nil {
		return
	}
	get("/notifications", s.notifications)
	write("/notifications/read", s.markAllRead)
	get("/notifications/settings", s.notifyPrefs)
	write("/notifications/settings", s.saveNotifyPrefs)
	get("/notifications/:id", s.openNotification)
}

func readerOf(u *auth.User) notify.Reader { return notify.Reader{ID: u.ID, Department: u.Department} }

// noteItem is a notification as the page shows it.
type noteItem struct {
	notify.Note
	Text    string // "王敏 评论了你的故事" in the reader's language
	OpenURL string
}

// noteText is the sentence for n in l.
func noteText(l Lang, n notify.Note) string {
	who := n.Actor
	if who == "" {
		who = mustT(l, "notify.someone")
	}
	switch n.Kind {
	case notify.KindStoryLike:
		names := strings.Join(n.Actors, mustT(l, "notify.and"))
		if len(n.Actors) == 0 {
			names = who
		}
		if n.Count > len(n.Actors) && len(n.Actors) > 0 {
			return mustT(l, "notify.text.story.like.many", names, n.Count)
		}
		return mustT(l, "notify.text.story.like", names)
	case notify.KindStoryModerated:
		return mustT(l, "notify.text.story.moderated."+n.Action)
	case notify.KindAnnouncement, notify.KindPoll, notify.KindModQueue, notify.KindWeComProblem:
		return mustT(l, "notify.text."+string(n.Kind), n.Title)
	}
	return mustT(l, "notify.text."+string(n.Kind), who)
}

// notificationsView is the data of the 消息 page.
type notificationsView struct {
	base
	Items   []noteItem
	NextURL string
	Unread  int
	Done    bool // "mark all read" just ran
}

// notifications is GET /notifications?before=: newest first, 20 a page,
// HTMX loads the next page as the last item scrolls into view.
func (s *server) notifications(c echo.Context) error {
	u := userOf(c)
	before, _ := cleanParam(c.QueryParam("before"))
	if before != "" && !notify.ValidID(before) {
		before = ""
	}
	ctx := c.Request().Context()
	p, err := s.notify.List(ctx, readerOf(u), before, notesPerPage)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	l := langOf(c)
	v := notificationsView{base: s.newBase(c, l, "notify.title"), Done: c.QueryParam("done") == "1"}
	v.Nav = "notifications"
	for _, n := range p.Notes {
		v.Items = append(v.Items, noteItem{Note: n, Text: noteText(l, n), OpenURL: "/notifications/" + n.ID})
	}
	if p.Next != "" {
		v.NextURL = "/notifications?before=" + p.Next
	}
	v.Unread = v.base.Unread
	return s.render(c, http.StatusOK, pageNotifications, tmplNoteItems, v)
}

// openNotification is GET /notifications/:id: marks it read and goes to
// the item (a link opened from a list or a WeCom digest).
func (s *server) openNotification(c echo.Context) error {
	u := userOf(c)
	n, err := s.notify.Open(c.Request().Context(), readerOf(u), c.Param("id"))
	if errors.Is(err, notify.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: err}
	}
	if err != nil {
		return fmt.Errorf("open notification: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, safeNext(n.URL))
}

// markAllRead is POST /notifications/read.
func (s *server) markAllRead(c echo.Context) error {
	if err := s.notify.MarkAllRead(c.Request().Context(), readerOf(userOf(c))); err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, "/notifications?done=1")
}

// prefRow is one kind on the settings page.
type prefRow struct {
	notify.Pref
	Name     string
	Field    string
	Channels []notify.Channel
}

// notifyPrefsView is the data of the settings page.
type notifyPrefsView struct {
	base
	Rows   []prefRow
	PushOn bool
	Saved  bool
}

func (s *server) newNotifyPrefsView(c echo.Context) (notifyPrefsView, error) {
	u := userOf(c)
	l := langOf(c)
	prefs, err := s.notify.Prefs(c.Request().Context(), u.ID)
	if err != nil {
		return notifyPrefsView{}, fmt.Errorf("notification settings: %w", err)
	}
	v := notifyPrefsView{base: s.newBase(c, l, "notify.prefs.title"), PushOn: s.notify.PushOn(), Saved: c.QueryParam("saved") == "1"}
	v.Nav = "notifications"
	for _, p := range prefs {
		if !roleAllows(u, p.Role) {
			continue
		}
		chans := notify.Channels
		if !v.PushOn {
			chans = []notify.Channel{notify.ChannelPortal, notify.ChannelOff}
		}
		v.Rows = append(v.Rows, prefRow{Pref: p, Name: mustT(l, "notify.kind."+string(p.Kind)), Field: "k-" + string(p.Kind), Channels: chans})
	}
	return v, nil
}

func roleAllows(u *auth.User, r notify.Role) bool {
	switch r {
	case notify.RoleModerator:
		return u.CanModerate()
	case notify.RoleAdmin:
		return u.IsAdmin()
	}
	return true
}

// notifyPrefs is GET /notifications/settings.
func (s *server) notifyPrefs(c echo.Context) error {
	v, err := s.newNotifyPrefsView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageNotifyPrefs, tmplContent, v)
}

// saveNotifyPrefs is POST /notifications/settings: one radio group per kind.
func (s *server) saveNotifyPrefs(c echo.Context) error {
	u := userOf(c)
	form, err := c.FormParams()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("notification settings: %w", err)}
	}
	choices := map[notify.Kind]notify.Channel{}
	for _, ki := range notify.Kinds() {
		if v := form.Get("k-" + string(ki.Kind)); v != "" && roleAllows(u, ki.Role) {
			choices[ki.Kind] = notify.Channel(v)
		}
	}
	err = s.notify.SetPrefs(c.Request().Context(), u.ID, choices)
	if errors.Is(err, notify.ErrInvalid) {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: err}
	}
	if err != nil {
		return fmt.Errorf("notification settings: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, "/notifications/settings?saved=1")
}

// unreadCount is the badge of the signed-in user (0 when notifications are
// off); a failure is logged and shows no badge, never a failed page.
func (s *server) unreadCount(c echo.Context, u *auth.User) int {
	if s.notify == nil || u == nil {
		return 0
	}
	n, err := s.notify.Unread(c.Request().Context(), readerOf(u))
	if err != nil {
		s.log.Warn("unread notifications", slog.String("user", u.ID), slog.Any("err", err))
		return 0
	}
	return n
}
