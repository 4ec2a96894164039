package web

import (
	"context"
	"io"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// Packs is what the web layer needs from the wisdom-pack domain.
type Packs interface {
	Get(ctx context.Context, slug string) (*packs.Pack, error)        // errors.Is(err, store.ErrNotFound) when missing
	Search(ctx context.Context, q index.Query) (index.Result, error)  // Kind is set to "pack" by the service
	DailyPick(ctx context.Context, day time.Time) (*index.Hit, error) // nil, store.ErrNotFound when no packs
	// Create writes a new pack; store.ErrPrecondition when the slug is taken.
	Create(ctx context.Context, slug string, src []byte) (*packs.Pack, error)
	// Save overwrites exactly version ifMatch; store.ErrPrecondition when it changed.
	Save(ctx context.Context, slug string, src []byte, ifMatch string) (*packs.Pack, error)
	// Source returns a pack's Markdown and its ETag (for the editor).
	Source(ctx context.Context, slug string) ([]byte, string, error)
	// Reindex rebuilds the pack index from the store; it returns how many packs it indexed.
	Reindex(ctx context.Context, progress packs.Progress) (int, error)
}

// Checker reports readiness of one dependency for /readyz.
type Checker interface {
	Ping(ctx context.Context) error
}

// Files is what the web layer needs from the department-files domain
// (implemented by *files.Service). Missing records are store.ErrNotFound.
type Files interface {
	// Upload streams a new file, or a new version of in.FileID, into the store.
	Upload(ctx context.Context, in files.UploadInput) (*files.File, error)
	// Get returns a file record with its ETag.
	Get(ctx context.Context, id string) (*files.File, error)
	// Update saves title, description and tags (If-Match f.ETag).
	Update(ctx context.Context, f *files.File) error
	// Delete removes every version, the record and the index entry.
	Delete(ctx context.Context, id string) error
	// Open returns version n (0 = current) for streaming with Range support.
	Open(ctx context.Context, id string, n int) (store.ReadSeekCloser, files.Version, store.Object, error)
	// PresignURL returns a direct download URL, or "" when the store cannot make one.
	PresignURL(ctx context.Context, id string, n int, expiry time.Duration) (string, error)
	// CountDownload counts one download (best effort).
	CountDownload(ctx context.Context, id string)
	// Downloads is the total download count of a file.
	Downloads(ctx context.Context, id string) (int64, error)
	// Search queries the files in the index (Kind "file").
	Search(ctx context.Context, q index.Query) (index.Result, error)
	// Shortcut finds the file whose title or tag equals text.
	Shortcut(ctx context.Context, text string) (*files.File, bool, error)
	// ByDepartment lists a department's files, newest first.
	ByDepartment(ctx context.Context, dept string, offset, limit int) (index.Result, error)
	// Departments lists the department records, sorted by name.
	Departments(ctx context.Context) ([]files.Department, error)
	// Department returns one department record.
	Department(ctx context.Context, name string) (*files.Department, error)
	// SetDepartmentQR stores a department's WeChat group QR image (PNG/JPEG).
	SetDepartmentQR(ctx context.Context, name string, img io.Reader) error
	// DepartmentQR opens a department's WeChat group QR image.
	DepartmentQR(ctx context.Context, name string) (io.ReadCloser, store.Object, error)
	// CreateDepartment creates a department record (create-once: store.ErrPrecondition when taken).
	CreateDepartment(ctx context.Context, d files.Department) (*files.Department, error)
	// DepartmentForEdit returns a department record with the ETag an update must match.
	DepartmentForEdit(ctx context.Context, name string) (*files.Department, string, error)
	// UpdateDepartmentIntro replaces a department's intro (If-Match ifMatch).
	UpdateDepartmentIntro(ctx context.Context, name, intro, ifMatch string) error
}

// Announcements is what the web layer needs from the announcement domain
// (implemented by *announce.Service). Missing records are store.ErrNotFound.
type Announcements interface {
	// Create stores a new announcement (create-once key).
	Create(ctx context.Context, in announce.Input) (*announce.Announcement, error)
	// Get returns one announcement with its ETag and rendered HTML.
	Get(ctx context.Context, id string) (*announce.Announcement, error)
	// Update replaces an announcement's content (If-Match ifMatch).
	Update(ctx context.Context, id string, in announce.Input, ifMatch string) (*announce.Announcement, error)
	// Delete removes an announcement.
	Delete(ctx context.Context, id string) error
	// List returns a page of the selected announcements, pinned first, then newest first.
	List(ctx context.Context, q announce.Query) (announce.Result, error)
}
