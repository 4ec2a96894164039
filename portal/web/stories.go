package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
)

// Stories is what the web layer needs from the stories domain (implemented
// by *stories.Service). Missing stories are store.ErrNotFound; input that
// breaks a limit is stories.ErrInvalid; a user acting on what is not theirs
// is stories.ErrForbidden.
type Stories interface {
	Create(ctx context.Context, in stories.NewStory) (*stories.Story, error)
	Get(ctx context.Context, id string) (*stories.Story, error)
	Feed(ctx context.Context, tag string, offset, limit int) (stories.Page, error)
	// FeedFor is Feed with each story's likes, comments and media for userID.
	FeedFor(ctx context.Context, tag, userID string, offset, limit int) (stories.Page, error)
	Social(ctx context.Context, id, userID string) (stories.Social, error)
	DailyPick(ctx context.Context, day time.Time) (*stories.Story, error)
	Image(ctx context.Context, id string, n int, thumb bool) (io.ReadCloser, store.Object, error)
	Delete(ctx context.Context, id, userID string) (*stories.Story, error)
	Like(ctx context.Context, id, userID string) (bool, error)
	Unlike(ctx context.Context, id, userID string) error
	Likes(ctx context.Context, id, userID string) (int, bool, error)
	AddComment(ctx context.Context, id string, by stories.Author, text string) (*stories.Comment, error)
	Comments(ctx context.Context, id string) ([]stories.Comment, error)
	CommentsPage(ctx context.Context, id, before string, limit int) (stories.CommentPage, error)
	Comment(ctx context.Context, id, commentID string) (*stories.Comment, error)
	DeleteComment(ctx context.Context, id, commentID, userID string, moderator bool) (*stories.Comment, error)
	Report(ctx context.Context, id, userID, reason, note string) (stories.ReportResult, error)
	Queue(ctx context.Context) ([]stories.QueueItem, error)
	Moderate(ctx context.Context, id string, act stories.Action, by, note string) (*stories.Story, error)
	Warnings(ctx context.Context, userID string) ([]stories.Warning, error)
}

// Points is what the web layer needs from the leaderboard (*points.Service).
type Points interface {
	Board(ctx context.Context, month time.Time) (*points.Board, error)
	Badges(ctx context.Context, userID string) ([]string, error)
}

// Page names of the stories feature; registered with the others in init.
const (
	pageStories     = "stories"
	pageStory       = "story"
	pageStoryForm   = "storyform"
	pageStoryImage  = "storyimage"
	pageModeration  = "moderation"
	pageLeaderboard = "leaderboard"
	pageRules       = "rules"

	tmplStoryItems = "storyitems"
	tmplLikeBox    = "likebox"
)

func init() {
	pageNames = append(pageNames, pageStories, pageStory, pageStoryForm, pageStoryImage, pageModeration, pageLeaderboard, pageRules)
	addMessages(storyMessages)
}

const (
	// storyBodyLimit is the body limit of POST /stories: nine of the
	// largest photos plus room for the text and multipart framing.
	storyBodyLimit = stories.MaxImages*imageMaxBytes + 1<<20
	imageMaxBytes  = 15 << 20
	storiesPerPage = 10
	// imageCache is the Cache-Control of photos: their bytes never change
	// under a URL; private because they are behind sign-in.
	imageCache = "private, max-age=31536000, immutable"
)

// imageLimits are the limits of story photos.
func imageLimits() images.Limits {
	l := images.DefaultLimits()
	l.MaxBytes = imageMaxBytes
	return l
}

// storyRoutes registers the stories, moderation, leaderboard and rules routes.
// The photo upload streams its multipart body: it checks the CSRF token
// itself (sent before the photos) and has its own body limit.
func (s *server) storyRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc), match func([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	get("/rules", s.rulesPage)
	if s.stories == nil {
		return
	}
	upload := func(path string, h echo.HandlerFunc, limit int64) {
		match([]string{http.MethodPost}, path, h, s.requireUser, maxBody(limit))
	}
	get("/stories", s.storyFeed)
	get("/stories/new", s.newStoryForm)
	upload("/stories", s.createStory, storyBodyLimit+s.storyVideoLimit())
	get("/stories/tag/:tag", s.storyFeed)
	get("/stories/:id", s.storyPage)
	get("/stories/:id/img/:n", s.storyImagePage)
	get("/stories/:id/photo/:n", s.storyPhoto)
	get("/stories/:id/thumb/:n", s.storyPhoto)
	if s.media != nil {
		get("/stories/:id/video.mp4", s.storyMedia)
		get("/stories/:id/poster.jpg", s.storyMedia)
		get("/stories/:id/voice.m4a", s.storyMedia)
		get("/stories/:id/comments/:cid/voice.m4a", s.commentVoice)
	}
	write("/stories/:id/like", s.likeStory)
	write("/stories/:id/unlike", s.unlikeStory)
	upload("/stories/:id/comments", s.commentRoute, commentBodyLimit+s.storyVideoLimit())
	write("/stories/:id/comments/:cid/delete", s.deleteComment)
	write("/stories/:id/delete", s.deleteStory)
	write("/stories/:id/report", s.reportStory)
	s.storyUndoRoutes(get, write)
	get("/moderation", s.moderationQueue, requireModerator)
	write("/stories/:id/moderate", s.moderateStory, requireModerator)
	if s.points != nil {
		get("/leaderboard", s.leaderboard)
	}
}

// storyURL is the page of a story.
func storyURL(id string) string { return "/stories/" + url.PathEscape(id) }

// storyTagURL is the campaign page of a tag.
func storyTagURL(tag string) string { return "/stories/tag/" + url.PathEscape(tag) }

// segment is a piece of story text; URL is set for a campaign tag.
type segment struct {
	Text, URL string
}

// photo is one photo of a story card.
type photo struct {
	N                    int
	Thumb, Full, ViewURL string
	Width, Height        int
}

// storyCard is a story as pages show it.
type storyCard struct {
	*stories.Story
	URL      string
	Segments []segment
	Photos   []photo
	Grid     int // 1, 2 (2 and 4 photos) or 3 columns, as WeChat lays out 九宫格

	// Video is nil for none (and for a failed one, to others than the author).
	Video *videoView
	// Voice is the voice note, nil for none (media.go).
	Voice *voiceView
}

func newStoryCard(st *stories.Story) storyCard {
	c := storyCard{Story: st, URL: storyURL(st.ID), Grid: 3}
	for _, sg := range st.Segments() {
		seg := segment{Text: sg.Text}
		if sg.Tag != "" {
			seg.URL = storyTagURL(sg.Tag)
		}
		c.Segments = append(c.Segments, seg)
	}
	for _, im := range st.Images {
		n := strconv.Itoa(im.N)
		c.Photos = append(c.Photos, photo{N: im.N, Width: im.Width, Height: im.Height,
			Thumb: c.URL + "/thumb/" + n, Full: c.URL + "/photo/" + n, ViewURL: c.URL + "/img/" + n})
	}
	switch len(c.Photos) {
	case 1:
		c.Grid = 1
	case 2, 4:
		c.Grid = 2
	}
	return c
}

// storyFeedView is the data of the feed and of campaign pages.
type storyFeedView struct {
	base
	Tag     string
	Cards   []feedCard
	Total   int
	NextURL string // the next page, "" at the end
	PrevURL string
}

// storyFeed is GET /stories and /stories/tag/:tag: newest first, ten a
// page; HTMX asks for the next items as the last one scrolls into view.
func (s *server) storyFeed(c echo.Context) error {
	tag, _ := cleanParam(c.Param("tag"))
	page := pageParam(c)
	res, err := s.stories.FeedFor(c.Request().Context(), tag, userOf(c).ID, (page-1)*storiesPerPage, storiesPerPage)
	if err != nil {
		return err
	}
	l := langOf(c)
	v := storyFeedView{base: s.newBase(c, l, "stories.title"), Tag: tag, Total: res.Total}
	if tag != "" {
		v.base = s.newBase(c, l, "stories.tag.title", tag)
	}
	v.Nav = "stories"
	if v.Cards, err = s.newFeedCards(c, res.Stories, res.Social, l, v.CSRF); err != nil {
		return err
	}
	path := c.Request().URL.EscapedPath()
	if page*storiesPerPage < res.Total && page < maxPage {
		v.NextURL = path + "?page=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		v.PrevURL = path + "?page=" + strconv.Itoa(page-1)
	}
	return s.render(c, http.StatusOK, pageStories, tmplStoryItems, v)
}

// storyView is the data of a story's page.
type storyView struct {
	base
	Card     storyCard
	Likes    int
	Liked    bool
	Comments []stories.Comment
	// CommentsTotal is how many comments the story has; CommentsMore the
	// URL of the older ones (empty on the last page); CommentsOlder says
	// this page is not the newest.
	CommentsTotal int
	CommentsMore  string
	CommentsOlder bool
	Mine          bool // the viewer wrote it
	Moderator     bool
	Reasons       []string
	Reported      bool
	Comment       string // the comment being written (kept on error)
	Errors        map[string]string
	// ReplyTo is the comment being replied to (?reply=), nil for none.
	ReplyTo *stories.Comment
	// CommentVoices are the voice notes of the shown comments by comment
	// ID; CommentVoice the limit shown by the voice input, nil when voice
	// notes are off (comment_voice.go).
	CommentVoices map[string]*voiceView
	CommentVoice  *videoLimits
}

// viewableStory loads a story the user may see: visible ones for everyone,
// hidden and deleted ones for their author and moderators only.
func (s *server) viewableStory(c echo.Context) (*stories.Story, error) {
	st, err := s.stories.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	u := userOf(c)
	if !st.Visible() && st.Author != u.ID && !u.CanModerate() {
		return nil, fmt.Errorf("story %s is %s: %w", st.ID, st.State, store.ErrNotFound)
	}
	return st, nil
}

func (s *server) newStoryView(c echo.Context, st *stories.Story) (storyView, error) {
	ctx := c.Request().Context()
	u := userOf(c)
	v := storyView{base: s.newBase(c, langOf(c), "story.title", st.AuthorName), Card: newStoryCard(st),
		Mine: st.Author == u.ID, Moderator: u.CanModerate(), Reasons: stories.Reasons,
		Reported: c.QueryParam("reported") == "1", Errors: map[string]string{}}
	v.Nav = "stories"
	// Likes and the final media states from the story's digest (one read).
	soc, err := s.stories.Social(ctx, st.ID, u.ID)
	if err != nil {
		return v, err
	}
	v.Likes, v.Liked = soc.Likes, soc.Liked
	if err := s.storyVideo(ctx, v.Lang, &v.Card, v.Mine, soc.Media); err != nil {
		return v, err
	}
	before := c.QueryParam("before")
	cp, err := s.stories.CommentsPage(ctx, st.ID, before, stories.CommentsPerPage)
	if errors.Is(err, stories.ErrInvalid) && before != "" {
		before = "" // a bad cursor shows the newest
		cp, err = s.stories.CommentsPage(ctx, st.ID, "", stories.CommentsPerPage)
	}
	if err != nil {
		return v, err
	}
	v.Comments, v.CommentsTotal, v.CommentsOlder = cp.Comments, cp.Total, before != ""
	if cp.Next != "" {
		v.CommentsMore = storyURL(st.ID) + "?before=" + url.QueryEscape(cp.Next) + "#comments"
	}
	if err := s.commentVoices(ctx, &v); err != nil {
		return v, err
	}
	if v.ReplyTo = s.replyComment(ctx, st.ID, v.Comments, c.QueryParam("reply")); v.ReplyTo != nil {
		v.Comment = mustT(v.Lang, "story.reply.prefix", v.ReplyTo.AuthorName)
	}
	return v, nil
}

// replyComment is the comment with id cid: from the page's comments, else
// read on its own; nil when there is none.
func (s *server) replyComment(ctx context.Context, storyID string, shown []stories.Comment, cid string) *stories.Comment {
	if cid == "" {
		return nil
	}
	if c := replyTarget(shown, cid); c != nil {
		return c
	}
	c, err := s.stories.Comment(ctx, storyID, cid)
	if err != nil {
		return nil
	}
	return c
}

// replyTarget is the comment with id cid, or nil.
func replyTarget(comments []stories.Comment, cid string) *stories.Comment {
	if cid == "" {
		return nil
	}
	for i := range comments {
		if comments[i].ID == cid {
			return &comments[i]
		}
	}
	return nil
}

// storyPage is GET /stories/:id.
func (s *server) storyPage(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	v, err := s.newStoryView(c, st)
	if err != nil {
		return err
	}
	v.Share = s.storyShare(v.Lang, st)
	return s.render(c, http.StatusOK, pageStory, tmplContent, v)
}

// storyImageView is the data of the full-size viewer.
type storyImageView struct {
	base
	Card       storyCard
	Photo      photo
	Prev, Next string
}

// storyImagePage is GET /stories/:id/img/:n: one photo at full size with
// previous/next links, no JavaScript needed.
func (s *server) storyImagePage(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(st.Images) {
		return fmt.Errorf("story %s photo %q: %w", st.ID, c.Param("n"), store.ErrNotFound)
	}
	card := newStoryCard(st)
	v := storyImageView{base: s.newBase(c, langOf(c), "storyimage.title", n, len(st.Images)), Card: card, Photo: card.Photos[n-1]}
	v.Nav = "stories"
	if n > 1 {
		v.Prev = card.Photos[n-2].ViewURL
	}
	if n < len(card.Photos) {
		v.Next = card.Photos[n].ViewURL
	}
	return s.render(c, http.StatusOK, pageStoryImage, tmplContent, v)
}

// storyPhoto is GET /stories/:id/photo/:n and /thumb/:n: the re-encoded
// JPEG, cached for long (a URL's bytes never change) and never sniffed.
func (s *server) storyPhoto(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(st.Images) {
		return fmt.Errorf("story %s photo %q: %w", st.ID, c.Param("n"), store.ErrNotFound)
	}
	thumb := strings.Contains(c.Path(), "/thumb/")
	rc, obj, err := s.stories.Image(c.Request().Context(), st.ID, n, thumb)
	if err != nil {
		return err
	}
	defer rc.Close()
	return serveJPEG(c, rc, obj, imageCache)
}

// storyFormView is the data of the new-story form.
type storyFormView struct {
	base
	Text      string
	Errors    map[string]string
	MaxText   int
	MaxImages int
	MaxMB     int
	// Video is set when videos may be posted: their limits.
	Video *videoLimits
}

func (s *server) newStoryFormView(c echo.Context) storyFormView {
	v := storyFormView{base: s.newBase(c, langOf(c), "storyform.title"), Errors: map[string]string{},
		MaxText: stories.MaxText, MaxImages: stories.MaxImages, MaxMB: imageMaxBytes >> 20}
	v.Nav = "stories"
	if s.media != nil {
		v.Video = &videoLimits{Seconds: int(s.media.MaxDuration().Seconds()), MB: int(s.media.MaxBytes() >> 20)}
	}
	if tag, _ := cleanParam(c.QueryParam("tag")); tag != "" && len(stories.Tags("#"+tag)) == 1 {
		v.Text = "#" + tag + " "
	}
	return v
}

// newStoryForm is GET /stories/new.
func (s *server) newStoryForm(c echo.Context) error {
	return s.render(c, http.StatusOK, pageStoryForm, tmplContent, s.newStoryFormView(c))
}

// createStory is POST /stories: a multipart body streamed in order — the
// CSRF token and text first, then up to nine photos, each checked and
// re-encoded as it arrives, so at most one original is in memory.
func (s *server) createStory(c echo.Context) error {
	u := userOf(c)
	v := s.newStoryFormView(c)
	v.Text = ""
	l := v.Lang
	req := c.Request()
	sess, _ := sessionOf(c)
	csrfOK := auth.CheckCSRF(sess, req.Header.Get(csrfHeader))
	csrfErr := &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("story: csrf token missing, wrong or after the photos")}
	mr, err := req.MultipartReader()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("story: %w", err)}
	}
	var photos []images.Result
	videoJob, voiceJob := "", ""
	photoLimits := s.photoLimits(c, storyRequestPixels)
	status := http.StatusUnprocessableEntity
	textTooLong := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if berr := bodyError(err); errors.Is(berr, errTooLarge) {
				v.Errors["images"], status = mustT(l, "storyform.images.large", imageMaxBytes>>20), http.StatusRequestEntityTooLarge
				break
			} else {
				return berr
			}
		}
		name := p.FormName()
		if (name == videoField || name == voiceField) && s.media != nil {
			if !csrfOK {
				s.drain(c)
				return csrfErr
			}
			kind, slot := media.KindVideo, &videoJob
			if name == voiceField {
				kind, slot = media.KindVoice, &voiceJob
			}
			if p.FileName() == "" || len(v.Errors) > 0 || *slot != "" {
				continue
			}
			job, msg, code, err := s.enqueueMedia(c, l, kind, p)
			if err != nil {
				s.drain(c)
				return err
			}
			if msg != "" {
				v.Errors[name], status = msg, code
				continue
			}
			*slot = job
			continue
		}
		if name != "images" {
			b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return bodyError(err)
			}
			val := strings.ToValidUTF8(string(b), "")
			switch name {
			case csrfField:
				csrfOK = csrfOK || auth.CheckCSRF(sess, val)
			case "text":
				textTooLong = len(b) > maxFieldBytes
				v.Text = strings.ReplaceAll(val, "\r\n", "\n")
			}
			continue
		}
		if !csrfOK {
			s.drain(c)
			return csrfErr
		}
		if p.FileName() == "" || len(v.Errors) > 0 {
			continue // an empty file input, or we already refused: skip the bytes
		}
		if len(photos) == stories.MaxImages {
			v.Errors["images"] = mustT(l, "storyform.images.many", stories.MaxImages)
			continue
		}
		res, err := images.Process(p, photoLimits)
		if rerr := photoRefusal(c, err); rerr != nil {
			s.drain(c)
			return rerr
		}
		if err != nil {
			v.Errors["images"], status = imageError(l, p.FileName(), err)
			s.log.Info("story photo refused", slog.String("name", p.FileName()), slog.Any("err", err))
			continue
		}
		photos = append(photos, *res)
	}
	s.drain(c)
	if !csrfOK {
		return csrfErr
	}
	text, terr := stories.CheckText(v.Text)
	if terr != nil || textTooLong || utf8.RuneCountInString(v.Text) > stories.MaxText+100 {
		v.Errors["text"] = mustT(l, "storyform.text.long", stories.MaxText)
	} else if text == "" && len(photos) == 0 && videoJob == "" && voiceJob == "" && len(v.Errors) == 0 {
		v.Errors["text"] = mustT(l, "storyform.text.empty")
	} else if len(stories.Tags(text)) > stories.MaxTags {
		v.Errors["text"] = mustT(l, "storyform.text.tags", stories.MaxTags)
	}
	if len(v.Errors) > 0 {
		s.dropVideo(c, videoJob)
		s.dropVideo(c, voiceJob)
		return s.render(c, status, pageStoryForm, tmplContent, v)
	}
	st, err := s.stories.Create(req.Context(), stories.NewStory{
		Author: stories.Author{ID: u.ID, Name: u.Name, Department: u.Department}, Text: text, Images: photos, VideoJob: videoJob, VoiceJob: voiceJob,
	})
	if err != nil {
		s.dropVideo(c, videoJob)
		s.dropVideo(c, voiceJob)
	}
	if errors.Is(err, stories.ErrInvalid) {
		v.Errors["text"] = storyErrorText(langOf(c), err)
		return s.render(c, http.StatusUnprocessableEntity, pageStoryForm, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("create story: %w", err)
	}
	post := auth.Post{Kind: stories.Kind, Ref: st.ID, Title: storyTitle(st), At: st.Created}
	if err := s.auth.Users.AddPost(req.Context(), u.ID, post); err != nil {
		s.log.Error("record my post", slog.String("user", u.ID), slog.String("story", st.ID), slog.Any("err", err))
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.create", Target: "story:" + st.ID, Detail: fmt.Sprintf("%d photos", len(st.Images))})
	s.claimMedia(c, media.Owner(media.OwnerStory, st.ID), videoJob, voiceJob)
	return c.Redirect(http.StatusSeeOther, storyURL(st.ID))
}

// storyTitle is a story's title in "my posts": the start of its text.
func storyTitle(st *stories.Story) string { return textTitle(st.Text, "📷") }

// textTitle is the start of a post's text (30 characters, spaces folded)
// as its title, or ifEmpty for a post without text.
func textTitle(text, ifEmpty string) string {
	r := []rune(strings.Join(strings.Fields(text), " "))
	if len(r) > 30 {
		return string(r[:30]) + "…"
	}
	if len(r) == 0 {
		return ifEmpty
	}
	return string(r)
}

// imageError is the message and status for a refused photo.
func imageError(l Lang, name string, err error) (string, int) {
	name = cleanFileName(name)
	switch {
	case errors.Is(err, images.ErrTooLarge):
		return mustT(l, "storyform.images.large", imageMaxBytes>>20) + " (" + name + ")", http.StatusRequestEntityTooLarge
	case errors.Is(err, images.ErrBudget):
		return mustT(l, "images.budget"), http.StatusRequestEntityTooLarge
	case errors.Is(err, images.ErrDimensions):
		return mustT(l, "storyform.images.dims", name), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrPolyglot):
		return mustT(l, "storyform.images.polyglot", name), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrEmpty):
		return mustT(l, "storyform.images.empty", name), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrCorrupt):
		return mustT(l, "storyform.images.corrupt", name), http.StatusUnprocessableEntity
	default: // images.ErrType and anything unforeseen
		return mustT(l, "storyform.images.type", name), http.StatusUnsupportedMediaType
	}
}

// cleanFileName shortens a client file name for a message.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if r := []rune(name); len(r) > 60 {
		name = string(r[:60]) + "…"
	}
	return name
}

// likeStory is POST /stories/:id/like; HTMX gets the like box back.
func (s *server) likeStory(c echo.Context) error {
	u := userOf(c)
	created, err := s.stories.Like(c.Request().Context(), c.Param("id"), u.ID)
	if err != nil {
		return err
	}
	if created && s.notify != nil {
		if st, err := s.stories.Get(c.Request().Context(), c.Param("id")); err == nil {
			s.notifyLike(c, st)
		}
	}
	return s.afterLike(c)
}

// unlikeStory is POST /stories/:id/unlike.
func (s *server) unlikeStory(c echo.Context) error {
	if err := s.stories.Unlike(c.Request().Context(), c.Param("id"), userOf(c).ID); err != nil {
		return err
	}
	return s.afterLike(c)
}

func (s *server) afterLike(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	if c.FormValue("from") == "feed" {
		return s.afterFeedLike(c, st)
	}
	if !isFragment(c.Request()) {
		return c.Redirect(http.StatusSeeOther, storyURL(st.ID))
	}
	v, err := s.newStoryView(c, st)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageStory, tmplLikeBox, v)
}

// commentStory is POST /stories/:id/comments.
func (s *server) commentStory(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	return s.saveComment(c, st, c.FormValue("text"), c.FormValue("reply"), "")
}

// saveComment stores a comment (with the media job of a voice note, or "")
// and answers the form.
func (s *server) saveComment(c echo.Context, st *stories.Story, text, reply, voiceJob string) error {
	u := userOf(c)
	var replyTo *stories.Comment
	if reply != "" && s.notify != nil {
		replyTo = s.replyComment(c.Request().Context(), st.ID, nil, reply)
	}
	cm, err := s.addComment(c, st.ID, stories.Author{ID: u.ID, Name: u.Name, Department: u.Department}, text, voiceJob)
	if err != nil {
		s.dropVideo(c, voiceJob)
	}
	if errors.Is(err, stories.ErrInvalid) {
		v, verr := s.newStoryView(c, st)
		if verr != nil {
			return verr
		}
		v.ReplyTo = replyTo
		v.Comment = text
		v.Errors["comment"] = storyErrorText(v.Lang, err)
		return s.render(c, http.StatusUnprocessableEntity, pageStory, tmplContent, v)
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.comment", Target: "story:" + st.ID, Detail: cm.ID})
	s.notifyComment(c, st, cm, replyTo)
	return c.Redirect(http.StatusSeeOther, storyURL(st.ID)+"#c-"+cm.ID)
}

// deleteComment is POST /stories/:id/comments/:cid/delete (author or moderator).
func (s *server) deleteComment(c echo.Context) error {
	u := userOf(c)
	del := s.stories.DeleteComment
	if un, ok := s.stories.(storyUndo); ok {
		del = un.DeleteCommentUndoable
	}
	cm, err := del(c.Request().Context(), c.Param("id"), c.Param("cid"), u.ID, u.CanModerate())
	if errors.Is(err, stories.ErrForbidden) {
		return forbidden(err)
	}
	if err != nil {
		return err
	}
	s.dropCommentVoice(c, cm)
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.comment.delete", Target: "story:" + c.Param("id"), Detail: cm.ID + " by " + cm.Author})
	return c.Redirect(http.StatusSeeOther, storyURL(c.Param("id"))+"/comments/"+cm.ID+"/deleted")
}

// deleteStory is POST /stories/:id/delete: the author takes their story down.
func (s *server) deleteStory(c echo.Context) error {
	u := userOf(c)
	st, err := s.stories.Delete(c.Request().Context(), c.Param("id"), u.ID)
	if errors.Is(err, stories.ErrForbidden) {
		return forbidden(err)
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.delete.own", Target: "story:" + st.ID})
	return c.Redirect(http.StatusSeeOther, storyURL(st.ID)+"/deleted")
}

// reportStory is POST /stories/:id/report with a reason.
func (s *server) reportStory(c echo.Context) error {
	u := userOf(c)
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	res, err := s.stories.Report(c.Request().Context(), st.ID, u.ID, c.FormValue("reason"), c.FormValue("note"))
	if errors.Is(err, stories.ErrInvalid) {
		v, verr := s.newStoryView(c, st)
		if verr != nil {
			return verr
		}
		v.Errors["report"] = mustT(v.Lang, "story.report.reason")
		return s.render(c, http.StatusUnprocessableEntity, pageStory, tmplContent, v)
	}
	if err != nil {
		return err
	}
	if res.New {
		s.record(c, audit.Entry{Actor: u.ID, Action: "story.report", Target: "story:" + st.ID, Detail: c.FormValue("reason")})
		s.notifyReport(c, st, c.FormValue("reason"))
	}
	if res.Hidden {
		s.record(c, audit.Entry{Actor: "system", Action: "story.autohide", Target: "story:" + st.ID, Detail: fmt.Sprintf("%d reports", res.Reports)})
		s.notifyModerated(c, st, stories.ActHide, "system", "")
		if st.Author != u.ID && !u.CanModerate() {
			return c.Redirect(http.StatusSeeOther, "/stories?reported=1") // the story is gone for the reporter
		}
	}
	return c.Redirect(http.StatusSeeOther, storyURL(st.ID)+"?reported=1")
}

// storyOfTheDay is the home page's story, the same all day; nil when stories
// are off or there are none.
func (s *server) storyOfTheDay(c echo.Context) (*storyCard, error) {
	if s.stories == nil {
		return nil, nil
	}
	st, err := s.dailyStory(c.Request().Context())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("home: story of the day: %w", err)
	}
	card := newStoryCard(st)
	return &card, nil
}

// storyProfile is what /me shows of the stories feature: the user's badges
// and the moderators' warnings about their stories.
func (s *server) storyProfile(c echo.Context, userID string) ([]string, []stories.Warning, error) {
	ctx := c.Request().Context()
	var badges []string
	var warnings []stories.Warning
	var err error
	if s.points != nil {
		if badges, err = s.points.Badges(ctx, userID); err != nil {
			return nil, nil, fmt.Errorf("badges of %s: %w", userID, err)
		}
	}
	if s.stories != nil {
		if warnings, err = s.stories.Warnings(ctx, userID); err != nil {
			return nil, nil, fmt.Errorf("warnings of %s: %w", userID, err)
		}
	}
	return badges, warnings, nil
}

// tallyRecorder is the part of *points.Service that keeps the stored
// leaderboard tally; a Points without it (a fake) is left alone.
type tallyRecorder interface {
	Record(ctx context.Context, ref string, c points.Contribution, on bool) error
}

// tallyPack counts a pack post in the leaderboard's stored tally (as
// points.PostsSource counts the post markers; reindex rebuilds it).
func (s *server) tallyPack(ctx context.Context, u *auth.User, post auth.Post) {
	r, ok := s.points.(tallyRecorder)
	if !ok || s.points == nil {
		return
	}
	c := points.Contribution{UserID: u.ID, Name: u.Name, Kind: post.Kind, At: post.At}
	if err := r.Record(ctx, post.Kind+"-"+post.Ref, c, true); err != nil {
		s.log.Error("leaderboard tally", slog.String("user", u.ID), slog.String("ref", post.Ref), slog.Any("err", err))
	}
}
