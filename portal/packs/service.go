package packs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/outbox"
	"github.com/jinnang/jinnang/portal/store"
)

// Kind is the index kind of wisdom packs.
const Kind = "pack"

const (
	packPrefix   = "packs/"
	outboxPrefix = "outbox/packs/"
	// MaxPackBytes bounds one pack's Markdown source.
	MaxPackBytes = markdown.MaxSourceSize
	cacheSize    = 512
)

// ErrInvalidSlug means a slug is not lowercase ASCII kebab-case.
var ErrInvalidSlug = errors.New("packs: invalid slug")

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)

// ValidSlug reports whether s can name a pack (it becomes part of a key, a URL
// and an index id, so it is restricted to lowercase ASCII letters, digits and '-').
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Key returns the store key of a pack.
func Key(slug string) string { return packPrefix + slug + ".md" }

func docID(slug string) string { return Kind + "_" + slug }

// ImageBase is where the pack page finds the pack's images/ links.
func ImageBase(slug string) string { return "/packs/" + slug + "/images/" }

// Service reads, writes, renders and indexes wisdom packs.
type Service struct {
	store store.Store
	index index.Index
	md    *markdown.Renderer
	log   *slog.Logger

	outbox *outbox.Outbox

	mu    sync.Mutex
	cache map[string]*Pack // slug → rendered pack, valid while its ETag matches

	clock func() time.Time // nil: time.Now (SetClock)
}

// New returns a Service over the given ports.
func New(st store.Store, ix index.Index, md *markdown.Renderer, log *slog.Logger) *Service {
	return &Service{store: st, index: ix, md: md, log: log, cache: make(map[string]*Pack), outbox: outbox.New(st, outboxPrefix)}
}

// Get returns the rendered pack. Rendering happens once per object ETag; later
// views are cache hits. A missing pack is store.ErrNotFound.
func (s *Service) Get(ctx context.Context, slug string) (*Pack, error) {
	if !ValidSlug(slug) {
		return nil, fmt.Errorf("pack %q: %w", slug, store.ErrNotFound)
	}
	rc, obj, err := s.store.Get(ctx, Key(slug))
	if err != nil {
		return nil, fmt.Errorf("get pack %q: %w", slug, err)
	}
	defer rc.Close()
	if p := s.cached(slug, obj.ETag); p != nil {
		return p, nil
	}
	src, err := readLimited(rc, MaxPackBytes)
	if err != nil {
		return nil, fmt.Errorf("read pack %q: %w", slug, err)
	}
	doc, err := s.md.ParseWith(path.Base(Key(slug)), src, markdown.Options{ImageBase: ImageBase(slug)})
	if err != nil {
		return nil, fmt.Errorf("render pack %q: %w", slug, err)
	}
	p := &Pack{Slug: slug, Meta: doc.Meta, HTML: doc.HTML, TOC: doc.TOC, ETag: obj.ETag}
	s.remember(p)
	return p, nil
}

// Source returns a pack's Markdown and its ETag, for the editor (the ETag goes
// back with the edit as If-Match, so two editors cannot overwrite each other).
func (s *Service) Source(ctx context.Context, slug string) ([]byte, string, error) {
	if !ValidSlug(slug) {
		return nil, "", fmt.Errorf("pack %q: %w", slug, store.ErrNotFound)
	}
	rc, obj, err := s.store.Get(ctx, Key(slug))
	if err != nil {
		return nil, "", fmt.Errorf("get pack %q: %w", slug, err)
	}
	defer rc.Close()
	src, err := readLimited(rc, MaxPackBytes)
	if err != nil {
		return nil, "", fmt.Errorf("read pack %q: %w", slug, err)
	}
	return src, obj.ETag, nil
}

func (s *Service) cached(slug, etag string) *Pack {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.cache[slug]; ok && p.ETag == etag {
		return p
	}
	return nil
}

func (s *Service) remember(p *Pack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) >= cacheSize {
		for k := range s.cache { // evict an arbitrary entry; packs are cheap to re-render
			delete(s.cache, k)
			break
		}
	}
	s.cache[p.Slug] = p
}

// Search queries the index for packs.
func (s *Service) Search(ctx context.Context, q index.Query) (index.Result, error) {
	q.Kind = Kind
	res, err := s.index.Search(ctx, q)
	if err != nil {
		return index.Result{}, fmt.Errorf("search packs: %w", err)
	}
	return res, nil
}

// DailyPick returns one pack chosen by the calendar day: the same all day,
// a different one (when there are several) the next. No packs is store.ErrNotFound.
func (s *Service) DailyPick(ctx context.Context, day time.Time) (*index.Hit, error) {
	all, err := s.Search(ctx, index.Query{Sort: index.SortNewest, Limit: 1})
	if err != nil {
		return nil, err
	}
	if all.Total == 0 {
		return nil, fmt.Errorf("daily pick: no packs: %w", store.ErrNotFound)
	}
	h := fnv.New32a()
	h.Write([]byte(day.Format(time.DateOnly)))
	n := int(h.Sum32() % uint32(all.Total))
	one, err := s.Search(ctx, index.Query{Sort: index.SortNewest, Offset: n, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(one.Hits) == 0 {
		return nil, fmt.Errorf("daily pick: index shrank: %w", store.ErrNotFound)
	}
	return &one.Hits[0], nil
}

// Create is Save for a new pack: it fails with store.ErrPrecondition when a
// pack with that slug exists already (create-once, also across processes).
func (s *Service) Create(ctx context.Context, slug string, src []byte) (*Pack, error) {
	return s.save(ctx, slug, src, store.PutOptions{IfNoneMatch: true})
}

// Save validates and renders src, writes it to the store (the truth) and then
// indexes it. With ifMatch set the write only succeeds over that version. If
// indexing fails, the pack stays saved and an outbox record makes ReplayOutbox
// index it later.
func (s *Service) Save(ctx context.Context, slug string, src []byte, ifMatch string) (*Pack, error) {
	return s.save(ctx, slug, src, store.PutOptions{IfMatch: ifMatch})
}

func (s *Service) save(ctx context.Context, slug string, src []byte, opts store.PutOptions) (*Pack, error) {
	p, doc, err := s.write(ctx, slug, src, opts)
	if err != nil {
		return nil, err
	}
	s.remember(p)
	if err := s.index.Upsert(ctx, ToDoc(slug, doc)); err != nil {
		s.log.Warn("index write failed; queued in outbox", "pack", slug, "err", err)
		if oerr := s.outbox.Add(ctx, slug); oerr != nil {
			return p, fmt.Errorf("index pack %q: %w (and outbox: %v)", slug, err, oerr)
		}
	}
	return p, nil
}

// write validates and renders src and writes it to the store (no index).
func (s *Service) write(ctx context.Context, slug string, src []byte, opts store.PutOptions) (*Pack, markdown.Document, error) {
	if !ValidSlug(slug) {
		return nil, markdown.Document{}, fmt.Errorf("%w %q: use lowercase letters, digits and '-' (e.g. expense-claims)", ErrInvalidSlug, slug)
	}
	if len(src) > MaxPackBytes {
		return nil, markdown.Document{}, fmt.Errorf("pack %q is %d bytes, more than the %d allowed", slug, len(src), MaxPackBytes)
	}
	doc, err := s.md.ParseWith(slug+".md", src, markdown.Options{ImageBase: ImageBase(slug)})
	if err != nil {
		return nil, markdown.Document{}, err
	}
	opts.ContentType, opts.Size = "text/markdown; charset=utf-8", int64(len(src))
	obj, err := s.store.Put(ctx, Key(slug), bytes.NewReader(src), opts)
	if err != nil {
		return nil, markdown.Document{}, fmt.Errorf("save pack %q: %w", slug, err)
	}
	return &Pack{Slug: slug, Meta: doc.Meta, HTML: doc.HTML, TOC: doc.TOC, ETag: obj.ETag}, doc, nil
}

// ToDoc is the index document of the pack slug parsed as d.
func ToDoc(slug string, d markdown.Document) index.Doc {
	return index.Doc{
		ID: docID(slug), Kind: Kind,
		Title: d.Meta.Title, Summary: d.Meta.Summary, Body: d.Text,
		Department: d.Meta.Department, Tags: d.Meta.Tags, Author: d.Meta.Author,
		Audience: d.Meta.Audience, Date: d.Meta.Date, URL: "/packs/" + slug,
	}
}

// ReplayOutbox indexes the packs whose index write failed earlier. It returns
// how many records it cleared.
func (s *Service) ReplayOutbox(ctx context.Context) (int, error) {
	return s.outbox.Replay(ctx, ValidSlug, s.reindexOne, s.log)
}

func (s *Service) reindexOne(ctx context.Context, slug string) error {
	doc, err := s.load(ctx, Key(slug))
	if errors.Is(err, store.ErrNotFound) {
		return s.index.Delete(ctx, docID(slug))
	}
	if err != nil {
		return err
	}
	return s.index.Upsert(ctx, ToDoc(slug, doc))
}

func (s *Service) load(ctx context.Context, key string) (markdown.Document, error) {
	rc, _, err := s.store.Get(ctx, key)
	if err != nil {
		return markdown.Document{}, err
	}
	defer rc.Close()
	src, err := readLimited(rc, MaxPackBytes)
	if err != nil {
		return markdown.Document{}, err
	}
	return s.md.Parse(path.Base(key), src)
}

// Progress is told how far a long operation has come.
type Progress func(done, total int)

// importBatch is how many imported packs go to the index in one write: each
// write makes a segment that bleve later merges, so fewer, larger writes
// merge less.
var importBatch = 250 // a variable so a test can make several batches of a few hundred packs

// importWorkers is how many files ImportFS parses and writes to the store at
// once: twice the CPUs, because a store write mostly waits for the disk's
// fsync, bounded so a large machine does not open hundreds of files.
func importWorkers() int { return max(2, min(2*runtime.GOMAXPROCS(0), 16)) }

// ImportFS saves every *.md file under dir in fsys as a pack named after the
// file. Files are parsed and written to the store in parallel and indexed
// in batches (one index write per importBatch packs, not one per pack). A
// bad file does not stop the import: its error (naming the file and line)
// is collected and the rest go on; a failed index batch leaves outbox
// records, so the packs are indexed later. It returns how many packs were
// saved; progress counts a pack once it is in the store and the index.
func (s *Service) ImportFS(ctx context.Context, fsys fs.FS, dir string, progress Progress) (int, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") && !strings.EqualFold(d.Name(), "README.md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", dir, err)
	}
	type parsed struct {
		slug string
		doc  markdown.Document
		meta *Meta // made by this import, for the ledgers
		err  error
	}
	jobs := make(chan string)
	results := make(chan parsed)
	var wg sync.WaitGroup
	for range importWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				slug, doc, meta, err := s.importFile(ctx, fsys, p)
				results <- parsed{slug, doc, meta, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, p := range files {
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	// The index writes run on their own goroutine, one batch at a time,
	// while the workers go on parsing and storing the next batch (at most
	// one more batch waits, which bounds memory).
	type indexBatch struct {
		docs   []index.Doc
		failed int // files in this stretch that did not import
	}
	batches := make(chan indexBatch, 1)
	var (
		mu   sync.Mutex
		errs []error
	)
	addErr := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	indexed := make(chan struct{})
	done := 0 // read after indexed closes
	go func() {
		defer close(indexed)
		for b := range batches {
			if len(b.docs) > 0 {
				if err := s.index.Upsert(ctx, b.docs...); err != nil {
					s.log.Warn("index write failed; queued in outbox", "packs", len(b.docs), "err", err)
					for _, d := range b.docs {
						if oerr := s.outbox.Add(ctx, strings.TrimPrefix(d.ID, Kind+"_")); oerr != nil {
							addErr(fmt.Errorf("index pack %s: %w (and outbox: %v)", d.ID, err, oerr))
						}
					}
				}
			}
			done += len(b.docs) + b.failed
			if progress != nil && (len(b.docs) > 0 || b.failed > 0) {
				progress(done, len(files))
			}
		}
	}()
	saved := 0
	var metas []*Meta
	batch := indexBatch{docs: make([]index.Doc, 0, importBatch)}
	flush := func() {
		batches <- batch
		batch = indexBatch{docs: make([]index.Doc, 0, importBatch)}
	}
	for r := range results {
		if r.err != nil {
			addErr(r.err)
			batch.failed++
			continue
		}
		saved++
		if r.meta != nil {
			r.meta.Log = nil // only the ledger fields are kept until the end
			metas = append(metas, r.meta)
		}
		batch.docs = append(batch.docs, ToDoc(r.slug, r.doc))
		if len(batch.docs) == importBatch {
			flush()
		}
	}
	flush()
	close(batches)
	<-indexed
	if err := ctx.Err(); err != nil {
		return saved, err
	}
	if err := s.ledgerPutAll(ctx, metas); err != nil {
		addErr(err)
	}
	if progress != nil && done < len(files) {
		progress(len(files), len(files))
	}
	return saved, errors.Join(errs...)
}

func (s *Service) importFile(ctx context.Context, fsys fs.FS, p string) (string, markdown.Document, *Meta, error) {
	slug := strings.TrimSuffix(path.Base(p), ".md")
	if !ValidSlug(slug) {
		return "", markdown.Document{}, nil, fmt.Errorf("%s: file name must be lowercase letters, digits and '-' (it becomes the pack's address)", p)
	}
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return "", markdown.Document{}, nil, fmt.Errorf("%s: %w", p, err)
	}
	_, doc, err := s.write(ctx, slug, src, store.PutOptions{})
	if err != nil {
		var fm *markdown.FrontMatterError
		if errors.As(err, &fm) {
			fm.File = p // name the file as the editor knows it
			return "", markdown.Document{}, nil, fm
		}
		return "", markdown.Document{}, nil, fmt.Errorf("%s: %w", p, err)
	}
	// A new pack gets its meta record and version 1 now, as the editor
	// would make them, so that the first start after an import has no
	// history to backfill; the ledgers are updated once per department
	// when the import ends. A pack that had a record keeps it.
	if _, err := s.store.Stat(ctx, metaKey(slug)); !errors.Is(err, store.ErrNotFound) {
		return slug, doc, nil, err
	}
	m, err := s.createMeta(ctx, slug, doc.Meta, src)
	if errors.Is(err, store.ErrPrecondition) {
		return slug, doc, nil, nil // made meanwhile by an editor
	}
	if err != nil {
		return "", markdown.Document{}, nil, fmt.Errorf("%s: %w", p, err)
	}
	return slug, doc, m, nil
}

// ledgerPutAll records the metas (new packs of an import) in their
// departments' ledgers, one write per department rather than one per pack.
func (s *Service) ledgerPutAll(ctx context.Context, metas []*Meta) error {
	byDept := map[string][]*Meta{}
	for _, m := range metas {
		byDept[m.Department] = append(byDept[m.Department], m)
	}
	var errs []error
	for dept, ms := range byDept {
		err := s.upsertLedger(ctx, deptLedgerKey(dept), func(l *ledger) {
			for _, m := range ms {
				l.Items[m.Slug] = LedgerItem{Slug: m.Slug, Title: m.Title, Department: m.Department, Reviewed: m.Reviewed}
			}
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("department ledger %q: %w", dept, err))
		}
	}
	return errors.Join(errs...)
}

// HasPacks reports whether the store holds at least one pack.
func (s *Service) HasPacks(ctx context.Context) (bool, error) {
	for _, err := range s.store.List(ctx, packPrefix) {
		if err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// Reindex rebuilds the pack part of the index from the store: it indexes every
// pack in batches, then deletes pack documents the store no longer has. Other
// kinds of documents are left alone. Packs that fail to parse are reported
// and skipped.
func (s *Service) Reindex(ctx context.Context, progress Progress) (int, error) {
	var keys []string
	for obj, err := range s.store.List(ctx, packPrefix) {
		if err != nil {
			return 0, fmt.Errorf("list packs: %w", err)
		}
		if strings.HasSuffix(obj.Key, ".md") {
			keys = append(keys, obj.Key)
		}
	}
	slugs := make([]string, len(keys))
	for i, key := range keys {
		slugs[i] = strings.TrimSuffix(strings.TrimPrefix(key, packPrefix), ".md")
	}
	return index.Rebuild(ctx, s.index, Kind, slugs, docID, func(ctx context.Context, slug string) (index.Doc, bool, error) {
		doc, err := s.load(ctx, Key(slug))
		if err != nil {
			return index.Doc{}, false, fmt.Errorf("%s: %w", Key(slug), err)
		}
		return ToDoc(slug, doc), true, nil
	}, progress)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
