package packs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// SetClock replaces the clock that stamps versions and reviews (tests).
func (s *Service) SetClock(now func() time.Time) { s.clock = now }

func (s *Service) now() time.Time {
	if s.clock != nil {
		return s.clock().UTC()
	}
	return time.Now().UTC()
}

// Publication is one publish from the editor.
type Publication struct {
	Slug string
	// ID is the pack id for a new pack (its draft's, so uploaded images stay
	// found); "" makes one. Ignored for an existing pack.
	ID     string
	Fields markdown.FrontMatter
	Body   string
	Note   string
	By     string // user id
	ByName string
	// IfMatch is the ETag of the version the editor started from; "" means
	// a new pack (create-once).
	IfMatch string
	// From marks a restore of that version (for the log).
	From int
}

// Publish writes a new version of a pack (or a new pack): the current source
// with If-Match (or create-once), then the immutable version object, then the
// meta record with its log entry, then the index. A stale IfMatch is
// store.ErrPrecondition; a taken slug for a new pack too.
func (s *Service) Publish(ctx context.Context, p Publication) (*Pack, *Meta, error) {
	note := strings.TrimSpace(p.Note)
	if utf8.RuneCountInString(note) > MaxNote {
		note = string([]rune(note)[:MaxNote])
	}
	src, err := markdown.Compose(p.Fields, p.Body)
	if err != nil {
		return nil, nil, err
	}
	var m *Meta
	if p.IfMatch != "" {
		if m, err = s.ensureMeta(ctx, p.Slug); err != nil {
			return nil, nil, err
		}
		if m.State != StateLive {
			return nil, nil, fmt.Errorf("pack %q is %s: %w", p.Slug, m.State, store.ErrPrecondition)
		}
	} else if taken, err := s.SlugTaken(ctx, p.Slug); err != nil {
		return nil, nil, err
	} else if taken {
		return nil, nil, fmt.Errorf("slug %q: %w", p.Slug, store.ErrPrecondition)
	}
	opts := store.PutOptions{IfMatch: p.IfMatch, IfNoneMatch: p.IfMatch == ""}
	pack, err := s.save(ctx, p.Slug, src, opts)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if m == nil { // a new pack
		id := p.ID
		if !ids.Valid(id) {
			id = ids.New()
		}
		m = &Meta{ID: id, Slug: p.Slug, Owner: p.By, OwnerName: p.ByName, Created: now, CreatedBy: p.By}
	}
	n := m.Versions + 1
	for ; n < m.Versions+attempts; n++ { // a version object left by a crashed publish: use the next number
		if err = s.putVersion(ctx, m.ID, n, src); err == nil || !errors.Is(err, store.ErrPrecondition) {
			break
		}
	}
	if err != nil {
		return pack, m, err
	}
	e := Entry{N: n, At: now, By: p.By, ByName: p.ByName, Note: note, Title: pack.Meta.Title, Size: len(src), From: p.From}
	update := func(m *Meta) error {
		m.Title, m.Department, m.Reviewed = pack.Meta.Title, pack.Meta.Department, now
		if e.N <= m.Versions {
			e.N = m.Versions + 1 // cannot happen while the pack write is conditional; keeps the log ordered
		}
		return s.appendLog(ctx, m, e)
	}
	if p.IfMatch == "" {
		if err := update(m); err != nil {
			return pack, m, err
		}
		obj, err := record.Write(ctx, s.store, metaKey(p.Slug), m, store.PutOptions{})
		if err != nil {
			return pack, m, err
		}
		m.etag = obj.ETag
	} else if m, err = s.modifyMeta(ctx, p.Slug, update); err != nil {
		return pack, m, err
	}
	s.ledgerPut(ctx, m)
	return pack, m, nil
}

// VersionPage is one page of a pack's history, newest first.
type VersionPage struct {
	Meta    *Meta
	Entries []Entry
	Page    int
	Pages   int
}

// History returns page (from 1) of the pack's versions, newest first. Page 1
// holds the open log and the newest full chunk (up to 2×ChunkSize entries),
// each later page one older chunk, so a page reads the meta record and at
// most one chunk, however long the history.
func (s *Service) History(ctx context.Context, slug string, page int) (*VersionPage, error) {
	m, err := s.Info(ctx, slug)
	if err != nil {
		return nil, err
	}
	vp := &VersionPage{Meta: m, Page: max(page, 1), Pages: max(m.Flushed, 1)}
	if m.ID == "" { // never edited here: the current source is the only version
		return vp, nil
	}
	var entries []Entry
	if vp.Page == 1 {
		entries = append(entries, m.Log...)
	}
	if k := m.Flushed - vp.Page; k >= 0 {
		var chunk []Entry
		if _, err := record.Read(ctx, s.store, chunkKey(m.ID, k), &chunk, maxMeta); err != nil {
			return nil, fmt.Errorf("history of %q: %w", slug, err)
		}
		entries = append(chunk, entries...)
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	vp.Entries = entries
	return vp, nil
}

// Version returns the source of version n of a pack.
func (s *Service) Version(ctx context.Context, slug string, n int) ([]byte, *Meta, error) {
	m, err := s.Info(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	if m.ID == "" || n < 1 || n > m.Versions {
		return nil, m, fmt.Errorf("version %d of %q: %w", n, slug, store.ErrNotFound)
	}
	src, _, err := s.readAll(ctx, versionKey(m.ID, n))
	if err != nil {
		return nil, m, fmt.Errorf("version %d of %q: %w", n, slug, err)
	}
	return src, m, nil
}

// Restore publishes a copy of version n as a new version.
func (s *Service) Restore(ctx context.Context, slug string, n int, by, byName string) (*Pack, *Meta, error) {
	src, _, err := s.Version(ctx, slug, n)
	if err != nil {
		return nil, nil, err
	}
	fm, body, err := markdown.Split(slug+".md", src)
	if err != nil {
		return nil, nil, err
	}
	_, etag, err := s.Source(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	return s.Publish(ctx, Publication{Slug: slug, Fields: fm, Body: body, Note: fmt.Sprintf("恢复第 %d 版 restored version %d", n, n),
		By: by, ByName: byName, IfMatch: etag, From: n})
}

// Resolve follows renames: the slug a pack has now, given one it had
// (itself when it was never renamed). Unknown slugs are store.ErrNotFound.
func (s *Service) Resolve(ctx context.Context, slug string) (string, error) {
	for range 5 {
		var r struct {
			To string `json:"to"`
		}
		_, err := record.Read(ctx, s.store, redirectKey(slug), &r, 1<<10)
		if errors.Is(err, store.ErrNotFound) {
			return slug, nil
		}
		if err != nil {
			return "", err
		}
		if !ValidSlug(r.To) {
			return "", fmt.Errorf("redirect of %q: %w", slug, store.ErrNotFound)
		}
		slug = r.To
	}
	return slug, nil
}

// Rename moves a pack to a new slug: its source and meta are written under
// the new slug, the old slug becomes a redirect, and the index follows.
// History and images stay (they are keyed by the pack's id).
func (s *Service) Rename(ctx context.Context, from, to, ifMatch string) (*Meta, error) {
	if !ValidSlug(to) || to == "new" {
		return nil, fmt.Errorf("%w %q", ErrInvalidSlug, to)
	}
	if taken, err := s.SlugTaken(ctx, to); err != nil {
		return nil, err
	} else if taken {
		return nil, fmt.Errorf("slug %q: %w", to, store.ErrPrecondition)
	}
	m, err := s.ensureMeta(ctx, from)
	if err != nil {
		return nil, err
	}
	src, etag, err := s.Source(ctx, from)
	if err != nil {
		return nil, err
	}
	if ifMatch != "" && etag != ifMatch {
		return nil, fmt.Errorf("pack %q changed: %w", from, store.ErrPrecondition)
	}
	if _, err := s.save(ctx, to, src, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, err
	}
	m.Slug = to
	m.OldSlugs = append(m.OldSlugs, from)
	obj, err := record.Write(ctx, s.store, metaKey(to), m, store.PutOptions{})
	if err != nil {
		return nil, err
	}
	m.etag = obj.ETag
	if _, err := record.Write(ctx, s.store, redirectKey(from), map[string]string{"to": to}, store.PutOptions{}); err != nil {
		return nil, err
	}
	if err := s.store.Delete(ctx, Key(from)); err != nil {
		return nil, err
	}
	if err := s.store.Delete(ctx, metaKey(from)); err != nil {
		return nil, err
	}
	s.unindex(ctx, from)
	s.ledgerDrop(ctx, from, m.Department, m.Owner)
	s.ledgerPut(ctx, m)
	return m, nil
}

// unindex removes a pack's search document (queued in the outbox on failure).
func (s *Service) unindex(ctx context.Context, slug string) {
	if err := s.index.Delete(ctx, docID(slug)); err != nil {
		s.log.Warn("index delete failed; queued in outbox", "pack", slug, "err", err)
		if oerr := s.outbox.Add(ctx, slug); oerr != nil {
			s.log.Error("outbox", "pack", slug, "err", oerr)
		}
	}
}
