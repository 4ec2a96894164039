// Package files is the department file library (资料下载): uploads with
// versions, downloads with counters, department records with their WeChat
// group QR codes, and the search index entries for files.
//
// Store layout (a person can read the bucket):
//
//	files/<id>/meta.json                     file record (File as JSON), updated with If-Match
//	files/<id>/v<N>/<safe original name>     the bytes of version N (1-based), create-once
//	files/<id>/text/v<N>.txt                 extracted text of version N (derived cache)
//	files/<id>/downloads/<YYYY-MM-DD>.json   per-day download counter {"count": n}
//	departments/<hex sha256(name)[:16]>.json department record
//	departments/<same>/qr                    WeChat group QR image
//	outbox/files/<id>.json                   pending index write
//
// As everywhere in Jinnang, the store is written first and the index second;
// an index failure leaves an outbox record that ReplayOutbox retries.
package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/outbox"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Kind is the index kind of department files.
const Kind = "file"

// MaxUpload bounds the size of one uploaded file in bytes.
const MaxUpload = 50 << 20

// Sentinel errors of uploads. The wrapped messages are fit to show to the user.
var (
	// ErrTooLarge means the body exceeded MaxUpload (or the QR image limit).
	ErrTooLarge = errors.New("files: file too large")
	// ErrType means the sniffed content type is not on the allowed list.
	ErrType = errors.New("files: file type not allowed")
	// ErrEmpty means the body had no bytes.
	ErrEmpty = errors.New("files: empty file")
)

const (
	filesPrefix  = "files/"
	outboxPrefix = "outbox/files/"
	metaName     = "meta.json"
	// maxMetaBytes bounds a meta.json read; maxVersions keeps records below it.
	maxMetaBytes = 1 << 20
	maxVersions  = 1000
	lockStripes  = 64
)

// Version is one uploaded revision of a file. Its bytes never change.
type Version struct {
	N         int       `json:"n"`
	Name      string    `json:"name"` // original file name, cleaned: base name only, no control chars/slashes, ≤120 runes
	Size      int64     `json:"size"`
	MediaType string    `json:"media_type"` // sniffed
	SHA256    string    `json:"sha256"`
	Key       string    `json:"key"` // store key of the bytes
	At        time.Time `json:"at"`
	By        string    `json:"by"` // user ID
	// TextUnreadable: the file's text could not be extracted (a damaged or
	// truncated document); its editors are told so.
	TextUnreadable bool `json:"text_unreadable,omitempty"`
}

// File is the record of one library entry and all its versions.
type File struct {
	ID          string    `json:"id"` // 16 lowercase base32 chars (80 bits), server-chosen
	Department  string    `json:"department"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Tags        []string  `json:"tags"`
	Versions    []Version `json:"versions"` // oldest first; Current() is the last
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Owner       string    `json:"owner"`
	ETag        string    `json:"-"` // of meta.json, for If-Match
}

// Current returns the newest version (the zero Version for a record without any).
func (f *File) Current() Version {
	if len(f.Versions) == 0 {
		return Version{}
	}
	return f.Versions[len(f.Versions)-1]
}

// Version returns version n (1-based); 0 means the current one.
func (f *File) Version(n int) (Version, bool) {
	if n == 0 && len(f.Versions) > 0 {
		return f.Current(), true
	}
	for _, v := range f.Versions {
		if v.N == n {
			return v, true
		}
	}
	return Version{}, false
}

// Service stores, indexes and serves department files and department records.
type Service struct {
	store store.Store
	index index.Index
	log   *slog.Logger
	// outbox queues files whose index write failed.
	outbox *outbox.Outbox
	// counters serialises download-counter increments within the process, so
	// only other processes make the conditional writes retry.
	counters [lockStripes]sync.Mutex
}

// New returns a Service over the given ports.
func New(st store.Store, ix index.Index, log *slog.Logger) *Service {
	return &Service{store: st, index: ix, log: log, outbox: outbox.New(st, outboxPrefix)}
}

// validID reports whether id has the shape of a file id.
func validID(id string) bool { return ids.Valid(id) }

func checkID(id string) error {
	if !validID(id) {
		return fmt.Errorf("file %q: %w", id, store.ErrNotFound)
	}
	return nil
}

func fileDir(id string) string   { return filesPrefix + id + "/" }
func metaKey(id string) string   { return fileDir(id) + metaName }
func docID(id string) string     { return Kind + "_" + id }
func outboxKey(id string) string { return outboxPrefix + id + ".json" }

// Get returns the file record; a missing or malformed id is store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*File, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	rc, obj, err := s.store.Get(ctx, metaKey(id))
	if err != nil {
		return nil, fmt.Errorf("get file %q: %w", id, err)
	}
	defer rc.Close()
	b, err := readLimited(rc, maxMetaBytes)
	if err != nil {
		return nil, fmt.Errorf("read file %q: %w", id, err)
	}
	var f File
	if err := record.Decode(ctx, s.store, metaKey(id), obj.ETag, b, &f, maxMetaBytes); err != nil {
		return nil, fmt.Errorf("file %q: %w", id, err)
	}
	if f.ID != id {
		return nil, fmt.Errorf("file %q: record names id %q", id, f.ID)
	}
	f.ETag = obj.ETag
	return &f, nil
}

// putMeta writes f's record with opts (IfNoneMatch or IfMatch) and sets f.ETag.
func (s *Service) putMeta(ctx context.Context, f *File, opts store.PutOptions) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode file %q: %w", f.ID, err)
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	obj, err := s.store.Put(ctx, metaKey(f.ID), bytes.NewReader(b), opts)
	if err != nil {
		return fmt.Errorf("save file %q: %w", f.ID, err)
	}
	f.ETag = obj.ETag
	return nil
}

// Update saves edits of f's title, description and tags over the record with
// ETag f.ETag (store.ErrPrecondition if it changed since; an empty ETag means
// don't care), then reindexes it. Versions, department and owner are kept from
// the stored record. On success f holds the saved record and its new ETag.
func (s *Service) Update(ctx context.Context, f *File) error {
	cur, err := s.Get(ctx, f.ID)
	if err != nil {
		return err
	}
	if f.ETag != "" && f.ETag != cur.ETag {
		return fmt.Errorf("update file %q: edited by someone else meanwhile: %w", f.ID, store.ErrPrecondition)
	}
	title, desc, tags, err := cleanFields(f.Title, f.Description, f.Tags)
	if err != nil {
		return err
	}
	if title == "" {
		title = stem(cur.Current().Name)
	}
	next := *cur
	next.Title, next.Description, next.Tags = title, desc, tags
	next.Updated = time.Now().UTC()
	if err := s.putMeta(ctx, &next, store.PutOptions{IfMatch: cur.ETag}); err != nil {
		return err
	}
	*f = next
	return s.indexFile(ctx, &next)
}

// Delete removes every version, the record, counters and cached text of the
// file, then its index entry. A file with no objects at all is store.ErrNotFound.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	var keys []string
	for obj, err := range s.store.List(ctx, fileDir(id)) {
		if err != nil {
			return fmt.Errorf("delete file %q: list: %w", id, err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) == 0 {
		return fmt.Errorf("delete file %q: %w", id, store.ErrNotFound)
	}
	// The record goes first: once it is gone the file is gone for readers,
	// and anything left by a crash is unreferenced bytes a retry removes.
	slices.SortStableFunc(keys, func(a, b string) int {
		return boolInt(!strings.HasSuffix(a, "/"+metaName)) - boolInt(!strings.HasSuffix(b, "/"+metaName))
	})
	for _, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete file %q: %w", id, err)
		}
	}
	if err := s.index.Delete(ctx, docID(id)); err != nil {
		s.log.Warn("index delete failed; queued in outbox", "file", id, "err", err)
		if oerr := s.outbox.Add(ctx, id); oerr != nil {
			return fmt.Errorf("unindex file %q: %w (and outbox: %v)", id, err, oerr)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Open returns the bytes of version n (0 = current) for streaming with Range
// support, with the version record and the object's metadata. The caller
// closes the reader.
func (s *Service) Open(ctx context.Context, id string, n int) (store.ReadSeekCloser, Version, store.Object, error) {
	v, err := s.version(ctx, id, n)
	if err != nil {
		return nil, Version{}, store.Object{}, err
	}
	obj, err := s.store.Stat(ctx, v.Key)
	if err != nil {
		return nil, Version{}, store.Object{}, fmt.Errorf("open file %q v%d: %w", id, v.N, err)
	}
	return store.NewReadSeeker(ctx, s.store, obj), v, obj, nil
}

func (s *Service) version(ctx context.Context, id string, n int) (Version, error) {
	f, err := s.Get(ctx, id)
	if err != nil {
		return Version{}, err
	}
	v, ok := f.Version(n)
	if !ok {
		return Version{}, fmt.Errorf("file %q has no version %d: %w", id, n, store.ErrNotFound)
	}
	return v, nil
}

// PresignURL returns a direct download URL for version n (0 = current), valid
// for expiry, when the store is a store.Presigner; otherwise "" and nil.
func (s *Service) PresignURL(ctx context.Context, id string, n int, expiry time.Duration) (string, error) {
	p, ok := s.store.(store.Presigner)
	if !ok {
		return "", nil
	}
	v, err := s.version(ctx, id, n)
	if err != nil {
		return "", err
	}
	u, err := p.PresignGet(ctx, v.Key, expiry, v.Name)
	if err != nil {
		return "", fmt.Errorf("presign file %q v%d: %w", id, v.N, err)
	}
	return u, nil
}

// Search queries the index for files (Kind is forced to "file").
func (s *Service) Search(ctx context.Context, q index.Query) (index.Result, error) {
	q.Kind = Kind
	res, err := s.index.Search(ctx, q)
	if err != nil {
		return index.Result{}, fmt.Errorf("search files: %w", err)
	}
	return res, nil
}

// ByDepartment lists a department's files, newest first.
func (s *Service) ByDepartment(ctx context.Context, dept string, offset, limit int) (index.Result, error) {
	return s.Search(ctx, index.Query{Department: dept, Sort: index.SortNewest, Offset: offset, Limit: limit})
}

// shortcutHits is how many search hits Shortcut compares.
const shortcutHits = 20

// Shortcut returns the file whose title equals text, or whose tag equals text,
// or whose current file name (without extension) equals text, ignoring case and
// surrounding spaces and a trailing file extension (typing 报销单 jumps to
// “报销单” / 2026年报销单.xlsx). The candidates are the top search hits for
// text; the best-ranked exact match wins. No match is (nil, false, nil).
func (s *Service) Shortcut(ctx context.Context, text string) (*File, bool, error) {
	want := normalize(text)
	if want == "" {
		return nil, false, nil
	}
	res, err := s.Search(ctx, index.Query{Text: want, Limit: shortcutHits})
	if err != nil {
		return nil, false, err
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		id, ok := strings.CutPrefix(h.Doc.ID, Kind+"_")
		if !ok || !validID(id) {
			continue
		}
		ids = append(ids, id)
		if normalize(h.Doc.Title) == want || slices.ContainsFunc(h.Doc.Tags, func(t string) bool { return normalize(t) == want }) {
			return s.shortcutFile(ctx, id)
		}
	}
	// Hits do not carry the file name: read the records, in rank order.
	for _, id := range ids {
		f, err := s.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since it was indexed
		}
		if err != nil {
			return nil, false, err
		}
		if normalize(f.Current().Name) == want {
			return f, true, nil
		}
	}
	return nil, false, nil
}

func (s *Service) shortcutFile(ctx context.Context, id string) (*File, bool, error) {
	f, err := s.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return f, true, nil
}

// normalize folds text for Shortcut comparisons: surrounding and repeated
// spaces, case, and a trailing known file extension do not matter.
func normalize(text string) string {
	t := strings.ToLower(strings.Join(strings.Fields(text), " "))
	if i := strings.LastIndexByte(t, '.'); i > 0 {
		if _, ok := extTypes[t[i:]]; ok {
			t = strings.TrimSpace(t[:i])
		}
	}
	return t
}

// lock returns the in-process lock of id's download counter.
func (s *Service) lock(id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &s.counters[h.Sum32()%lockStripes]
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", record.ErrCorrupt, limit)
	}
	return b, nil
}
