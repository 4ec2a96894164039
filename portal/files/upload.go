package files

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/extract"
	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/store"
)

// UploadInput is one upload: a new file, or a new version of an existing one.
type UploadInput struct {
	FileID                         string // "" = new file; else a new version of that file
	Department, Title, Description string // used for a new file; a new version keeps the record's
	Tags                           []string
	Name                           string    // the client's file name (untrusted)
	Body                           io.Reader // untrusted; streamed; at most MaxUpload bytes
	By                             string    // user ID
	IfMatch                        string    // for a new version: the ETag of the record the editor saw ("" = don't care)
}

// Limits on the editable fields of a file record.
const (
	sniffLen       = 3 << 10
	maxNameRunes   = 120
	maxTitleRunes  = 200
	maxDescRunes   = 2000
	maxTags        = 20
	maxTagRunes    = 32
	maxDeptRunes   = 64
	cleanupTimeout = 30 * time.Second
)

// extTypes maps the extensions of the allowed types to the legacy Office
// type an OLE container with that extension is stored as. Shortcut also uses
// it to know which trailing extensions to ignore.
var extTypes = map[string]string{
	".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
	".pdf": "", ".docx": "", ".xlsx": "", ".pptx": "", ".txt": "", ".md": "", ".markdown": "", ".csv": "",
	".png": "", ".jpg": "", ".jpeg": "", ".gif": "", ".webp": "", ".zip": "",
}

// allowedTypes are the sniffed media types (without parameters) that may be uploaded.
var allowedTypes = map[string]bool{
	"application/pdf": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	"application/msword":            true,
	"application/vnd.ms-excel":      true,
	"application/vnd.ms-powerpoint": true,
	"text/plain":                    true,
	"text/markdown":                 true,
	"text/csv":                      true,
	"text/tab-separated-values":     true,
	"image/png":                     true,
	"image/jpeg":                    true,
	"image/gif":                     true,
	"image/webp":                    true,
	"application/zip":               true,
}

// allowedType decides whether a sniffed type may be stored, and the type to
// record. Legacy Office files are often only recognisable as an OLE container
// from their first bytes; one named .doc/.xls/.ppt is stored as that type.
func allowedType(sniffed, name string) (string, bool) {
	base, _, _ := strings.Cut(sniffed, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	if base == "application/x-ole-storage" {
		legacy := extTypes[strings.ToLower(path.Ext(name))]
		return legacy, legacy != ""
	}
	return sniffed, allowedTypes[base]
}

// Upload streams in.Body into the store as a new file or a new version, then
// indexes the file. The type is sniffed from the first bytes (ErrType), the
// size limited while streaming (ErrTooLarge, nothing is left behind), an
// empty body is ErrEmpty. For a new version, in.IfMatch guards against an
// edit made since the editor loaded the record (store.ErrPrecondition); the
// title, description and tags of the input are then ignored.
//
// If indexing fails the file is still saved (and queued in the outbox); the
// error is only returned when the outbox write failed too.
func (s *Service) Upload(ctx context.Context, in UploadInput) (*File, error) {
	if in.Body == nil {
		return nil, errors.New("files: upload without a body")
	}
	name := cleanName(in.Name)
	var f *File
	if in.FileID == "" {
		dept := strings.TrimSpace(in.Department)
		if dept == "" || utf8.RuneCountInString(dept) > maxDeptRunes {
			return nil, fmt.Errorf("files: department %q: give a name of 1 to %d characters", in.Department, maxDeptRunes)
		}
		title, desc, tags, err := cleanFields(in.Title, in.Description, in.Tags)
		if err != nil {
			return nil, err
		}
		if title == "" {
			title = stem(name)
		}
		now := time.Now().UTC()
		f = &File{ID: ids.New(), Department: dept, Title: title, Description: desc, Tags: tags,
			Created: now, Updated: now, Owner: in.By}
	} else {
		var err error
		if f, err = s.Get(ctx, in.FileID); err != nil {
			return nil, err
		}
		if in.IfMatch != "" && in.IfMatch != f.ETag {
			return nil, fmt.Errorf("new version of file %q: edited by someone else meanwhile: %w", f.ID, store.ErrPrecondition)
		}
		if len(f.Versions) >= maxVersions {
			return nil, fmt.Errorf("files: file %q already has %d versions, the most allowed", f.ID, maxVersions)
		}
	}
	v, err := s.storeBytes(ctx, f.ID, len(f.Versions)+1, name, in.Body, in.By)
	if err != nil {
		return nil, err
	}
	// Read the text before the record is written (bytes, text, record,
	// index: a crash leaves no record pointing at missing parts), so that
	// an unreadable document is marked in the record for its editors.
	if _, unreadable := s.textOf(ctx, f.ID, v); unreadable {
		v.TextUnreadable = true
	}
	if in.FileID == "" {
		f.Versions = []Version{v}
		if err := s.putMeta(ctx, f, store.PutOptions{IfNoneMatch: true}); err != nil {
			s.discard(ctx, v.Key)
			return nil, err
		}
	} else if f, err = s.addVersion(ctx, f, v, in.IfMatch != ""); err != nil {
		return nil, err
	}
	if err := s.indexFile(ctx, f); err != nil {
		return f, err
	}
	return f, nil
}

// storeBytes sniffs and streams body to the key of version n, hashing and
// counting on the way.
func (s *Service) storeBytes(ctx context.Context, id string, n int, name string, body io.Reader, by string) (Version, error) {
	br := bufio.NewReaderSize(body, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return Version{}, fmt.Errorf("files: read upload: %w", err)
	}
	if len(head) == 0 {
		return Version{}, fmt.Errorf("%w: 文件是空的 / the file is empty", ErrEmpty)
	}
	sniffed := extract.Sniff(head, name)
	mediaType, ok := allowedType(sniffed, name)
	if !ok {
		return Version{}, fmt.Errorf("%w: %s（不支持此类文件 / this type cannot be uploaded）", ErrType, sniffed)
	}
	key := versionKey(id, n, name)
	lr := &limitReader{r: br, h: sha256.New(), max: MaxUpload}
	obj, err := s.store.Put(ctx, key, lr, store.PutOptions{ContentType: mediaType, Size: -1, IfNoneMatch: true})
	if lr.over {
		// The reader failed the write; remove anything a backend kept anyway
		// (but never an object a concurrent upload owns).
		if !errors.Is(err, store.ErrPrecondition) {
			s.discard(ctx, key)
		}
		return Version{}, fmt.Errorf("%w: 文件超过 %d MB / file is larger than %d MB", ErrTooLarge, MaxUpload>>20, MaxUpload>>20)
	}
	if errors.Is(err, store.ErrPrecondition) {
		return Version{}, fmt.Errorf("files: file %q: another version named %q is being uploaded at the same time: %w", id, name, err)
	}
	if err != nil {
		return Version{}, fmt.Errorf("files: store upload %q: %w", key, err)
	}
	if obj.Size != lr.n {
		s.discard(ctx, key)
		return Version{}, fmt.Errorf("files: store upload %q: stored %d bytes, read %d", key, obj.Size, lr.n)
	}
	return Version{N: n, Name: name, Size: lr.n, MediaType: mediaType, SHA256: hex.EncodeToString(lr.h.Sum(nil)),
		Key: key, At: time.Now().UTC(), By: by}, nil
}

// addVersion appends v to f's record with If-Match. When another version
// landed since f was read and the caller did not pin the record (pinned), it
// re-reads the record once, moves the bytes to the next free number and
// retries. On failure the bytes are removed.
func (s *Service) addVersion(ctx context.Context, f *File, v Version, pinned bool) (*File, error) {
	for attempt := 0; ; attempt++ {
		next := *f
		next.Versions = append(slices.Clone(f.Versions), v)
		next.Updated = v.At
		err := s.putMeta(ctx, &next, store.PutOptions{IfMatch: f.ETag})
		if err == nil {
			return &next, nil
		}
		if !errors.Is(err, store.ErrPrecondition) || pinned || attempt > 0 {
			s.discard(ctx, v.Key)
			return nil, err
		}
		cur, gerr := s.Get(ctx, f.ID)
		if gerr != nil {
			s.discard(ctx, v.Key)
			return nil, errors.Join(err, gerr)
		}
		moved, merr := s.moveVersion(ctx, f.ID, v, len(cur.Versions)+1)
		if merr != nil {
			s.discard(ctx, v.Key)
			return nil, merr
		}
		f, v = cur, moved
	}
}

// moveVersion copies v's bytes to the key of version n and removes the old key.
func (s *Service) moveVersion(ctx context.Context, id string, v Version, n int) (Version, error) {
	rc, obj, err := s.store.Get(ctx, v.Key)
	if err != nil {
		return Version{}, fmt.Errorf("files: renumber %q: %w", v.Key, err)
	}
	defer rc.Close()
	key := versionKey(id, n, v.Name)
	if _, err := s.store.Put(ctx, key, rc, store.PutOptions{ContentType: obj.ContentType, Size: obj.Size, IfNoneMatch: true}); err != nil {
		return Version{}, fmt.Errorf("files: renumber %q as v%d: %w", v.Key, n, err)
	}
	s.discard(ctx, v.Key)
	v.N, v.Key = n, key
	return v, nil
}

// maxKeyName bounds, in bytes, the form of a file name that goes into the
// store key of its bytes; the full name (up to 120 characters) lives in the
// record.
const maxKeyName = 100

// versionKey is the store key of version n's bytes: the file's folder, the
// version and the name shortened to maxKeyName bytes (extension kept), so a
// person reading the bucket still sees what the file is.
func versionKey(id string, n int, name string) string {
	if len(name) > maxKeyName {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := strings.TrimSuffix(name, ext)
		for len(stem)+len(ext) > maxKeyName {
			_, size := utf8.DecodeLastRuneInString(stem)
			stem = stem[:len(stem)-size]
		}
		name = strings.TrimRight(stem, ". ") + ext
		if name == ext {
			name = "file" + ext
		}
	}
	return fmt.Sprintf("%sv%d/%s", fileDir(id), n, name)
}

// discard deletes key after a failed upload, even if ctx is cancelled.
func (s *Service) discard(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := s.store.Delete(ctx, key); err != nil {
		s.log.Warn("could not remove bytes of a failed upload", "key", key, "err", err)
	}
}

var errTooLarge = errors.New("upload exceeds the size limit")

// limitReader counts and hashes what passes through and fails once more
// than max bytes came: it reads at most max+1 bytes from r.
type limitReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	max  int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, errTooLarge
	}
	if room := l.max + 1 - l.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		l.over = true
		return 0, errTooLarge
	}
	l.h.Write(p[:n])
	return n, err
}

// cleanName makes the client's file name safe to show and to use as the last
// segment of a store key: base name only, no control or format characters,
// none of / \ : * ? " < > |, no leading or trailing dots and spaces, at most
// 120 runes with the extension kept; "file" when nothing is left.
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return -1
		}
		return r
	}, name)
	trim := func(s string) string {
		return strings.TrimFunc(s, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	}
	name = trim(name)
	if utf8.RuneCountInString(name) > maxNameRunes {
		ext := path.Ext(name)
		keep := maxNameRunes - utf8.RuneCountInString(ext)
		if utf8.RuneCountInString(ext) > 16 {
			ext, keep = "", maxNameRunes
		}
		name = trim(string([]rune(name)[:keep])) + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// stem is a file name without its extension (the name itself when that would be empty).
func stem(name string) string {
	if s := strings.TrimSuffix(name, path.Ext(name)); s != "" {
		return s
	}
	return name
}

// cleanFields trims and checks the editable fields of a record.
func cleanFields(title, desc string, tags []string) (string, string, []string, error) {
	title = strings.Join(strings.Fields(stripControl(title, false)), " ")
	desc = strings.TrimSpace(stripControl(desc, true))
	switch {
	case utf8.RuneCountInString(title) > maxTitleRunes:
		return "", "", nil, fmt.Errorf("files: title is longer than %d characters", maxTitleRunes)
	case utf8.RuneCountInString(desc) > maxDescRunes:
		return "", "", nil, fmt.Errorf("files: description is longer than %d characters", maxDescRunes)
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.Join(strings.Fields(stripControl(t, false)), " ")
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagRunes {
			return "", "", nil, fmt.Errorf("files: tag %q is longer than %d characters", t, maxTagRunes)
		}
		out = append(out, t)
	}
	if len(out) > maxTags {
		return "", "", nil, fmt.Errorf("files: %d tags, at most %d allowed", len(out), maxTags)
	}
	return title, desc, out, nil
}

// stripControl removes control and format characters (keeping newlines and
// tabs when multiline) and invalid UTF-8.
func stripControl(s string, multiline bool) string {
	return strings.Map(func(r rune) rune {
		if multiline && (r == '\n' || r == '\t') {
			return r
		}
		if r == '\r' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
