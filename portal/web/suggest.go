package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// Suggest is what the web layer needs from the suggestion-box domain
// (implemented by *suggest.Service). Missing records are store.ErrNotFound;
// a receipt code that matches nothing is suggest.ErrBadCode.
type Suggest interface {
	// FormToken is today's stateless anti-forgery token of an anonymous form.
	FormToken(purpose string) string
	// CheckFormToken checks a form token of today or yesterday.
	CheckFormToken(purpose, tok string) bool
	// CreateBox opens a box.
	CreateBox(ctx context.Context, title, intro string, categories []string) (*suggest.Box, error)
	// Box returns one box.
	Box(ctx context.Context, id string) (*suggest.Box, error)
	// Boxes lists every box.
	Boxes(ctx context.Context) ([]suggest.Box, error)
	// SetClosed closes or reopens a box.
	SetClosed(ctx context.Context, id string, closed bool) (*suggest.Box, error)
	// Submit stores an anonymous suggestion with its processed images and
	// returns its receipt code.
	Submit(ctx context.Context, box, category, body string, imgs ...images.Result) (string, *suggest.Suggestion, error)
	// SubmitVideo is Submit with a queued video (its media job id).
	SubmitVideo(ctx context.Context, box, category, body, videoJob string, imgs ...images.Result) (string, *suggest.Suggestion, error)
	// Image opens an image of a suggestion or its thumbnail (handling team).
	Image(ctx context.Context, ref string, n int, thumb bool) (io.ReadCloser, store.Object, error)
	// Thumbnail returns the bytes of an image's thumbnail.
	Thumbnail(ctx context.Context, ref string, n int) ([]byte, error)
	// Lookup finds the suggestion of a receipt code.
	Lookup(ctx context.Context, code string) (*suggest.Suggestion, error)
	// FollowUp adds a submitter message, proven by the receipt code.
	FollowUp(ctx context.Context, code, body string) (*suggest.Suggestion, error)
	// Get returns a suggestion by ref (handling team).
	Get(ctx context.Context, ref string) (*suggest.Suggestion, error)
	// List filters the suggestions, newest first.
	List(ctx context.Context, f suggest.Filter) ([]suggest.Suggestion, error)
	Inbox(ctx context.Context, f suggest.Filter, before string) (suggest.InboxResult, error)
	// Reply adds a message of the handling team.
	Reply(ctx context.Context, ref, body string) (*suggest.Suggestion, error)
	// SetStatus changes a suggestion's status.
	SetStatus(ctx context.Context, ref string, st suggest.Status) (*suggest.Suggestion, error)
	// Publish makes a public answer of a suggestion.
	Publish(ctx context.Context, ref, question, answer string) (*suggest.Answer, error)
	// Answers lists a box's public answers.
	Answers(ctx context.Context, box string) ([]suggest.Answer, error)
}

var _ Suggest = (*suggest.Service)(nil)

// anonPrefix starts every anonymous route (the suggestion form and the
// receipt follow-up). These routes never read the session or any cookie,
// set no cookie, are not request-logged, and rate-limit by a keyed hash of
// the address held only in memory.
const anonPrefix = "/s/"

// anonymousPath reports whether p is an anonymous route.
func anonymousPath(p string) bool { return strings.HasPrefix(p, anonPrefix) }

// suggestHRDept is the department whose editors handle suggestions beside
// the admins.
const suggestHRDept = "人力资源部"

// canHandleSuggestions reports whether u works the suggestion inbox: admins
// and editors of 人力资源部.
func canHandleSuggestions(u *auth.User) bool {
	return u.IsAdmin() || (u != nil && slices.Contains(u.EditorOf, suggestHRDept))
}

var requireSuggestHandler = requireRole(canHandleSuggestions)

// anonLimitKey is the rate-limit key of an anonymous request: an HMAC of the
// address under a random key made at start-up and never stored, so the
// limiter (in memory only) holds no address and a limit error logs none.
func (s *server) anonLimitKey(r *http.Request) string {
	m := hmac.New(sha256.New, s.anonKey)
	m.Write([]byte(s.clientAddr(r)))
	return "anon:" + hex.EncodeToString(m.Sum(nil))[:32]
}

// suggestRoutes registers the anonymous suggestion routes and the handling
// inbox. get and write add requireUser (and CSRF for writes).
func (s *server) suggestRoutes(e *echo.Echo, get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	getHead := []string{http.MethodGet, http.MethodHead}
	// Anonymous: no requireUser, no session CSRF; the form token and
	// guardWrites (cross-origin check, hashed-address limit) protect them.
	e.Match(getHead, "/s/receipt", s.receiptForm)
	e.POST("/s/receipt", s.receiptLookup)
	e.POST("/s/receipt/message", s.receiptMessage)
	e.Match(getHead, "/s/:box", s.boxForm)
	e.POST("/s/:box", s.submitSuggestion, maxBody(suggestBodyLimit+s.storyVideoLimit())) // streams its images (and a video)

	get("/suggest", s.suggestInbox, requireSuggestHandler)
	get("/suggest/export.csv", s.suggestExport, requireSuggestHandler)
	get("/suggest/boxes", s.suggestBoxes, requireSuggestHandler)
	write("/suggest/boxes", s.createBox, requireAdmin)
	write("/suggest/boxes/:box/closed", s.closeBox, requireAdmin)
	get("/suggest/boxes/:box/qr", s.boxQR, requireSuggestHandler)
	get("/suggest/items/:ref", s.suggestItem, requireSuggestHandler)
	get("/suggest/items/:ref/img/:n", s.suggestImage, requireSuggestHandler)
	get("/suggest/items/:ref/thumb/:n", s.suggestImage, requireSuggestHandler)
	if s.media != nil {
		get("/suggest/items/:ref/video.mp4", s.suggestVideo, requireSuggestHandler)
		get("/suggest/items/:ref/poster.jpg", s.suggestVideo, requireSuggestHandler)
	}
	write("/suggest/items/:ref/reply", s.replySuggestion, requireSuggestHandler)
	write("/suggest/items/:ref/status", s.statusSuggestion, requireSuggestHandler)
	write("/suggest/items/:ref/publish", s.publishSuggestion, requireSuggestHandler)
}

// anonLang is the language of an anonymous page: ?lang=, else the browser's
// Accept-Language. No cookie is read or set.
func anonLang(r *http.Request) Lang {
	if l, ok := parseLang(r.URL.Query().Get(langParam)); ok {
		return l
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// withLang adds ?lang=<l> to an anonymous path, so the language travels in
// the URL instead of a cookie.
func withLang(path string, l Lang) string { return path + "?lang=" + string(l) }

// Page templates of the suggestion boxes.
const (
	pageSuggestBox     = "suggestbox"
	pageSuggestReceipt = "suggestreceipt"
	pageSuggestFollow  = "suggestfollow"
	pageSuggestBoxes   = "suggestboxes"
	pageSuggestInbox   = "suggestinbox"
	pageSuggestItem    = "suggestitem"
)
