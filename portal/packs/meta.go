package packs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Store layout of what the editor keeps beside packs/<slug>.md (all JSON or
// Markdown, readable by a person):
//
//	packmeta/<slug>.json                 Meta: id, owner, 最后核对, version count, the newest log entries
//	packhist/<id>/v/<0000001>.md         every published version, create-once, never changed
//	packhist/<id>/log/<00000>.json       full chunks of 100 log entries, create-once
//	packslugs/<old slug>.json            where a renamed pack went
//	packimg/<id>/<sha256>.jpg            the pack's images, re-encoded
//	packarchive/<slug>.md, packtrash/<slug>.md   archived and deleted packs
//	packledger/dept/<hash>.json, packledger/owner/<hash>.json   per-department and per-owner lists for 待核对
//	drafts/<user hash>/<id>.json         each editor's drafts
//
// History is keyed by the pack's id, not its slug, so a rename keeps it.
const (
	metaPrefix     = "packmeta/"
	histPrefix     = "packhist/"
	redirectPrefix = "packslugs/"
	imagePrefix    = "packimg/"
	archivePrefix  = "packarchive/"
	trashPrefix    = "packtrash/"
	ledgerPrefix   = "packledger/"
	draftPrefix    = "drafts/"

	// maxMeta bounds a meta record (about 100 log entries of ≤ 300 bytes).
	maxMeta = 256 << 10
	// MaxNote bounds a change note in runes.
	MaxNote  = 200
	attempts = 8
)

// States of a pack.
const (
	StateLive     = ""
	StateArchived = "archived"
	StateDeleted  = "deleted"
)

// ChunkSize is how many log entries one history chunk holds (a variable so
// tests can make chunks small).
var ChunkSize = 100

// Meta is what Jinnang knows about a pack beyond its Markdown: its stable
// id, who owns it and when it was last checked, and its version log.
type Meta struct {
	ID         string `json:"id"`
	Slug       string `json:"slug"`
	Title      string `json:"title"`
	Department string `json:"department"`
	// Owner is the user id responsible for the pack; "" means the
	// department's editors (an imported pack, or an owner who left).
	Owner     string `json:"owner,omitempty"`
	OwnerName string `json:"owner_name,omitempty"`
	// Reviewed is the 最后核对 date: the last publish or explicit check.
	Reviewed  time.Time `json:"reviewed"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
	// Versions counts published versions; Log holds the newest entries,
	// those after Flushed full chunks (Flushed×ChunkSize+1 … Versions).
	Versions int     `json:"versions"`
	Flushed  int     `json:"flushed"`
	Log      []Entry `json:"log"`
	// State is "", archived or deleted, since StateAt, by StateBy.
	State    string    `json:"state,omitempty"`
	StateAt  time.Time `json:"state_at,omitzero"`
	StateBy  string    `json:"state_by,omitempty"`
	OldSlugs []string  `json:"old_slugs,omitempty"`

	etag string
}

// Entry is one published version in the history.
type Entry struct {
	N      int       `json:"n"`
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	ByName string    `json:"by_name,omitempty"`
	Note   string    `json:"note,omitempty"`
	Title  string    `json:"title"`
	Size   int       `json:"size"`
	// From is the version a restore copied (0 for an edit).
	From int `json:"from,omitempty"`
}

// Stale reports whether the pack was last checked before cutoff.
func (m *Meta) Stale(cutoff time.Time) bool { return m.Reviewed.Before(cutoff) }

func metaKey(slug string) string         { return metaPrefix + slug + ".json" }
func redirectKey(slug string) string     { return redirectPrefix + slug + ".json" }
func archiveKey(slug string) string      { return archivePrefix + slug + ".md" }
func trashKey(slug string) string        { return trashPrefix + slug + ".md" }
func versionKey(id string, n int) string { return fmt.Sprintf("%s%s/v/%07d.md", histPrefix, id, n) }
func chunkKey(id string, k int) string   { return fmt.Sprintf("%s%s/log/%05d.json", histPrefix, id, k) }
func imageKey(id, name string) string    { return imagePrefix + id + "/" + name }
func hashName(s string) string           { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:16]) }
func deptLedgerKey(dept string) string   { return ledgerPrefix + "dept/" + hashName(dept) + ".json" }
func ownerLedgerKey(owner string) string { return ledgerPrefix + "owner/" + hashName(owner) + ".json" }
func draftDir(user string) string        { return draftPrefix + hashName(user) + "/" }
func draftKey(user, id string) string    { return draftDir(user) + id + ".json" }

// Info returns the meta record of a live pack. A pack written before the
// editor kept records (imported, seeded) gets one made up from its front
// matter, with Versions 0, without writing anything.
func (s *Service) Info(ctx context.Context, slug string) (*Meta, error) {
	if !ValidSlug(slug) {
		return nil, fmt.Errorf("pack %q: %w", slug, store.ErrNotFound)
	}
	var m Meta
	etag, err := record.Read(ctx, s.store, metaKey(slug), &m, maxMeta)
	if err == nil {
		m.etag = etag
		return &m, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p, err := s.Get(ctx, slug)
	if err != nil {
		return nil, err
	}
	return &Meta{Slug: slug, Title: p.Meta.Title, Department: p.Meta.Department, Reviewed: p.Meta.Date}, nil
}

// ensureMeta returns the pack's meta record, first creating it (with the
// current source as version 1) for a pack that has none.
func (s *Service) ensureMeta(ctx context.Context, slug string) (*Meta, error) {
	for range attempts {
		m, err := s.Info(ctx, slug)
		if err != nil || m.ID != "" {
			return m, err
		}
		src, _, err := s.Source(ctx, slug)
		if err != nil {
			return nil, err
		}
		fm, _, err := markdown.Split(path.Base(Key(slug)), src)
		if err != nil {
			return nil, fmt.Errorf("pack %q: %w", slug, err)
		}
		m, err = s.createMeta(ctx, slug, fm, src)
		if errors.Is(err, store.ErrPrecondition) {
			continue // made by someone else meanwhile: read theirs
		}
		if err != nil {
			return nil, err
		}
		s.ledgerPut(ctx, m)
		return m, nil
	}
	return nil, fmt.Errorf("pack %q meta: %w", slug, store.ErrPrecondition)
}

// createMeta writes the first meta record of slug, with src as version 1
// (noted as imported), create-once: ErrPrecondition when the pack has one.
// It does not touch the ledgers; the caller does (one pack at a time, or
// once per department after an import).
func (s *Service) createMeta(ctx context.Context, slug string, fm markdown.FrontMatter, src []byte) (*Meta, error) {
	now := s.now()
	m := &Meta{ID: ids.New(), Slug: slug, Title: fm.Title, Department: fm.Department, Reviewed: fm.Date, Created: now, Versions: 1,
		Log: []Entry{{N: 1, At: now, ByName: fm.Author, Note: "导入 imported", Title: fm.Title, Size: len(src)}}}
	if m.Reviewed.IsZero() {
		m.Reviewed = now
	}
	if err := s.putVersion(ctx, m.ID, 1, src); err != nil {
		return nil, err
	}
	obj, err := record.Write(ctx, s.store, metaKey(slug), m, store.PutOptions{IfNoneMatch: true})
	if err != nil {
		return nil, err
	}
	m.etag = obj.ETag
	return m, nil
}

// modifyMeta changes the meta record of slug with If-Match, retried.
func (s *Service) modifyMeta(ctx context.Context, slug string, change func(*Meta) error) (*Meta, error) {
	m, etag, err := record.Modify(ctx, s.store, metaKey(slug), maxMeta, attempts, change)
	if err != nil {
		return nil, err
	}
	m.etag = etag
	return m, nil
}

// putVersion stores version n of a pack, create-once. An existing equal
// object (a retried write) is fine.
func (s *Service) putVersion(ctx context.Context, id string, n int, src []byte) error {
	_, err := s.store.Put(ctx, versionKey(id, n), bytesReader(src), store.PutOptions{IfNoneMatch: true,
		ContentType: "text/markdown; charset=utf-8", Size: int64(len(src))})
	if errors.Is(err, store.ErrPrecondition) {
		old, _, gerr := s.readAll(ctx, versionKey(id, n))
		if gerr == nil && string(old) == string(src) {
			return nil
		}
		return fmt.Errorf("version %d of %s exists already: %w", n, id, err)
	}
	if err != nil {
		return fmt.Errorf("store version %d of %s: %w", n, id, err)
	}
	return nil
}

// appendLog adds e to m's log, first writing the open chunk out when full.
func (s *Service) appendLog(ctx context.Context, m *Meta, e Entry) error {
	if len(m.Log) >= ChunkSize {
		_, err := record.Write(ctx, s.store, chunkKey(m.ID, m.Flushed), m.Log[:ChunkSize], store.PutOptions{})
		if err != nil {
			return err
		}
		m.Log = append([]Entry(nil), m.Log[ChunkSize:]...)
		m.Flushed++
	}
	m.Log = append(m.Log, e)
	m.Versions = e.N
	return nil
}

func (s *Service) readAll(ctx context.Context, key string) ([]byte, store.Object, error) {
	rc, obj, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, obj, err
	}
	defer rc.Close()
	b, err := readLimited(rc, MaxPackBytes)
	return b, obj, err
}

// Prepare returns a live pack's meta record, first creating it (with the
// current source as version 1) when the pack has none.
func (s *Service) Prepare(ctx context.Context, slug string) (*Meta, error) {
	return s.ensureMeta(ctx, slug)
}

// ETag is the version of the meta record as read ("" for a made-up one).
func (m *Meta) ETag() string { return m.etag }
