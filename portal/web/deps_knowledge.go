package web

import (
	"context"
	"io"
	"time"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// PackEditor is what the editor, history, freshness and trash pages need
// from the wisdom-pack domain (implemented by *packs.Service, the same
// service as Options.Packs). Missing records are store.ErrNotFound.
type PackEditor interface {
	// Source returns a pack's Markdown and its ETag.
	Source(ctx context.Context, slug string) ([]byte, string, error)
	// Info is a live pack's meta record (made up for a pack never edited here).
	Info(ctx context.Context, slug string) (*packs.Meta, error)
	// Prepare returns a live pack's meta record, creating it first if needed.
	Prepare(ctx context.Context, slug string) (*packs.Meta, error)
	// Lookup is a pack's meta record in any state.
	Lookup(ctx context.Context, slug string) (*packs.Meta, error)
	// Resolve follows renames to the slug a pack has now.
	Resolve(ctx context.Context, slug string) (string, error)
	// SlugTaken and FreeSlug check and find free addresses.
	SlugTaken(ctx context.Context, slug string) (bool, error)
	FreeSlug(ctx context.Context, base string) (string, error)
	// Publish writes a new version (store.ErrPrecondition: changed meanwhile, or slug taken).
	Publish(ctx context.Context, p packs.Publication) (*packs.Pack, *packs.Meta, error)
	// Rename moves a pack to a new slug, leaving a redirect.
	Rename(ctx context.Context, from, to, ifMatch string) (*packs.Meta, error)
	// History is one page of versions, newest first.
	History(ctx context.Context, slug string, page int) (*packs.VersionPage, error)
	// Version is the source of version n.
	Version(ctx context.Context, slug string, n int) ([]byte, *packs.Meta, error)
	// Restore publishes a copy of version n.
	Restore(ctx context.Context, slug string, n int, by, byName string) (*packs.Pack, *packs.Meta, error)
	// Archive, Unarchive, Delete and Undelete change a pack's state (packs.ErrState when they cannot).
	Archive(ctx context.Context, slug, by string) (*packs.Meta, error)
	Unarchive(ctx context.Context, slug, by string) (*packs.Meta, error)
	Delete(ctx context.Context, slug, by string) (*packs.Meta, error)
	Undelete(ctx context.Context, slug, by string) (*packs.Meta, error)
	// ArchivedSource is the source of an archived or deleted pack.
	ArchivedSource(ctx context.Context, slug string) ([]byte, error)
	// Trash lists deleted packs still restorable, for depts (nil: all).
	Trash(ctx context.Context, depts []string) ([]packs.Meta, error)
	// MarkReviewed sets 最后核对 to now; SetOwner changes the owner.
	MarkReviewed(ctx context.Context, slug string) (*packs.Meta, error)
	SetOwner(ctx context.Context, slug, owner, ownerName string) (*packs.Meta, error)
	// OwnerLeft hands a leaver's packs to their departments' editors.
	OwnerLeft(ctx context.Context, userID string) ([]string, error)
	// ToReview is the 待核对 list of an owner and departments.
	ToReview(ctx context.Context, owner string, depts []string, cutoff time.Time) ([]packs.LedgerItem, error)
	// Drafts: one editor's unpublished work.
	SaveDraft(ctx context.Context, d *packs.Draft) error
	Draft(ctx context.Context, user, id string) (*packs.Draft, error)
	Drafts(ctx context.Context, user string) ([]packs.Draft, error)
	DeleteDraft(ctx context.Context, user, id string) error
	// PutImage re-encodes and stores a picture next to a pack; Image opens one.
	PutImage(ctx context.Context, packID string, r io.Reader) (string, error)
	Image(ctx context.Context, packID, name string) (io.ReadCloser, store.Object, error)
	// Preview renders fields and body as the pack page will.
	Preview(fm markdown.FrontMatter, body, imageBase string) (markdown.Document, error)
}

var _ PackEditor = (*packs.Service)(nil)
