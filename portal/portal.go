// Package portal wires Jinnang together: it opens the configured store and
// index, seeds sample content, and runs the command (serve, import, reindex).
package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/schollz/progressbar/v3"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/index/meiliindex"
	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/metrics"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/paths"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/search"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
	"github.com/jinnang/jinnang/portal/web"
)

// Files are the read-only trees main.go embeds into the binary.
type Files struct {
	Templates fs.FS // templates/
	Assets    fs.FS // assets/
	Content   fs.FS // content/ (sample packs under packs/)
}

// Run executes cfg.Command until ctx is cancelled (serve) or the work is done.
func Run(ctx context.Context, cfg config.Config, files Files, stderr io.Writer) error {
	return run(ctx, cfg, files, stderr, nil)
}

// run is Run with a hook told the listening address (tests listen on port 0).
func run(ctx context.Context, cfg config.Config, tree Files, stderr io.Writer, listening func(net.Addr)) error {
	return runWith(ctx, cfg, tree, stderr, runOptions{listening: listening})
}

// runOptions are the test hooks of runWith.
type runOptions struct {
	listening func(net.Addr)     // told the listening address
	storeMW   []calls.Middleware // run inside the deadline on every store call (fault injection)
}

func runWith(ctx context.Context, cfg config.Config, tree Files, stderr io.Writer, ro runOptions) error {
	listening := ro.listening
	log := newLogger(cfg, stderr)
	ctx = record.WithLogger(ctx, log) // record.Report logs bad records through it
	start := time.Now()
	var roles *auth.Roles
	if cfg.Command == config.CmdServe {
		var err error
		if roles, err = loadRoles(cfg, log); err != nil {
			return err
		}
	}
	switch cfg.Command {
	case config.CmdBackup:
		return backupCmd(ctx, cfg, log, start)
	case config.CmdRestore:
		// Restore writes the raw store before anything opens it (open may
		// create records), then reindexes through the usual path below.
		if err := restoreCmd(ctx, cfg, log, start); err != nil {
			return err
		}
	}
	app, err := open(ctx, cfg, log, ro.storeMW)
	if err != nil {
		return err
	}
	defer app.close()

	switch cfg.Command {
	case config.CmdImport:
		dir := cfg.Args[0]
		bar := newBar(stderr, "导入 importing")
		n, err := app.packs.ImportFS(ctx, os.DirFS(dir), ".", barProgress(bar))
		log.Info("import finished", "dir", dir, "packs", n, "took", time.Since(start).Round(time.Millisecond))
		return err
	case config.CmdReindex, config.CmdRestore:
		n, err := app.reindex(ctx, func(what string) packs.Progress {
			return barProgress(newBar(stderr, "重建索引 reindexing "+what))
		})
		log.Info("reindex finished", "documents", n, "took", time.Since(start).Round(time.Millisecond))
		return err
	}

	if err := app.prepare(ctx, cfg, tree.Content); err != nil {
		return err
	}
	return app.serve(ctx, cfg, tree, roles, start, listening)
}

type app struct {
	log   *slog.Logger
	store store.Store
	index index.Index
	packs *packs.Service
	files *files.Service
	// announce keeps department announcements.
	announce *announce.Service
	// suggest keeps the anonymous suggestion boxes; polls the polls.
	suggest *suggest.Service
	polls   *polls.Service
	// stories is the culture feed; points the leaderboard computed from
	// pack posts and stories.
	stories *stories.Service
	points  *points.Service
	// paths are reading paths; people the directory they report on.
	paths  *paths.Service
	people *people.Directory
	// search is the search over everything, its synonyms and miss counts.
	search *search.Service
	// ch is notifications and the WeCom channel (messages, address book, bot).
	ch *channel
	// metrics is the process's Prometheus registry (served by web on
	// /metrics); jobs the scheduler of every background job.
	metrics *metrics.Metrics
	jobs    *jobs.Scheduler
	// media is the video and voice transcode queue; nil without ffmpeg.
	media *media.Queue
}

func open(ctx context.Context, cfg config.Config, log *slog.Logger, storeMW []calls.Middleware) (*app, error) {
	a := &app{log: log, metrics: metrics.New()}
	var err error
	if a.store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	// Every store and index call gets a deadline, so a frozen backend gives
	// 503s instead of hung pages.
	// Metrics are outermost: they see every call, its time and its final error.
	a.store = store.Wrap(a.store, append([]calls.Middleware{a.metrics.Calls(), calls.Deadline(cfg.StoreTimeout)}, storeMW...)...)
	switch cfg.IndexBackend() {
	case "meilisearch":
		a.index, err = meiliindex.New(ctx, cfg.MeiliURL, cfg.MeiliKey, cfg.MeiliIndex)
	default:
		a.index, err = bleveindex.Open(filepath.Join(cfg.DataDir, "index.bleve"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s index: %w", cfg.IndexBackend(), err)
	}
	a.index = index.Wrap(a.index, a.metrics.Calls(), calls.Deadline(cfg.IndexTimeout))
	a.jobs = jobs.New(a.store, jobs.Options{Log: log, Observer: a.metrics})
	a.packs = packs.New(a.store, a.index, markdown.New(), log)
	a.files = files.New(a.store, a.index, log)
	a.stories = stories.New(a.store, a.index, log, stories.Options{AutoHide: cfg.ReportsToHide})
	a.points = points.New(nil, nil, points.PostsSource(a.store, points.KindPack), a.stories.PointsSource())
	a.points.UseStore(a.store) // boards from the stored monthly tally
	a.stories.SetPoints(a.points)
	a.announce = announce.New(a.store, markdown.New(), nil)
	a.media = openMedia(cfg, a.store, log)
	if a.ch, err = openChannel(cfg, a.store, a.packs, a.files, log); err != nil {
		a.close()
		return nil, fmt.Errorf("wecom: %w", err)
	}
	a.announce.UseIndex(a.index, log)
	a.search = search.New(a.index, a.store, log, nil)
	if a.suggest, a.polls, err = openSuggest(ctx, cfg, a.store, a.ch.members(a.store)); err != nil {
		a.close()
		return nil, err
	}
	if a.paths, a.people, err = openKnowledge(ctx, cfg, a.store); err != nil {
		a.close()
		return nil, err
	}
	a.registerJobs()
	log.Info("backends ready", "store", cfg.StoreBackend(), "index", cfg.IndexBackend())
	return a, nil
}

func (a *app) close() {
	if err := a.index.Close(); err != nil {
		a.log.Warn("close index", "err", err)
	}
}

// prepare seeds an empty store, rebuilds an index that lost its documents
// (a fresh bleve directory next to an existing store) and replays the outboxes.
func (a *app) prepare(ctx context.Context, cfg config.Config, content fs.FS) error {
	if cfg.Seed {
		if err := a.seedDepartments(ctx, content); err != nil {
			return err
		}
		if err := a.seedSynonyms(ctx, content); err != nil {
			return err
		}
	}
	if err := a.search.ApplySynonyms(ctx); err != nil {
		a.log.Warn("search synonyms not applied", "err", err)
	}
	has, err := a.packs.HasPacks(ctx)
	if err != nil {
		return fmt.Errorf("check store: %w", err)
	}
	if !has && cfg.Seed {
		n, err := a.packs.ImportFS(ctx, content, "packs", nil)
		if err != nil {
			return fmt.Errorf("seed sample packs: %w", err)
		}
		a.log.Info("seeded sample packs into the empty store", "packs", n)
		if cfg.DemoContent {
			a.seedDemo(ctx, content)
		}
		a.runJob(ctx, jobKnowledgeUpkeep)
		return nil
	}
	if has {
		res, err := a.index.Search(ctx, index.Query{Limit: 1})
		if err != nil {
			return fmt.Errorf("check index: %w", err)
		}
		if res.Total == 0 {
			n, err := a.reindex(ctx, nil)
			a.log.Info("index was empty; rebuilt it from the store", "documents", n)
			if err != nil {
				a.log.Warn("some documents could not be indexed", "err", err)
			}
		}
	}
	a.runJob(ctx, jobOutboxReplay)
	a.runJob(ctx, jobKnowledgeUpkeep)
	return nil
}

// seedDepartments creates the sample departments of content/departments.yaml
// (name → intro) that have no record yet.
func (a *app) seedDepartments(ctx context.Context, content fs.FS) error {
	src, err := fs.ReadFile(content, "departments.yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed departments: %w", err)
	}
	var intros map[string]string
	if err := yaml.UnmarshalWithOptions(src, &intros, yaml.Strict()); err != nil {
		return fmt.Errorf("seed departments: content/departments.yaml: %w", err)
	}
	if err := a.files.SeedDepartments(ctx, intros); err != nil {
		return fmt.Errorf("seed departments: %w", err)
	}
	return nil
}

// seedSynonyms stores content/synonyms.txt as the search synonym list when
// the store has none.
func (a *app) seedSynonyms(ctx context.Context, content fs.FS) error {
	src, err := fs.ReadFile(content, "synonyms.txt")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed synonyms: %w", err)
	}
	return a.search.SeedSynonyms(ctx, string(src))
}

// searchUpkeep writes the miss counts kept in memory and picks up a synonym
// list saved through another process.
func (a *app) searchUpkeep(ctx context.Context) error {
	var errs []error
	if err := a.search.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("search miss counts not written: %w", err))
	}
	if err := a.search.ApplySynonyms(ctx); err != nil {
		errs = append(errs, fmt.Errorf("search synonyms not applied: %w", err))
	}
	return errors.Join(errs...)
}

// reindex rebuilds the whole index from the store, kind by kind; progress
// makes a progress callback for each kind (nil: none).
func (a *app) reindex(ctx context.Context, progress func(what string) packs.Progress) (int, error) {
	bar := func(what string) packs.Progress {
		if progress == nil {
			return nil
		}
		return progress(what)
	}
	np, perr := a.packs.Reindex(ctx, bar("packs"))
	if perr != nil && np == 0 {
		return 0, perr
	}
	nf, ferr := a.files.Reindex(ctx, bar("files"))
	nd, derr := a.files.ReindexDepartments(ctx, bar("departments"))
	na, aerr := a.announce.Reindex(ctx, bar("announcements"))
	ns, serr := a.stories.Reindex(ctx, bar("stories"))
	// Derived records of the stores' own (not index documents): the
	// suggestion inbox's day markers.
	_, ierr := a.suggest.RebuildInbox(ctx)
	_, cerr := a.polls.RebuildCatalog(ctx)
	_, pterr := a.polls.RebuildTallies(ctx)
	_, terr := a.points.RebuildTally(ctx)
	var merr error
	if a.people != nil {
		merr = a.people.RebuildCounts(ctx)
	}
	return np + nf + nd + na + ns, errors.Join(perr, ferr, derr, aerr, serr, ierr, cerr, pterr, terr, merr)
}

func (a *app) serve(ctx context.Context, cfg config.Config, tree Files, roles *auth.Roles, start time.Time, listening func(net.Addr)) error {
	tmpl, assets := tree.Templates, tree.Assets
	if cfg.Dev {
		tmpl, assets = os.DirFS("templates"), os.DirFS("assets")
	}
	authOpts, err := newAuth(ctx, cfg, a.store, roles, a.ch.signIn())
	if err != nil {
		return err
	}
	a.ch.admins, a.ch.audit = authOpts.Roles.Admins, authOpts.Audit
	wopts := web.Options{
		Auth:             authOpts,
		Packs:            a.packs,
		Files:            a.files,
		Announcements:    a.announce,
		Suggest:          a.suggest,
		Polls:            a.polls,
		Stories:          a.stories,
		Points:           a.points,
		Media:            a.mediaPort(),
		Reports:          a.reportsPort(),
		Editor:           a.packs,
		Paths:            a.paths,
		People:           a.people,
		Knowledge:        web.KnowledgeOptions{StaleMonths: cfg.StaleMonths},
		Search:           a.search,
		BaseURL:          cfg.BaseURL,
		Reindex:          a.reindexLeased,
		PresignDownloads: cfg.PresignDownloads,
		Ready:            map[string]web.Checker{"store": a.store, "index": a.index},
		Metrics:          web.MetricsOptions{Token: cfg.MetricsToken, Registry: a.metrics},
		Jobs:             a.jobs,
		BadRecords: func(ctx context.Context, limit int) ([]record.Bad, error) {
			return record.BadRecords(ctx, a.store, limit)
		},
		Templates: tmpl,
		Assets:    assets,
		Logger:    a.log,
		DevReload: cfg.Dev,
		Now:       time.Now,
	}
	a.ch.webOptions(&wopts)
	e, err := web.New(wopts)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return record.WithLogger(context.Background(), a.log) },
	}
	a.jobs.Register(jobSessionSweep, time.Hour, 10*time.Minute, func(ctx context.Context) error {
		return sweep(ctx, authOpts.Sessions, authOpts.States, a.log)
	})
	a.ch.background(ctx, cfg, a.jobs)
	a.jobs.Start(ctx)
	a.runMedia(ctx) // a continuous worker (one transcode at a time), beside the scheduler
	if listening != nil {
		listening(ln.Addr())
	}
	a.log.Info("锦囊 Jinnang is serving", "url", "http://"+ln.Addr().String(), "auth", cfg.Auth, "startup", time.Since(start).Round(time.Millisecond))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := a.search.Flush(sctx); err != nil {
		a.log.Warn("search miss counts lost at shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped cleanly")
	return nil
}

// replayOutbox retries failed index writes.
func (a *app) replayOutbox(ctx context.Context) error {
	var errs []error
	for _, q := range []struct {
		kind   string
		replay func(context.Context) (int, error)
	}{{"packs", a.packs.ReplayOutbox}, {"files", a.files.ReplayOutbox}, {"stories", a.stories.ReplayOutbox}} {
		if n, err := q.replay(ctx); err != nil {
			errs = append(errs, fmt.Errorf("outbox replay of %s: %w", q.kind, err))
		} else if n > 0 {
			a.log.Info("outbox replayed", q.kind, n)
		}
	}
	return errors.Join(errs...)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newBar(w io.Writer, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		// No spinner goroutine: progressbar's ticker reads the bar's state
		// without its lock (a data race under -race).
		progressbar.OptionSetSpinnerChangeInterval(0),
		// Not cleared when finished: the last frame a log keeps is then
		// n/n, not the one before it.
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

func barProgress(bar *progressbar.ProgressBar) packs.Progress {
	return func(done, total int) {
		if bar.GetMax() != total {
			bar.ChangeMax(total)
		}
		_ = bar.Set(done) // progress output is best effort
	}
}

// reindexLeased is the admin button's reindex: under a lease, so only one
// portal process rebuilds at a time (web.ErrReindexBusy otherwise).
func (a *app) reindexLeased(ctx context.Context) (int, error) {
	var n int
	ran, err := lease.New(a.store).Run(ctx, "admin-reindex", 2*time.Hour, func(ctx context.Context) error {
		var err error
		n, err = a.reindex(ctx, nil)
		return err
	})
	if err == nil && !ran {
		return 0, web.ErrReindexBusy
	}
	return n, err
}
