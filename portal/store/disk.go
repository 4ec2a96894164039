package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// On-disk layout of a Disk store rooted at dir:
//
//	dir/objects/<seg1>/<seg2>/.../<last>.obj   one file per object
//	dir/tmp/                                     in-flight writes (same filesystem)
//
// Every object file starts with a fixed-size text header holding its metadata,
// followed by the body, so data and metadata change together in one atomic
// rename. `tail -c +513 file.obj` prints the body.
//
// Key segments map to names so that an object "a" and an object "a/b" can
// coexist: object files always end in ".obj"; a directory segment that ends in
// ".obj" or ".dir" gets ".dir" appended, so no directory name ever ends in
// ".obj" and the mapping is reversible.
const (
	objSuffix   = ".obj"
	dirEscape   = ".dir"
	headerSize  = 512
	headerMagic = "jinnang-object/1\n"
	// maxContentTypeLen keeps the header within headerSize.
	maxContentTypeLen = 255
	// tmpMaxAge is how old an orphaned temp file must be before NewDisk removes it.
	tmpMaxAge   = 24 * time.Hour
	lockStripes = 256
)

// Disk is a Store on the local filesystem. It is the embedded default backend.
//
// Writes stream to a temporary file, then are renamed into place atomically.
// Conditional writes are serialised per key inside the process; create-once
// (IfNoneMatch) is also safe across processes sharing the directory, because
// it publishes the object with link(2), which fails if the name exists.
// IfMatch updates are only race-free within one process: run several portal
// processes against S3, not against one Disk directory.
type Disk struct {
	objects string
	tmp     string
	locks   [lockStripes]sync.Mutex
}

var _ Store = (*Disk)(nil)

// diskHeader is the JSON metadata at the start of every object file.
type diskHeader struct {
	ETag        string `json:"etag"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// NewDisk opens (creating if needed) a Disk store rooted at dir and removes
// temp files left behind by crashed writers more than a day ago.
func NewDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("store: disk: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: disk: resolve %q: %w", dir, err)
	}
	d := &Disk{
		objects: filepath.Join(abs, "objects"),
		tmp:     filepath.Join(abs, "tmp"),
	}
	for _, p := range []string{d.objects, d.tmp} {
		if err := os.MkdirAll(p, 0o750); err != nil {
			return nil, fmt.Errorf("store: disk: create %s: %w", p, err)
		}
	}
	if err := d.removeStaleTemps(time.Now().Add(-tmpMaxAge)); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Disk) removeStaleTemps(before time.Time) error {
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return fmt.Errorf("store: disk: read %s: %w", d.tmp, err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: disk: stat temp file: %w", err)
		}
		if info.ModTime().Before(before) {
			if err := os.Remove(filepath.Join(d.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("store: disk: remove stale temp file: %w", err)
			}
		}
	}
	return nil
}

// encodeDir maps a key segment to a directory name.
func encodeDir(seg string) string {
	if strings.HasSuffix(seg, objSuffix) || strings.HasSuffix(seg, dirEscape) {
		return seg + dirEscape
	}
	return seg
}

// decodeDir reverses encodeDir.
func decodeDir(name string) string {
	return strings.TrimSuffix(name, dirEscape)
}

// path returns the file path of the object under a validated key.
func (d *Disk) path(key string) string {
	segs := strings.Split(key, "/")
	parts := make([]string, 0, len(segs)+1)
	parts = append(parts, d.objects)
	for _, s := range segs[:len(segs)-1] {
		parts = append(parts, encodeDir(s))
	}
	parts = append(parts, segs[len(segs)-1]+objSuffix)
	return filepath.Join(parts...)
}

// dirPath returns the directory holding keys that start with dirKey + "/";
// dirKey "" is the root.
func (d *Disk) dirPath(dirKey string) string {
	if dirKey == "" {
		return d.objects
	}
	segs := strings.Split(dirKey, "/")
	parts := make([]string, 0, len(segs)+1)
	parts = append(parts, d.objects)
	for _, s := range segs {
		parts = append(parts, encodeDir(s))
	}
	return filepath.Join(parts...)
}

func (d *Disk) lock(key string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key)) // hash.Hash.Write never fails
	return &d.locks[h.Sum32()%lockStripes]
}

// Get opens the object for streaming. The reader stops with ctx's error once
// ctx is done.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, err
	}
	f, obj, err := d.open(key)
	if err != nil {
		return nil, Object{}, err
	}
	return &ctxReadCloser{ctx: ctx, r: f, c: f}, obj, nil
}

// GetRange streams part of the object: it reads the object file from
// header+offset, never the bytes before. The reader stops with ctx's error
// once ctx is done.
func (d *Disk) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, err
	}
	f, obj, err := d.open(key)
	if err != nil {
		return nil, Object{}, err
	}
	n, err := clipRange(key, offset, length, obj.Size)
	if err != nil {
		return nil, Object{}, errors.Join(err, f.Close())
	}
	sr := io.NewSectionReader(f, headerSize+offset, n)
	return &ctxReadCloser{ctx: ctx, r: sr, c: f}, obj, nil
}

// open opens the object file positioned at the body and returns its metadata.
func (d *Disk) open(key string) (*os.File, Object, error) {
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Object{}, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("store: disk: open %q: %w", key, err)
	}
	obj, err := readHeader(f, key)
	if err != nil {
		return nil, Object{}, errors.Join(err, f.Close())
	}
	return f, obj, nil
}

// readHeader reads and checks the header of an object file opened at offset 0.
func readHeader(f *os.File, key string) (Object, error) {
	var buf [headerSize]byte
	if _, err := io.ReadFull(f, buf[:]); err != nil {
		return Object{}, fmt.Errorf("store: disk: read header of %q: %w", key, err)
	}
	rest, ok := bytes.CutPrefix(buf[:], []byte(headerMagic))
	if !ok {
		return Object{}, fmt.Errorf("store: disk: object %q: bad header magic", key)
	}
	var h diskHeader
	if err := json.Unmarshal(bytes.TrimSpace(rest), &h); err != nil {
		return Object{}, fmt.Errorf("store: disk: object %q: bad header: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return Object{}, fmt.Errorf("store: disk: stat %q: %w", key, err)
	}
	if fi.Size()-headerSize != h.Size {
		return Object{}, fmt.Errorf("store: disk: object %q: header says %d bytes, file holds %d", key, h.Size, fi.Size()-headerSize)
	}
	return Object{Key: key, Size: h.Size, ETag: h.ETag, ModTime: fi.ModTime(), ContentType: h.ContentType}, nil
}

func encodeHeader(h diskHeader) ([]byte, error) {
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("store: disk: encode header: %w", err)
	}
	buf := make([]byte, 0, headerSize)
	buf = append(buf, headerMagic...)
	buf = append(buf, js...)
	if len(buf) > headerSize-1 {
		return nil, errors.New("store: disk: header too large")
	}
	buf = append(buf, bytes.Repeat([]byte{' '}, headerSize-1-len(buf))...)
	return append(buf, '\n'), nil
}

// Stat returns the object's metadata.
func (d *Disk) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	f, obj, err := d.open(key)
	if err != nil {
		return Object{}, err
	}
	if err := f.Close(); err != nil {
		return Object{}, fmt.Errorf("store: disk: close %q: %w", key, err)
	}
	return obj, nil
}

// Put streams r into a temp file, hashing it on the way, then publishes it
// under key. The ETag is the hex SHA-256 of the body.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if err := opts.check(); err != nil {
		return Object{}, err
	}
	if len(opts.ContentType) > maxContentTypeLen {
		return Object{}, fmt.Errorf("store: disk: content type longer than %d bytes", maxContentTypeLen)
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	tmp, obj, err := d.writeTemp(ctx, key, r, opts)
	if err != nil {
		return Object{}, err
	}
	published := false
	defer func() {
		if !published {
			// The temp file is ours alone; a failure to remove it is left for
			// NewDisk's stale-temp sweep.
			_ = os.Remove(tmp)
		}
	}()
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}

	final := d.path(key)
	mu := d.lock(key)
	mu.Lock()
	defer mu.Unlock()

	switch {
	case opts.IfNoneMatch:
		err := d.publish(final, func() error { return os.Link(tmp, final) })
		if errors.Is(err, fs.ErrExist) {
			return Object{}, fmt.Errorf("%w: %q already exists", ErrPrecondition, key)
		}
		if err != nil {
			return Object{}, fmt.Errorf("store: disk: create %q: %w", key, err)
		}
		// The object is published; tmp is now just a second name for it.
		if err := os.Remove(tmp); err != nil {
			return Object{}, fmt.Errorf("store: disk: remove temp file: %w", err)
		}
		published = true
	case opts.IfMatch != "":
		f, cur, err := d.open(key)
		if err != nil {
			return Object{}, err
		}
		if err := f.Close(); err != nil {
			return Object{}, fmt.Errorf("store: disk: close %q: %w", key, err)
		}
		if cur.ETag != opts.IfMatch {
			return Object{}, fmt.Errorf("%w: %q has ETag %s, not %s", ErrPrecondition, key, cur.ETag, opts.IfMatch)
		}
		fallthrough
	default:
		if err := d.publish(final, func() error { return os.Rename(tmp, final) }); err != nil {
			return Object{}, fmt.Errorf("store: disk: publish %q: %w", key, err)
		}
		published = true
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return Object{}, err
	}
	return obj, nil
}

// publish creates final's parent directories and runs op, retrying when a
// concurrent Delete pruned a directory in between.
func (d *Disk) publish(final string, op func() error) error {
	var err error
	for range 5 {
		if err = os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
			return err
		}
		if err = op(); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

// writeTemp streams r into a new temp file with a header and returns its path
// and the object's metadata.
func (d *Disk) writeTemp(ctx context.Context, key string, r io.Reader, opts PutOptions) (path string, obj Object, err error) {
	f, err := os.CreateTemp(d.tmp, "put-*")
	if err != nil {
		return "", Object{}, fmt.Errorf("store: disk: create temp file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close() // already failing; the write error is the one to report
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return "", Object{}, fmt.Errorf("store: disk: write %q: %w", key, err)
	}
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), &ctxReadCloser{ctx: ctx, r: r})
	if err != nil {
		return "", Object{}, fmt.Errorf("store: disk: write %q: %w", key, err)
	}
	if opts.Size > 0 && n != opts.Size {
		return "", Object{}, fmt.Errorf("store: disk: write %q: body has %d bytes, expected %d", key, n, opts.Size)
	}
	h := diskHeader{ETag: hex.EncodeToString(hash.Sum(nil)), ContentType: contentTypeOrDefault(opts.ContentType), Size: n}
	hdr, err := encodeHeader(h)
	if err != nil {
		return "", Object{}, err
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return "", Object{}, fmt.Errorf("store: disk: write header of %q: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return "", Object{}, fmt.Errorf("store: disk: sync %q: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return "", Object{}, fmt.Errorf("store: disk: stat temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", Object{}, fmt.Errorf("store: disk: close temp file: %w", err)
	}
	return f.Name(), Object{Key: key, Size: n, ETag: h.ETag, ModTime: fi.ModTime(), ContentType: h.ContentType}, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: disk: open %s: %w", dir, err)
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// Delete removes the object and prunes directories it leaves empty.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := d.path(key)
	mu := d.lock(key)
	mu.Lock()
	err := os.Remove(p)
	mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: disk: delete %q: %w", key, err)
	}
	for dir := filepath.Dir(p); dir != d.objects && strings.HasPrefix(dir, d.objects); dir = filepath.Dir(dir) {
		// Removing a non-empty directory fails, which is how pruning stops;
		// a concurrent Put recreates what it needs (see publish).
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// List yields objects under prefix in lexical key order. Objects deleted
// while the listing runs are skipped.
func (d *Disk) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := ValidatePrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		// Start at the deepest directory the prefix fully names.
		dirKey := ""
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			dirKey = prefix[:i]
		}
		d.walk(ctx, dirKey, prefix, yield)
	}
}

type dirEntry struct {
	sortKey string // key, or key + "/" for a directory
	key     string
	isDir   bool
}

// walk lists directory dirKey recursively; it returns false when iteration stops.
func (d *Disk) walk(ctx context.Context, dirKey, prefix string, yield func(Object, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(Object{}, err)
		return false
	}
	dir := d.dirPath(dirKey)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return yield(Object{}, fmt.Errorf("store: disk: list %s: %w", dir, err))
	}
	base := ""
	if dirKey != "" {
		base = dirKey + "/"
	}
	list := make([]dirEntry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && !strings.HasSuffix(name, objSuffix):
			k := base + decodeDir(name)
			if strings.HasPrefix(k+"/", prefix) || strings.HasPrefix(prefix, k+"/") {
				list = append(list, dirEntry{sortKey: k + "/", key: k, isDir: true})
			}
		case e.Type().IsRegular() && strings.HasSuffix(name, objSuffix):
			k := base + strings.TrimSuffix(name, objSuffix)
			if strings.HasPrefix(k, prefix) {
				list = append(list, dirEntry{sortKey: k, key: k})
			}
		}
	}
	slices.SortFunc(list, func(a, b dirEntry) int { return strings.Compare(a.sortKey, b.sortKey) })
	for _, e := range list {
		if e.isDir {
			if !d.walk(ctx, e.key, prefix, yield) {
				return false
			}
			continue
		}
		obj, err := d.Stat(ctx, e.key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if !yield(obj, err) || err != nil {
			return false
		}
	}
	return true
}

// Ping checks that the store directory is writable.
func (d *Disk) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(d.tmp, "ping-*")
	if err != nil {
		return fmt.Errorf("store: disk: not writable: %w", err)
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// ctxReadCloser fails reads once ctx is done.
type ctxReadCloser struct {
	ctx context.Context
	r   io.Reader
	c   io.Closer
}

func (r *ctxReadCloser) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *ctxReadCloser) Close() error {
	if r.c == nil {
		return nil
	}
	return r.c.Close()
}
