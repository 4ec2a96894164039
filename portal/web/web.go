// Package web is the HTTP layer: server-rendered pages that HTMX enhances,
// hashed static assets, health checks, and the one central error handler.
// It depends on the domain only through the small interfaces in deps.go.
package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/metrics"
)

const (
	// bodyLimit caps request bodies, except on the upload routes, which
	// stream their body and get uploadBodyLimit or qrBodyLimit instead.
	bodyLimit = "1M"
	// gzipLevel trades a little ratio for speed; text pages and CSS compress well.
	gzipLevel = 5
	// gzipMinLength skips responses too small to gain from compression.
	gzipMinLength = 1024
)

// Options configures the HTTP layer.
type Options struct {
	// Packs is the wisdom-pack domain (required).
	Packs Packs
	// Ready names the dependencies /readyz pings.
	Ready map[string]Checker
	// Metrics configures /metrics (metrics.go).
	Metrics MetricsOptions
	// Templates holds layout.html, the page files and partials/ (required).
	Templates fs.FS
	// Assets holds CSS, vendored htmx and icons (required).
	Assets fs.FS
	// Logger receives request logs and error causes; nil means slog.Default().
	Logger *slog.Logger
	// DevReload re-reads templates and assets on every request.
	DevReload bool
	// Now is the clock (daily pick); nil means time.Now.
	Now func() time.Time
	// Auth holds sign-in, sessions, roles and limits (required).
	Auth AuthOptions
	// Files is the department-files domain; nil turns the file library,
	// uploads, downloads and department spaces off (departments then show
	// packs only).
	Files Files
	// CardFont is a TrueType/OpenType font (or .ttc collection) with Chinese
	// glyphs for share-card titles; "" searches the common system paths.
	CardFont string
	// BaseURL is the portal's absolute address (e.g. https://jinnang.example.com)
	// for QR codes and the "open in browser" link; "" derives it from the request.
	BaseURL string
	// PresignDownloads answers downloads with a 302 to a 10-minute presigned
	// URL when the store can make one (S3), instead of streaming the bytes.
	PresignDownloads bool
	// Reindex rebuilds the whole search index from the store (every kind of
	// document) for the admin page; nil means packs only.
	Reindex func(ctx context.Context) (int, error)
	// Announcements is the department-announcement domain; nil turns
	// announcements off.
	Announcements Announcements
	// Suggest is the anonymous suggestion box (意见箱); nil turns the
	// anonymous /s/ routes and the handling inbox off.
	Suggest Suggest
	// Polls is polls and questionnaires (投票/问卷); nil turns them off.
	Polls Polls
	// Stories is the culture feed (故事: posts, photos, likes, comments,
	// reports, moderation); nil turns it off.
	Stories Stories
	// Points is the contributors' leaderboard and badges; nil turns them off.
	Points Points
	// Media is the video and voice transcode queue; nil turns video off.
	Media Media
	// Reports is 一线上报 (front-line reports to managers); nil turns it off.
	Reports Reports
	// BadRecords lists the records lists skipped as unreadable, for the
	// admin health page; nil leaves that section out.
	BadRecords BadRecords
	// Jobs is the background scheduler, whose last runs the admin health
	// page lists; nil leaves that section out.
	Jobs Jobs
	// PhotoBudget bounds concurrent photo decodes; nil means two at once,
	// each upload waiting up to 20 s for its turn.
	PhotoBudget *images.Budget
	// AnonPixelLimit is the per-address pixel rate of the anonymous routes,
	// in megapixels; nil means 30 a minute, 100 at once.
	AnonPixelLimit *auth.Limiter
	// Editor is the pack editor, history, freshness and trash (the same
	// service as Packs); nil makes packs read-only.
	Editor PackEditor
	// Knowledge configures freshness (最后核对) and reading paths.
	Knowledge KnowledgeOptions
	// Paths is reading paths (入职路径); nil turns them off.
	Paths Paths
	// People is the directory of who is in which department (reports of
	// paths and read receipts); nil leaves those reports without names.
	People Directory
	// Search is the search over every kind of document, with the synonym
	// editor and the 搜不到的问题 page; nil searches packs only.
	Search Search
	// Notify is notifications (the 消息 page, its badge, and the hooks that
	// tell people what happened); nil turns them off.
	Notify Notifier
	// WeComCallback is the WeCom app's receive-message URL (the keyword
	// bot); nil leaves /wecom/callback unregistered.
	WeComCallback WeComCallback
	// WeComAdmin is directory sync and the message outbox for /admin/wecom;
	// nil when WeCom is not configured.
	WeComAdmin WeComAdmin
}

// server holds the handlers' dependencies.
type server struct {
	searchResults searchResults // the search page's index answers (searchcache.go)

	pages        *pageCache       // rendered and gzipped hot pages (pagecache.go)
	writes       atomic.Uint64    // finished write requests (POST, PUT, ...); home asks the index again after each
	homePacks    homePacks        // home's index answers (home.go)
	deptNames    deptNameCache    // department display names (deptnames.go)
	homeStory    homeStory        // home's story of the day (home.go)
	metrics      *metrics.Metrics // request counters (metrics.go)
	metricsToken string
	packs        Packs
	ready        map[string]Checker
	templates    fs.FS
	assetsFS     fs.FS
	log          *slog.Logger
	dev          bool
	now          func() time.Time
	loaded       *ui // nil in dev-reload mode

	auth          AuthOptions
	sessionMaxAge time.Duration
	crossOrigin   *http.CrossOriginProtection
	md            *markdown.Renderer // validates sources before a write

	files   Files // nil when the files domain is off
	baseURL string
	presign bool

	reindexAll func(ctx context.Context) (int, error)
	reindexJob reindexJob // the admin's background reindex

	announce Announcements // nil when announcements are off

	suggest Suggest // nil when suggestion boxes are off
	anonKey []byte  // per-process random key of the anonymous rate limit
	polls   Polls   // nil when polls are off

	stories Stories // nil when stories are off
	points  Points  // nil when the leaderboard is off
	media   Media   // nil when video and voice are off
	reports Reports // nil when 一线上报 is off
	cards   *shareCards

	trusted    []netip.Prefix // proxies whose X-Forwarded-For is believed
	decodes    *images.Budget // bounds concurrent photo decodes
	anonPixels *auth.Limiter  // per-address pixel rate of the anonymous routes

	badRecords BadRecords     // nil: no bad-record section
	jobs       Jobs           // nil: no background-job section
	health     []healthSource // the sections of /admin/health
	notify     Notifier       // nil when notifications are off
	wecomCB    WeComCallback  // nil when the callback is not configured
	wecomAdmin WeComAdmin     // nil when WeCom is not configured
	editor     PackEditor     // nil when packs are read-only
	knowledge  KnowledgeOptions
	paths      Paths     // nil when reading paths are off
	people     Directory // nil: no directory

	searchSvc Search // nil: /search searches packs only
}

// New checks opts, parses the templates and hashes the assets (failing fast on
// any error), and returns an Echo with every route and middleware registered.
func New(opts Options) (*echo.Echo, error) {
	if opts.Packs == nil {
		return nil, errors.New("web: Options.Packs is required")
	}
	if opts.Templates == nil || opts.Assets == nil {
		return nil, errors.New("web: Options.Templates and Options.Assets are required")
	}
	if err := opts.Auth.check(); err != nil {
		return nil, err
	}
	s := &server{
		pages:        newPageCache(),
		metrics:      cmp.Or(opts.Metrics.Registry, metrics.New()),
		metricsToken: opts.Metrics.Token,
		packs:        opts.Packs,
		ready:        opts.Ready,
		templates:    opts.Templates,
		assetsFS:     opts.Assets,
		log:          opts.Logger,
		dev:          opts.DevReload,
		now:          opts.Now,

		auth:          opts.Auth,
		sessionMaxAge: opts.Auth.SessionMaxAge,
		crossOrigin:   http.NewCrossOriginProtection(),
		md:            markdown.New(),

		files:      opts.Files,
		baseURL:    strings.TrimSuffix(opts.BaseURL, "/"),
		presign:    opts.PresignDownloads,
		reindexAll: opts.Reindex,
		announce:   opts.Announcements,
		suggest:    opts.Suggest,
		polls:      opts.Polls,
		stories:    opts.Stories,
		points:     opts.Points,
		media:      opts.Media,
		reports:    opts.Reports,
		badRecords: opts.BadRecords,
		jobs:       opts.Jobs,
		trusted:    opts.Auth.TrustedProxies,
		decodes:    opts.PhotoBudget,
		anonPixels: opts.AnonPixelLimit,
		editor:     opts.Editor,
		paths:      opts.Paths,
		people:     opts.People,
		knowledge:  opts.Knowledge.withDefaults(),
		searchSvc:  opts.Search,
		notify:     opts.Notify,
		wecomCB:    opts.WeComCallback,
		wecomAdmin: opts.WeComAdmin,
		anonKey:    make([]byte, 32),
	}
	_, _ = rand.Read(s.anonKey) // crypto/rand.Read never returns an error
	if s.decodes == nil {
		s.decodes = newDecodeBudget()
	}
	if s.anonPixels == nil {
		s.anonPixels = newAnonPixelLimit()
	}
	if s.reindexAll == nil {
		s.reindexAll = func(ctx context.Context) (int, error) { return s.packs.Reindex(ctx, nil) }
	}
	if s.baseURL != "" {
		if err := checkBaseURL(s.baseURL); err != nil {
			return nil, err
		}
	}
	if s.sessionMaxAge <= 0 {
		s.sessionMaxAge = auth.DefaultAbsolute
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.cards = newShareCards(s, opts.CardFont)
	if s.now == nil {
		s.now = time.Now
	}
	u, err := loadUI(s.templates, s.assetsFS, s.templateFuncs())
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if !s.dev {
		s.loaded = u
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	s.routes(e)
	background.Store(e, &s.reindexJob.wg)
	return e, nil
}

// ui returns the parsed templates and assets (re-read each call in dev mode).
func (s *server) ui() (*ui, error) {
	if s.loaded != nil {
		return s.loaded, nil
	}
	u, err := loadUI(s.templates, s.assetsFS, s.templateFuncs())
	if err != nil {
		return nil, fmt.Errorf("dev reload: %w", err)
	}
	return u, nil
}

// routes registers every middleware and route of the portal.
func (s *server) routes(e *echo.Echo) {
	e.Use(
		s.metricsMiddleware,
		securityHeaders,
		s.requestLog,
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableErrorHandler: true, // requestLog hands the error to handleError
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				if !anonymousPath(c.Request().URL.Path) { // handleError logs an incident id for those
					s.log.Error("panic", slog.String("path", c.Request().URL.Path), slog.Any("err", err), slog.String("stack", string(stack)))
				}
				return fmt.Errorf("panic: %w", err)
			},
		}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
			Limit:   bodyLimit,
			Skipper: func(c echo.Context) bool { return uploadRoutes[c.Path()] && c.Request().Method == http.MethodPost },
		}),
		middleware.GzipWithConfig(middleware.GzipConfig{
			Level:     gzipLevel,
			MinLength: gzipMinLength,
			Skipper: func(c echo.Context) bool {
				return precompressed(c.Request().URL.Path) || rawRoutes[c.Path()] || selfGzipRoutes[c.Path()]
			},
		}),
		langMiddleware,
		s.authenticate,
		s.guardWrites,
	)

	// Public routes: no sign-in. Probes and assets never read the session.
	match := func(methods []string, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		e.Match(methods, path, h, mw...)
	}
	getHead := []string{http.MethodGet, http.MethodHead}
	post := []string{http.MethodPost}
	match(getHead, "/healthz", s.healthz)
	match(getHead, "/readyz", s.readyz)
	match(getHead, "/metrics", s.serveMetrics)
	match(getHead, "/assets/*", s.serveAsset)
	match(getHead, loginPath, s.loginPage)
	match(getHead, "/auth/start", s.start)
	match(getHead, "/auth/dev", s.devPick)
	match([]string{http.MethodGet, http.MethodPost}, callbackPath, s.callback)
	match(post, "/auth/logout", s.logout) // checks CSRF itself when there is a session
	if s.files != nil {
		match(getHead, signedDownloadPath, s.signedDownload) // signed link, no session (WeChat → browser)
	}
	match(getHead, publicCardPath, s.publicPackCard) // signed og:image, no session (chat crawlers)
	// Anonymous routes (suggestions) go here: they must not read the session,
	// so they get no requireUser/requireCSRF; guardWrites still refuses
	// cross-site posts and limits by address.

	// Signed-in routes. Every state-changing one also checks the CSRF token.
	// Role checks sit at this edge; department-level edit rights are checked
	// in the handlers, which know the department.
	get := func(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		match(getHead, path, h, append([]echo.MiddlewareFunc{s.requireUser}, mw...)...)
	}
	write := func(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		match(post, path, h, append([]echo.MiddlewareFunc{s.requireUser, s.requireCSRF}, mw...)...)
	}
	get("/", s.home)
	get("/packs", s.packList)
	match(getHead, "/packs/:slug", s.packPage, s.sharedOrUser) // signed share link: public preview without a session (sharelink.go)
	get("/packs/:slug/card.png", s.packCard)
	s.knowledgeRoutes(get, write, match)
	s.pathsRoutes(get, write)
	get("/departments", s.departments)
	get("/departments/:name", s.department)
	s.searchRoutes(get, write)
	if s.files != nil {
		// Uploads stream a multipart body: no requireCSRF (it would parse
		// the whole form); the handlers check the token, which the form
		// sends before the file, and the route has its own body limit.
		upload := func(path string, h echo.HandlerFunc, limit int64, mw ...echo.MiddlewareFunc) {
			match(post, path, h, append([]echo.MiddlewareFunc{s.requireUser, maxBody(limit)}, mw...)...)
		}
		get("/files", s.fileLibrary)
		get("/files/new", s.newFileForm, requireEditor)
		upload("/files", s.createFile, uploadBodyLimit, requireEditor)
		get("/files/:id", s.filePage)
		get("/files/:id/download", s.download)
		get("/files/:id/preview", s.preview)
		get("/files/:id/thumb", s.fileThumb)
		upload("/files/:id/versions", s.uploadVersion, uploadBodyLimit, requireEditor)
		get("/files/:id/edit", s.editFileForm, requireEditor)
		write("/files/:id/edit", s.saveFile, requireEditor)
		write("/files/:id/delete", s.deleteFile, requireEditor)
		get("/departments/:name/qr", s.departmentQR)
		upload("/departments/:name/qr", s.uploadDepartmentQR, qrBodyLimit, requireEditor)
		get("/qr.png", s.qrPNG)
		get("/qr.svg", s.qrSVG)
	}
	get("/me", s.me)
	write("/me/lang", s.setLang)
	get("/admin/audit", s.auditPage, requireAdmin)
	write("/admin/reindex", s.reindex, requireAdmin)
	s.healthRoutes(get)
	s.storyRoutes(get, write, match)
	s.reportRoutes(get, write, match)
	s.announceRoutes(get, write)
	s.adminDeptRoutes(get, write)
	s.adminRoleRoutes(get, write)
	s.adminDeptDeleteRoutes(write)
	if s.suggest != nil {
		s.suggestRoutes(e, get, write)
	}
	if s.polls != nil {
		s.pollRoutes(get, write)
	}
	s.notifyRoutes(get, write)
	s.moreRoutes(get)
	s.wecomRoutes(match, get, write)
}

// uploadRoutes are the POST routes that stream a multipart body; the global
// body limit skips them (they get maxBody instead).
var uploadRoutes = map[string]bool{"/files": true, "/files/:id/versions": true, "/departments/:name/qr": true,
	"/stories": true, "/stories/:id/comments": true, "/s/:box": true, "/editor": true, "/editor/preview": true, "/editor/autosave": true, "/editor/image": true}

// rawRoutes serve stored bytes (with Range) or images: never gzipped.
var rawRoutes = map[string]bool{signedDownloadPath: true, "/packs/:slug/card.png": true, publicCardPath: true, "/files/:id/download": true, "/files/:id/preview": true, "/departments/:name/qr": true, "/qr.png": true,
	"/stories/:id/photo/:n": true, "/stories/:id/thumb/:n": true, "/stories/:id/comments/:cid/voice.m4a": true,
	"/suggest/items/:ref/img/:n": true, "/suggest/items/:ref/thumb/:n": true,
	"/packs/:slug/images/:name": true, "/drafts/:id/images/:name": true}

// securityHeaders sets the CSP and friends on every response.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// contentSecurityPolicy allows nothing inline and nothing from other origins.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; " +
	"script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// requestLog logs method, path (no query), status and duration. It hands a
// handler error to the central error handler first so the status is final.
func (s *server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req := c.Request()
		status := c.Response().Status
		if anonymousPath(req.URL.Path) {
			return nil // anonymous routes: no line that could tie a visit to a time (handleError logs an incident id for a 5xx)
		}
		level := slog.LevelInfo
		if gone, _ := c.Get(clientGoneKey).(bool); gone {
			status = statusClientClosed
		} else if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		s.log.LogAttrs(req.Context(), level, "http request",
			slog.String("method", req.Method),
			slog.String("path", strings.ToValidUTF8(req.URL.Path, "\uFFFD")),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
		)
		return nil
	}
}

// background maps each handler New returned to its background work (the
// admin's reindex), so WaitBackground can wait for it.
var background sync.Map // *echo.Echo -> *sync.WaitGroup

// WaitBackground waits until the background work of a handler made by New
// (a reindex the admin started) has finished and written its audit entry,
// and forgets the handler (the map would otherwise keep it alive). Tests
// call it once, before their store's directory is removed; the portal's
// shutdown does not wait for a reindex (a cut reindex is run again).
func WaitBackground(e *echo.Echo) {
	if wg, ok := background.LoadAndDelete(e); ok {
		wg.(*sync.WaitGroup).Wait()
	}
}
