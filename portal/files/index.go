package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/jinnang/jinnang/portal/extract"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// maxTextBytes bounds a cached text read: extract.Limits.MaxText runes of UTF-8.
const maxTextBytes = 4 * 200_000

// extractable lists the media types extract.Text reads; other types are
// indexed by their record and file name only, without fetching the bytes.
var extractable = map[string]bool{
	"application/pdf": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	"text/plain":    true,
	"text/markdown": true,
	"text/csv":      true,
}

func textKey(id string, n int) string { return fmt.Sprintf("%stext/v%d.txt", fileDir(id), n) }

// indexFile writes f's index entry; on failure it queues an outbox record and
// only returns an error if that fails too.
func (s *Service) indexFile(ctx context.Context, f *File) error {
	if err := s.index.Upsert(ctx, s.toDoc(ctx, f)); err != nil {
		s.log.Warn("index write failed; queued in outbox", "file", f.ID, "err", err)
		if oerr := s.outbox.Add(ctx, f.ID); oerr != nil {
			return fmt.Errorf("index file %q: %w (and outbox: %v)", f.ID, err, oerr)
		}
	}
	return nil
}

func (s *Service) toDoc(ctx context.Context, f *File) index.Doc {
	cur := f.Current()
	body := s.text(ctx, f.ID, cur)
	if body != "" {
		body += "\n"
	}
	return index.Doc{
		ID: docID(f.ID), Kind: Kind,
		Title: f.Title, Summary: f.Description, Body: body + cur.Name,
		Department: f.Department, Tags: f.Tags, Date: f.Updated, URL: "/files/" + f.ID,
	}
}

// text returns the plain text of version v, from the text cache or by
// extracting it (then caching it). Failures are logged and give "".
func (s *Service) text(ctx context.Context, id string, v Version) string {
	t, _ := s.textOf(ctx, id, v)
	return t
}

// errUnreadable marks a document extract.Text could not read (damaged,
// truncated): trying again will not help.
var errUnreadable = errors.New("document text unreadable")

// textOf is text, also reporting whether the document itself is unreadable
// (not a store failure, which may pass).
func (s *Service) textOf(ctx context.Context, id string, v Version) (string, bool) {
	base, _, _ := strings.Cut(v.MediaType, ";")
	if v.Key == "" || !extractable[strings.TrimSpace(base)] {
		return "", false
	}
	if t, err := s.cachedText(ctx, id, v.N); err == nil {
		return t, false
	} else if !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("read cached file text", "file", id, "version", v.N, "err", err)
	}
	t, err := s.extract(ctx, v)
	unreadable := false
	switch {
	case errors.Is(err, extract.ErrUnsupported):
		s.log.Debug("file type has no text extractor", "file", id, "version", v.N, "type", v.MediaType)
	case errors.Is(err, extract.ErrLimit):
		s.log.Info("file text truncated at a limit", "file", id, "version", v.N, "err", err)
	case errors.Is(err, errUnreadable):
		s.log.Info("file text unreadable; indexing without it", "file", id, "version", v.N, "err", err)
		unreadable = true // cached (as what could be read), so it is not tried again
	case err != nil:
		s.log.Warn("file text extraction failed; indexing without it", "file", id, "version", v.N, "err", err)
		return "", false // possibly transient: do not cache
	}
	b := []byte(t)
	if _, err := s.store.Put(ctx, textKey(id, v.N), bytes.NewReader(b),
		store.PutOptions{ContentType: "text/plain; charset=utf-8", Size: int64(len(b))}); err != nil {
		s.log.Warn("cache file text", "file", id, "version", v.N, "err", err)
	}
	return t, unreadable
}

func (s *Service) cachedText(ctx context.Context, id string, n int) (string, error) {
	rc, _, err := s.store.Get(ctx, textKey(id, n))
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := readLimited(rc, maxTextBytes)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// extract copies version v into a temp file (bounded by MaxUpload, removed
// afterwards) and extracts its text. ErrLimit comes with the partial text.
func (s *Service) extract(ctx context.Context, v Version) (string, error) {
	rc, obj, err := s.store.Get(ctx, v.Key)
	if err != nil {
		return "", fmt.Errorf("open %q: %w", v.Key, err)
	}
	defer rc.Close()
	if obj.Size > MaxUpload {
		return "", fmt.Errorf("%q is %d bytes, more than %d: %w", v.Key, obj.Size, MaxUpload, extract.ErrLimit)
	}
	tmp, err := os.CreateTemp("", "jinnang-extract-*")
	if err != nil {
		return "", fmt.Errorf("temp file: %w", err)
	}
	defer func() {
		if err := tmp.Close(); err != nil {
			s.log.Warn("close temp file", "path", tmp.Name(), "err", err)
		}
		if err := os.Remove(tmp.Name()); err != nil {
			s.log.Warn("remove temp file", "path", tmp.Name(), "err", err)
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(rc, MaxUpload))
	if err != nil {
		return "", fmt.Errorf("copy %q to %s: %w", v.Key, tmp.Name(), err)
	}
	t, err := extract.Text(ctx, tmp, n, v.MediaType, extract.DefaultLimits())
	if err != nil && !errors.Is(err, extract.ErrLimit) && !errors.Is(err, extract.ErrUnsupported) && ctx.Err() == nil {
		err = fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return t, err
}

// ReplayOutbox brings the index entries of files whose index write failed
// earlier in line with the store. It returns how many records it cleared.
func (s *Service) ReplayOutbox(ctx context.Context) (int, error) {
	return s.outbox.Replay(ctx, validID, s.reindexOne, s.log)
}

func (s *Service) reindexOne(ctx context.Context, id string) error {
	f, err := s.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.index.Delete(ctx, docID(id))
	}
	if err != nil {
		return err
	}
	return s.index.Upsert(ctx, s.toDoc(ctx, f))
}

// Reindex rebuilds the file entries of the index from the store: it indexes
// every file record in batches, then deletes file entries whose record is
// gone. It does not Reset the index (other kinds share it): a full rebuild
// resets the index, reindexes packs, then files. Records that fail to load
// are reported and skipped.
func (s *Service) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	var ids []string
	for obj, err := range s.store.List(ctx, filesPrefix) {
		if err != nil {
			return 0, fmt.Errorf("list files: %w", err)
		}
		rest, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, filesPrefix), "/"+metaName)
		if ok && validID(rest) {
			ids = append(ids, rest)
		}
	}
	return index.Rebuild(ctx, s.index, Kind, ids, docID, func(ctx context.Context, id string) (index.Doc, bool, error) {
		f, err := s.Get(ctx, id)
		if err != nil {
			return index.Doc{}, false, err
		}
		return s.toDoc(ctx, f), true, nil
	}, progress)
}

// DeptKind is the index kind of department intros: searching 报销 or VPN
// also finds the department that answers for it.
const DeptKind = "dept"

func deptDocID(name string) string { return DeptKind + "_" + deptHash(name) }

// DeptDoc is the index document of a department record: its name as the
// title, its intro as summary and body.
func DeptDoc(d Department) index.Doc {
	return index.Doc{
		ID: deptDocID(d.Name), Kind: DeptKind,
		Title: d.Name, Summary: d.Intro, Body: d.Intro,
		Department: d.Name, URL: "/departments/" + url.PathEscape(d.Name),
	}
}

// indexDept writes a department's index entry; failures are logged (the
// next reindex or start-up writes it again).
func (s *Service) indexDept(ctx context.Context, d Department) {
	if err := s.index.Upsert(ctx, DeptDoc(d)); err != nil {
		s.log.Warn("index department intro failed; reindex will retry", "department", d.Name, "err", err)
	}
}

// ReindexDepartments rebuilds the department entries of the index from
// the department records.
func (s *Service) ReindexDepartments(ctx context.Context, progress func(done, total int)) (int, error) {
	depts, err := s.Departments(ctx)
	if err != nil {
		return 0, err
	}
	byID := make(map[string]Department, len(depts))
	ids := make([]string, 0, len(depts))
	for _, d := range depts {
		id := deptDocID(d.Name)
		byID[id] = d
		ids = append(ids, id)
	}
	return index.Rebuild(ctx, s.index, DeptKind, ids, func(id string) string { return id },
		func(_ context.Context, id string) (index.Doc, bool, error) {
			return DeptDoc(byID[id]), true, nil
		}, progress)
}
