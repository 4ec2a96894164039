package web

import (
	"log/slog"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/stories"
)

// The hooks below tell people what happened after an action succeeded. A
// failure to notify is logged and never undoes or fails the action. None
// is called from the anonymous suggestion routes.

func (s *server) emit(c echo.Context, n notify.Note) {
	if s.notify == nil {
		return
	}
	if err := s.notify.Emit(c.Request().Context(), n); err != nil {
		s.log.Error("notification failed", slog.String("kind", string(n.Kind)), slog.String("to", n.To), slog.Any("err", err))
	}
}

func (s *server) broadcast(c echo.Context, n notify.Note) {
	if s.notify == nil {
		return
	}
	if err := s.notify.Broadcast(c.Request().Context(), n); err != nil {
		s.log.Error("broadcast failed", slog.String("kind", string(n.Kind)), slog.String("ref", n.Ref), slog.Any("err", err))
	}
}

// notifyLike tells the author of st that u liked it (batched per story).
func (s *server) notifyLike(c echo.Context, st *stories.Story) {
	u := userOf(c)
	s.emit(c, notify.Note{Kind: notify.KindStoryLike, To: st.Author, ActorID: u.ID, Actor: u.Name,
		Ref: st.ID, Title: storyTitle(st), URL: storyURL(st.ID)})
}

// notifyComment tells the story's author about a comment, and the author of
// the comment replied to (replyTo, nil for none) about the reply; someone
// who is both hears once, as the one replied to.
func (s *server) notifyComment(c echo.Context, st *stories.Story, cm *stories.Comment, replyTo *stories.Comment) {
	u := userOf(c)
	base := notify.Note{ActorID: u.ID, Actor: u.Name, Ref: st.ID, Title: storyTitle(st), Body: cm.Text,
		URL: storyURL(st.ID) + "#c-" + cm.ID}
	if replyTo != nil && replyTo.Author != u.ID {
		n := base
		n.Kind, n.To = notify.KindCommentReply, replyTo.Author
		s.emit(c, n)
		if replyTo.Author == st.Author {
			return
		}
	}
	n := base
	n.Kind, n.To = notify.KindStoryComment, st.Author
	s.emit(c, n)
}

// notifyModerated tells the author what a moderator did (actorID is the
// moderator, or "system" for the auto-hide of a reported story; a moderator
// acting on their own story is not told).
func (s *server) notifyModerated(c echo.Context, st *stories.Story, act stories.Action, actorID, note string) {
	action := map[stories.Action]string{stories.ActHide: notify.ActionHidden, stories.ActRestore: notify.ActionRestored,
		stories.ActWarn: notify.ActionWarned, stories.ActDelete: notify.ActionDeleted}[act]
	if action == "" {
		return
	}
	s.emit(c, notify.Note{Kind: notify.KindStoryModerated, To: st.Author, ActorID: actorID, Ref: st.ID,
		Action: action, Title: storyTitle(st), Body: note, URL: storyURL(st.ID)})
}

// notifyReport tells the moderators (and admins) that a story waits in the queue.
func (s *server) notifyReport(c echo.Context, st *stories.Story, reason string) {
	if s.notify == nil {
		return
	}
	u := userOf(c)
	to := s.moderatorIDs(c)
	n := notify.Note{Kind: notify.KindModQueue, ActorID: u.ID, Ref: st.ID, Title: storyTitle(st),
		Body: mustT(LangZh, "reason."+reason), URL: "/moderation"}
	if err := s.notify.EmitAll(c.Request().Context(), to, n); err != nil {
		s.log.Error("moderation queue notification failed", slog.Any("err", err))
	}
}

// notifyAnnouncement tells the announcement's departments (or everyone).
func (s *server) notifyAnnouncement(c echo.Context, a *announce.Announcement) {
	s.broadcast(c, notify.Note{Kind: notify.KindAnnouncement, Everyone: a.Everyone, Departments: a.Targets,
		Ref: a.ID, ActorID: a.AuthorID, Actor: a.AuthorName, Title: a.Title, Body: firstLine(a.Body), URL: announceHome(a)})
}

// notifyPoll tells the poll's audience (everyone when it names no department).
func (s *server) notifyPoll(c echo.Context, p *polls.Poll, byName string) {
	s.broadcast(c, notify.Note{Kind: notify.KindPoll, Everyone: len(p.Departments) == 0, Departments: p.Departments,
		Ref: p.ID, ActorID: p.Owner, Actor: byName, Title: p.Title,
		Body: mustT(LangZh, "notify.poll.deadline", p.Deadline.Format("2006-01-02 15:04")), URL: "/polls/" + p.ID})
}

// firstLine is the start of a Markdown body as plain text for a preview.
func firstLine(md string) string {
	for _, ln := range strings.Split(md, "\n") {
		ln = strings.TrimSpace(strings.TrimLeft(ln, "#>*-+ \t"))
		if ln != "" {
			return ln
		}
	}
	return ""
}
