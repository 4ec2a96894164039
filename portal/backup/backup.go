// Package backup writes the whole store to one archive and restores it.
//
// The archive is a tar stream compressed with zstd. Every object is one
// entry named "objects/<key>" whose PAX records carry the key and content
// type (the metadata the store keeps); the last entry, "manifest.json",
// lists every key with its size and SHA-256. Restore reads the file twice:
// once to verify every object against the manifest, then to write them, so
// a damaged archive is refused before anything reaches the store.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/jinnang/jinnang/portal/store"
)

// Format names the archive layout in the manifest.
const Format = "jinnang-backup/1"

const (
	objectPrefix = "objects/"
	manifestName = "manifest.json"
	paxKey       = "JINNANG.key"
	paxType      = "JINNANG.content-type"
)

// ErrCorrupt means the archive failed verification: a checksum or size
// differs from the manifest, the compression frame is damaged, or entries
// are missing.
var ErrCorrupt = errors.New("backup: archive is corrupt (checksum mismatch)")

// ErrNotEmpty means Restore found objects in the target store.
var ErrNotEmpty = errors.New("backup: the target store is not empty; restore only into an empty store (a new bucket or data directory)")

// Manifest is the archive's table of contents.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	Objects []Entry   `json:"objects"`
}

// Entry describes one object in the archive.
type Entry struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
}

// Stats sums up a backup or restore.
type Stats struct {
	Objects int
	Bytes   int64
}

// Backup streams every object of s into w and returns what it wrote.
func Backup(ctx context.Context, s store.Store, w io.Writer) (Stats, error) {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderCRC(true))
	if err != nil {
		return Stats{}, err
	}
	tw := tar.NewWriter(zw)
	m := Manifest{Format: Format, Created: time.Now().UTC()}
	var st Stats
	for obj, err := range s.List(ctx, "") {
		if err != nil {
			zw.Close()
			return st, fmt.Errorf("backup: list: %w", err)
		}
		e, err := writeObject(ctx, s, tw, obj.Key)
		if err != nil {
			zw.Close()
			return st, err
		}
		m.Objects = append(m.Objects, e)
		st.Objects++
		st.Bytes += e.Size
	}
	body, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return st, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(body)), ModTime: m.Created, Format: tar.FormatPAX}); err != nil {
		return st, err
	}
	if _, err := tw.Write(body); err != nil {
		return st, err
	}
	if err := tw.Close(); err != nil {
		return st, err
	}
	return st, zw.Close()
}

func writeObject(ctx context.Context, s store.Store, tw *tar.Writer, key string) (Entry, error) {
	rc, obj, err := s.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		// Deleted between List and Get: a live store changes while it is
		// backed up; the object is simply not in this backup.
		return Entry{}, fmt.Errorf("backup: %q vanished during the backup (run it again, or back up a quiet store): %w", key, err)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("backup: get %q: %w", key, err)
	}
	defer rc.Close()
	ct := obj.ContentType
	if ct == "" {
		ct = store.DefaultContentType
	}
	hdr := &tar.Header{
		Name:       objectPrefix + key,
		Mode:       0o644,
		Size:       obj.Size,
		ModTime:    obj.ModTime,
		Format:     tar.FormatPAX,
		PAXRecords: map[string]string{paxKey: key, paxType: ct},
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return Entry{}, fmt.Errorf("backup: %q: %w", key, err)
	}
	h := sha256.New()
	n, err := io.Copy(tw, io.TeeReader(rc, h))
	if err != nil {
		return Entry{}, fmt.Errorf("backup: read %q: %w (it may have changed during the backup)", key, err)
	}
	if n != obj.Size {
		return Entry{}, fmt.Errorf("backup: %q changed during the backup (%d bytes, expected %d)", key, n, obj.Size)
	}
	return Entry{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: ct}, nil
}

// BackupFile writes the archive to path (through a temporary file renamed
// into place, so a failed backup leaves no half-written archive).
func BackupFile(ctx context.Context, s store.Store, path string) (Stats, error) {
	f, err := os.CreateTemp(dirOf(path), ".jinnang-backup-*")
	if err != nil {
		return Stats{}, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(f.Name())
	st, err := Backup(ctx, s, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, err
	}
	return st, os.Rename(f.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}

// Verify reads the whole archive and checks every object against the
// manifest. It returns the manifest, or an error wrapping ErrCorrupt.
func Verify(r io.Reader) (Manifest, error) {
	var m Manifest
	seen := map[string]Entry{}
	err := walk(r, func(e Entry, body io.Reader) error {
		h := sha256.New()
		n, err := io.Copy(h, body)
		if err != nil {
			return err
		}
		e.Size, e.SHA256 = n, hex.EncodeToString(h.Sum(nil))
		seen[e.Key] = e
		return nil
	}, &m)
	if err != nil {
		return m, err
	}
	if len(seen) != len(m.Objects) {
		return m, fmt.Errorf("%w: %d objects in the archive, %d in the manifest", ErrCorrupt, len(seen), len(m.Objects))
	}
	for _, want := range m.Objects {
		got, ok := seen[want.Key]
		switch {
		case !ok:
			return m, fmt.Errorf("%w: %q is in the manifest but not in the archive", ErrCorrupt, want.Key)
		case got.Size != want.Size || got.SHA256 != want.SHA256:
			return m, fmt.Errorf("%w: %q has sha256 %s (%d bytes), the manifest says %s (%d bytes)", ErrCorrupt, want.Key, got.SHA256, got.Size, want.SHA256, want.Size)
		}
	}
	return m, nil
}

// walk calls f for every object entry and decodes the manifest into m.
// Damage to the compressed stream or the tar structure wraps ErrCorrupt.
func walk(r io.Reader, f func(Entry, io.Reader) error, m *Manifest) error {
	zr, err := zstd.NewReader(r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	gotManifest := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if gotManifest {
			return fmt.Errorf("%w: entry %q after the manifest", ErrCorrupt, hdr.Name)
		}
		if hdr.Name == manifestName {
			if err := json.NewDecoder(tr).Decode(m); err != nil {
				return fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
			}
			if m.Format != Format {
				return fmt.Errorf("backup: archive format %q, this version reads %q", m.Format, Format)
			}
			gotManifest = true
			continue
		}
		key := hdr.PAXRecords[paxKey]
		if hdr.Typeflag != tar.TypeReg || key == "" || hdr.Name != objectPrefix+key {
			return fmt.Errorf("%w: unexpected entry %q", ErrCorrupt, hdr.Name)
		}
		if err := store.ValidateKey(key); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if err := f(Entry{Key: key, Size: hdr.Size, ContentType: hdr.PAXRecords[paxType]}, tr); err != nil {
			if errors.Is(err, ErrCorrupt) || errors.Is(err, context.Canceled) {
				return err
			}
			var se storeError
			if errors.As(err, &se) {
				return se.err
			}
			return fmt.Errorf("%w: %q: %v", ErrCorrupt, key, err)
		}
	}
	if !gotManifest {
		return fmt.Errorf("%w: no manifest (the archive is truncated)", ErrCorrupt)
	}
	return nil
}

// storeError marks a failure of the target store, not of the archive.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }

// Empty reports whether s holds no object.
func Empty(ctx context.Context, s store.Store) (bool, error) {
	for _, err := range s.List(ctx, "") {
		if err != nil {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// RestoreFile verifies the archive at path, then writes every object into
// s, which must be empty. Nothing is written when verification fails.
func RestoreFile(ctx context.Context, s store.Store, path string) (Stats, error) {
	empty, err := Empty(ctx, s)
	if err != nil {
		return Stats{}, fmt.Errorf("backup: list the target store: %w", err)
	}
	if !empty {
		return Stats{}, ErrNotEmpty
	}
	open := func() (*os.File, error) { return os.Open(path) }
	f, err := open()
	if err != nil {
		return Stats{}, fmt.Errorf("backup: %w", err)
	}
	m, err := Verify(f)
	f.Close()
	if err != nil {
		return Stats{}, err
	}
	if f, err = open(); err != nil {
		return Stats{}, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	return restore(ctx, s, f, m)
}

// restore writes the objects of a verified archive. Each body is hashed
// again while it streams in; a mismatch (the file changed after Verify)
// stops the restore.
func restore(ctx context.Context, s store.Store, r io.Reader, m Manifest) (Stats, error) {
	want := make(map[string]Entry, len(m.Objects))
	for _, e := range m.Objects {
		want[e.Key] = e
	}
	var st Stats
	var m2 Manifest
	err := walk(r, func(e Entry, body io.Reader) error {
		w, ok := want[e.Key]
		if !ok {
			return fmt.Errorf("%w: %q is not in the manifest", ErrCorrupt, e.Key)
		}
		h := sha256.New()
		_, err := s.Put(ctx, e.Key, io.TeeReader(body, h), store.PutOptions{ContentType: e.ContentType, Size: e.Size, IfNoneMatch: true})
		if err != nil {
			return storeError{fmt.Errorf("backup: put %q: %w", e.Key, err)}
		}
		if hex.EncodeToString(h.Sum(nil)) != w.SHA256 {
			return fmt.Errorf("%w: %q changed since it was verified", ErrCorrupt, e.Key)
		}
		st.Objects++
		st.Bytes += e.Size
		return nil
	}, &m2)
	return st, err
}
