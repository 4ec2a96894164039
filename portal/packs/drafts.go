package packs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MaxDrafts bounds how many drafts one editor keeps.
const MaxDrafts = 50

// ErrTooManyDrafts means the editor has MaxDrafts drafts already.
var ErrTooManyDrafts = errors.New("packs: too many drafts")

// Draft is an editor's unpublished work: a new pack (Slug "") or an edit of
// an existing one, autosaved as they type. Its id is the pack id for an edit
// (one draft per editor and pack) and a fresh id, which also becomes the new
// pack's id, for a new pack.
type Draft struct {
	ID      string `json:"id"`
	Owner   string `json:"owner"`
	PackID  string `json:"pack_id"`
	Slug    string `json:"slug,omitempty"` // the pack being edited; "" for a new pack
	NewSlug string `json:"new_slug,omitempty"`
	// BaseETag and BaseVersion are the published version the edit started
	// from: the If-Match of the publish and the base of a three-way merge.
	BaseETag    string               `json:"base_etag,omitempty"`
	BaseVersion int                  `json:"base_version,omitempty"`
	Fields      markdown.FrontMatter `json:"fields"`
	Body        string               `json:"body"`
	Note        string               `json:"note,omitempty"`
	Created     time.Time            `json:"created"`
	Updated     time.Time            `json:"updated"`
}

// NewDraftID returns the id of a new pack's draft (and of the pack).
func NewDraftID() string { return ids.New() }

// SaveDraft stores d for its owner (the owner's own drafts: last write wins).
func (s *Service) SaveDraft(ctx context.Context, d *Draft) error {
	if !ids.Valid(d.ID) || d.Owner == "" {
		return fmt.Errorf("save draft %q: %w", d.ID, store.ErrInvalidKey)
	}
	now := s.now()
	if d.Created.IsZero() {
		d.Created = now
		if _, err := s.store.Stat(ctx, draftKey(d.Owner, d.ID)); errors.Is(err, store.ErrNotFound) {
			n := 0
			for _, err := range s.store.List(ctx, draftDir(d.Owner)) {
				if err != nil {
					return err
				}
				if n++; n >= MaxDrafts {
					return ErrTooManyDrafts
				}
			}
		}
	}
	d.Updated = now
	if d.PackID == "" {
		d.PackID = d.ID
	}
	_, err := record.Write(ctx, s.store, draftKey(d.Owner, d.ID), d, store.PutOptions{})
	return err
}

// Draft returns one of user's drafts; store.ErrNotFound when there is none.
func (s *Service) Draft(ctx context.Context, user, id string) (*Draft, error) {
	if !ids.Valid(id) {
		return nil, fmt.Errorf("draft %q: %w", id, store.ErrNotFound)
	}
	var d Draft
	if _, err := record.Read(ctx, s.store, draftKey(user, id), &d, MaxPackBytes+64<<10); err != nil {
		return nil, err
	}
	if d.Owner != user {
		return nil, fmt.Errorf("draft %q: %w", id, store.ErrNotFound)
	}
	return &d, nil
}

// Drafts lists user's drafts, newest first (at most MaxDrafts).
func (s *Service) Drafts(ctx context.Context, user string) ([]Draft, error) {
	var out []Draft
	for obj, err := range s.store.List(ctx, draftDir(user)) {
		if err != nil {
			return nil, err
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, draftDir(user)), ".json")
		if !ok {
			continue
		}
		d, err := s.Draft(ctx, user, id)
		if err != nil {
			continue // deleted meanwhile, or unreadable: not a reason to hide the others
		}
		d.Body = "" // the list needs titles only
		out = append(out, *d)
		if len(out) >= MaxDrafts {
			break
		}
	}
	slices.SortFunc(out, func(a, b Draft) int { return b.Updated.Compare(a.Updated) })
	return out, nil
}

// DeleteDraft removes one of user's drafts.
func (s *Service) DeleteDraft(ctx context.Context, user, id string) error {
	if !ids.Valid(id) {
		return nil
	}
	return s.store.Delete(ctx, draftKey(user, id))
}

// imageNameRE is the name of a stored pack image: a content hash.
var imageNameRE = regexp.MustCompile(`^[0-9a-f]{32}\.jpg$`)

// ValidImageName reports whether name can name a pack image.
func ValidImageName(name string) bool { return imageNameRE.MatchString(name) }

// PutImage re-encodes an uploaded picture (images.Process: size, type,
// dimension and polyglot checks, metadata dropped) and stores it next to the
// pack, named by its content hash. It returns the name to reference as
// images/<name>.
func (s *Service) PutImage(ctx context.Context, packID string, r io.Reader) (string, error) {
	if !ids.Valid(packID) {
		return "", fmt.Errorf("pack image: pack id %q: %w", packID, store.ErrInvalidKey)
	}
	res, err := images.Process(r, images.DefaultLimits())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(res.Full)
	name := hex.EncodeToString(sum[:16]) + ".jpg"
	if _, err := s.store.Put(ctx, imageKey(packID, name), bytes.NewReader(res.Full), store.PutOptions{
		ContentType: "image/jpeg", Size: int64(len(res.Full))}); err != nil {
		return "", fmt.Errorf("store pack image: %w", err)
	}
	return name, nil
}

// Image opens a pack image for streaming.
func (s *Service) Image(ctx context.Context, packID, name string) (io.ReadCloser, store.Object, error) {
	if !ids.Valid(packID) || !ValidImageName(name) {
		return nil, store.Object{}, fmt.Errorf("pack image %q: %w", name, store.ErrNotFound)
	}
	return s.store.Get(ctx, imageKey(packID, name))
}

// Preview renders fields and body exactly as the pack page will, with the
// pack's images found under imageBase.
func (s *Service) Preview(fm markdown.FrontMatter, body, imageBase string) (markdown.Document, error) {
	if strings.TrimSpace(fm.Title) == "" {
		fm.Title = "—" // the preview shows the body before a title is typed
	}
	src, err := markdown.Compose(fm, body)
	if err != nil {
		return markdown.Document{}, err
	}
	return s.md.ParseWith("preview.md", src, markdown.Options{ImageBase: imageBase})
}
