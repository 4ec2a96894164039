// Package backup writes the whole store to one archive and restores it.
//
// The archive is a tar stream compressed with zstd. Every current object is
// one entry named "objects/<key>" whose PAX records carry the key and content
// type (the metadata the store keeps); the last entry, "manifest.json",
// lists every key with its size and SHA-256. Restore reads the file twice:
// once to verify every object against the manifest, then to write them, so
// a damaged archive is refused before anything reaches the store.
//
// A store that keeps object versions (an S3 bucket with versioning enabled
// or suspended) is backed up with its history (format FormatVersions): every
// older version and every delete marker is an entry "versions/<seq>/<key>"
// (a marker has no body), and the entries come in replay order: keys in
// lexical order, each key's history oldest first, its current object (if it
// is not deleted) last as "objects/<key>". Every entry then carries its
// sequence number and version id, and the manifest's "history" lists them
// all in that order with sizes and checksums. Restore into a bucket with
// versioning enabled replays the history (each version a Put, each marker a
// Delete), so every key's sequence of versions and delete markers matches
// the source (with new version ids and times: S3 sets both). Restore into any
// other store writes only the current objects and says so in Stats.Warning.
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
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/jinnang/jinnang/portal/store"
)

// Format names the archive layout in the manifest: current objects only.
const Format = "jinnang-backup/1"

// FormatVersions names the layout with object versions and delete markers.
// An older binary refuses it by name rather than restoring part of it.
const FormatVersions = "jinnang-backup/2"

const (
	objectPrefix  = "objects/"
	versionPrefix = "versions/"
	manifestName  = "manifest.json"
	paxKey        = "JINNANG.key"
	paxType       = "JINNANG.content-type"
	paxSeq        = "JINNANG.seq"
	paxVersionID  = "JINNANG.version-id"
	paxMarker     = "JINNANG.delete-marker"
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
	// Versioning is the source bucket's state ("Enabled", "Suspended") when
	// the archive holds its history.
	Versioning string `json:"versioning,omitempty"`
	// History lists every version and delete marker in replay order
	// (FormatVersions only); the current objects are in it too.
	History []Version `json:"history,omitempty"`
}

// Version is one step of a key's history in the archive.
type Version struct {
	Seq          int       `json:"seq"` // 1-based position in replay order
	Key          string    `json:"key"`
	VersionID    string    `json:"version_id"` // the source's id, for the record
	DeleteMarker bool      `json:"delete_marker,omitempty"`
	Current      bool      `json:"current,omitempty"` // the key's current object (an objects/ entry)
	Modified     time.Time `json:"modified"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256,omitempty"` // empty for a delete marker
	ContentType  string    `json:"content_type,omitempty"`
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
	// Objects and Bytes count the current objects.
	Objects int
	Bytes   int64
	// Versions counts the older versions and delete markers, VersionBytes
	// the older versions' bytes.
	Versions     int
	VersionBytes int64
	// Warning, when not empty, says what a restore left out (the history,
	// when the target keeps no versions). restore logs it.
	Warning string
}

// Backup streams every object of s into w and returns what it wrote. When
// s keeps versions (store.Versioned with versioning enabled or suspended),
// every older version and delete marker goes in too.
func Backup(ctx context.Context, s store.Store, w io.Writer) (Stats, error) {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderCRC(true))
	if err != nil {
		return Stats{}, err
	}
	tw := tar.NewWriter(zw)
	m := Manifest{Format: Format, Created: time.Now().UTC()}
	var st Stats
	vs, state, err := versioning(ctx, s)
	if err != nil {
		zw.Close()
		return st, fmt.Errorf("backup: %w", err)
	}
	if state != "" {
		m.Format, m.Versioning = FormatVersions, state
		err = backupVersions(ctx, vs, tw, &m, &st)
	} else {
		err = backupCurrent(ctx, s, tw, &m, &st)
	}
	if err != nil {
		zw.Close()
		return st, err
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

// versioning returns s as a store.Versioned and its versioning state, or
// "" when s keeps no versions.
func versioning(ctx context.Context, s store.Store) (store.Versioned, string, error) {
	vs, ok := s.(store.Versioned)
	if !ok {
		return nil, "", nil
	}
	state, err := vs.Versioning(ctx)
	if err != nil {
		return nil, "", err
	}
	return vs, state, nil
}

func backupCurrent(ctx context.Context, s store.Store, tw *tar.Writer, m *Manifest, st *Stats) error {
	for obj, err := range s.List(ctx, "") {
		if err != nil {
			return fmt.Errorf("backup: list: %w", err)
		}
		e, err := writeObject(ctx, s, tw, obj.Key)
		if err != nil {
			return err
		}
		m.Objects = append(m.Objects, e)
		st.Objects++
		st.Bytes += e.Size
	}
	return nil
}

// backupVersions writes every version of every key in replay order. Each
// version is read by its id, so a write during the backup cannot mix two
// versions; a key changed after it was listed is backed up as it was then.
func backupVersions(ctx context.Context, s store.Versioned, tw *tar.Writer, m *Manifest, st *Stats) error {
	for v, err := range s.ListVersions(ctx, "") {
		if err != nil {
			return fmt.Errorf("backup: list versions: %w", err)
		}
		e, err := writeVersion(ctx, s, tw, v, len(m.History)+1)
		if err != nil {
			return err
		}
		m.History = append(m.History, e)
		switch {
		case e.Current:
			m.Objects = append(m.Objects, Entry{Key: e.Key, Size: e.Size, SHA256: e.SHA256, ContentType: e.ContentType})
			st.Objects++
			st.Bytes += e.Size
		default:
			st.Versions++
			st.VersionBytes += e.Size
		}
	}
	return nil
}

func writeVersion(ctx context.Context, s store.Versioned, tw *tar.Writer, v store.Version, seq int) (Version, error) {
	e := Version{Seq: seq, Key: v.Key, VersionID: v.VersionID, DeleteMarker: v.DeleteMarker, Current: v.IsLatest && !v.DeleteMarker, Modified: v.ModTime.UTC()}
	pax := map[string]string{paxKey: v.Key, paxSeq: strconv.Itoa(seq), paxVersionID: v.VersionID}
	name := versionName(seq, v.Key)
	if e.Current {
		name = objectPrefix + v.Key
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, ModTime: v.ModTime, Format: tar.FormatPAX, PAXRecords: pax}
	if v.DeleteMarker {
		pax[paxMarker] = "1"
		if err := tw.WriteHeader(hdr); err != nil {
			return e, fmt.Errorf("backup: %q: %w", v.Key, err)
		}
		return e, nil
	}
	rc, obj, err := s.GetVersion(ctx, v.Key, v.VersionID)
	if err != nil {
		return e, fmt.Errorf("backup: get %q version %s: %w (a version removed during the backup, as by a lifecycle rule: run it again)", v.Key, v.VersionID, err)
	}
	defer rc.Close()
	e.ContentType = obj.ContentType
	if e.ContentType == "" {
		e.ContentType = store.DefaultContentType
	}
	pax[paxType] = e.ContentType
	hdr.Size = obj.Size
	if err := tw.WriteHeader(hdr); err != nil {
		return e, fmt.Errorf("backup: %q: %w", v.Key, err)
	}
	h := sha256.New()
	n, err := io.Copy(tw, io.TeeReader(rc, h))
	if err != nil {
		return e, fmt.Errorf("backup: read %q version %s: %w", v.Key, v.VersionID, err)
	}
	if n != obj.Size {
		return e, fmt.Errorf("backup: %q version %s: %d bytes, expected %d", v.Key, v.VersionID, n, obj.Size)
	}
	e.Size, e.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return e, nil
}

func versionName(seq int, key string) string {
	return fmt.Sprintf("%s%08d/%s", versionPrefix, seq, key)
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

// Verify reads the whole archive and checks every object, older version
// and delete marker against the manifest, and the history's replay order.
// It returns the manifest, or an error wrapping ErrCorrupt.
func Verify(r io.Reader) (Manifest, error) {
	var m Manifest
	seen := map[string]Entry{}
	var history []Version
	err := walk(r, func(it item, body io.Reader) error {
		h := sha256.New()
		n, err := io.Copy(h, body)
		if err != nil {
			return err
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if it.Seq > 0 {
			v := it.Version
			v.Size = n
			if !v.DeleteMarker {
				v.SHA256 = sum
			}
			history = append(history, v)
		}
		if it.Current {
			e := it.Entry()
			e.Size, e.SHA256 = n, sum
			seen[e.Key] = e
		}
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
	return m, verifyHistory(m, history)
}

// verifyHistory checks the versions read from the archive, in the order
// they came, against the manifest's history.
func verifyHistory(m Manifest, got []Version) error {
	if m.Format == Format {
		if len(got) > 0 || len(m.History) > 0 {
			return fmt.Errorf("%w: format %s with version entries", ErrCorrupt, Format)
		}
		return nil
	}
	if len(got) != len(m.History) {
		return fmt.Errorf("%w: %d versions in the archive, %d in the manifest", ErrCorrupt, len(got), len(m.History))
	}
	current := 0
	for i, want := range m.History {
		g := got[i]
		if want.Seq != i+1 || g.Seq != want.Seq {
			return fmt.Errorf("%w: version %d of the history comes as number %d (manifest %d): out of replay order", ErrCorrupt, i+1, g.Seq, want.Seq)
		}
		if g.Key != want.Key || g.DeleteMarker != want.DeleteMarker || g.Current != want.Current || g.VersionID != want.VersionID {
			return fmt.Errorf("%w: version %d is %q (marker %v, current %v), the manifest says %q (marker %v, current %v)", ErrCorrupt, want.Seq, g.Key, g.DeleteMarker, g.Current, want.Key, want.DeleteMarker, want.Current)
		}
		if g.Size != want.Size || g.SHA256 != want.SHA256 {
			return fmt.Errorf("%w: %q version %d has sha256 %s (%d bytes), the manifest says %s (%d bytes)", ErrCorrupt, want.Key, want.Seq, g.SHA256, g.Size, want.SHA256, want.Size)
		}
		if i > 0 && m.History[i-1].Key > want.Key {
			return fmt.Errorf("%w: version %d (%q) comes after %q", ErrCorrupt, want.Seq, want.Key, m.History[i-1].Key)
		}
		if i+1 < len(m.History) && m.History[i+1].Key == want.Key && want.Current {
			return fmt.Errorf("%w: %q: the current object is not the last of its history", ErrCorrupt, want.Key)
		}
		if want.Current {
			current++
		}
	}
	if current != len(m.Objects) {
		return fmt.Errorf("%w: %d current objects in the history, %d in the manifest", ErrCorrupt, current, len(m.Objects))
	}
	return nil
}

// item is one entry of the archive as walk reads it.
type item struct {
	Version // Seq is 0 in an archive without history
}

// Entry is the item as a manifest object entry.
func (it item) Entry() Entry {
	return Entry{Key: it.Key, Size: it.Size, SHA256: it.SHA256, ContentType: it.ContentType}
}

// walk calls f for every object, version and delete marker entry, in
// archive order, and decodes the manifest into m. Damage to the compressed
// stream or the tar structure wraps ErrCorrupt.
func walk(r io.Reader, f func(item, io.Reader) error, m *Manifest) error {
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
			if m.Format != Format && m.Format != FormatVersions {
				return fmt.Errorf("backup: archive format %q, this version reads %q and %q", m.Format, Format, FormatVersions)
			}
			gotManifest = true
			continue
		}
		it, err := parseEntry(hdr)
		if err != nil {
			return err
		}
		if err := f(it, tr); err != nil {
			if errors.Is(err, ErrCorrupt) || errors.Is(err, context.Canceled) {
				return err
			}
			var se storeError
			if errors.As(err, &se) {
				return se.err
			}
			return fmt.Errorf("%w: %q: %v", ErrCorrupt, it.Key, err)
		}
	}
	if !gotManifest {
		return fmt.Errorf("%w: no manifest (the archive is truncated)", ErrCorrupt)
	}
	return nil
}

// parseEntry reads an object or version entry's header.
func parseEntry(hdr *tar.Header) (item, error) {
	bad := func() (item, error) { return item{}, fmt.Errorf("%w: unexpected entry %q", ErrCorrupt, hdr.Name) }
	key := hdr.PAXRecords[paxKey]
	if hdr.Typeflag != tar.TypeReg || key == "" {
		return bad()
	}
	if err := store.ValidateKey(key); err != nil {
		return item{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	it := item{Version{Key: key, Size: hdr.Size, ContentType: hdr.PAXRecords[paxType], VersionID: hdr.PAXRecords[paxVersionID], Modified: hdr.ModTime.UTC()}}
	if seq, ok := hdr.PAXRecords[paxSeq]; ok {
		n, err := strconv.Atoi(seq)
		if err != nil || n <= 0 {
			return bad()
		}
		it.Seq = n
	}
	it.DeleteMarker = hdr.PAXRecords[paxMarker] == "1"
	switch hdr.Name {
	case objectPrefix + key:
		if it.DeleteMarker {
			return bad()
		}
		it.Current = true
	case versionName(it.Seq, key):
		if it.Seq == 0 || (it.DeleteMarker && hdr.Size != 0) {
			return bad()
		}
	default:
		return bad()
	}
	return it, nil
}

// storeError marks a failure of the target store, not of the archive.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }

// Empty reports whether s holds no object. A store that keeps versions
// must hold no version and no delete marker either.
func Empty(ctx context.Context, s store.Store) (bool, error) {
	vs, state, err := versioning(ctx, s)
	if err != nil {
		return false, err
	}
	if state != "" {
		for _, err := range vs.ListVersions(ctx, "") {
			return false, err
		}
		return true, nil
	}
	for _, err := range s.List(ctx, "") {
		return false, err
	}
	return true, nil
}

// RestoreFile verifies the archive at path, then writes it into s, which
// must be empty. Nothing is written when verification fails. An archive
// with history is replayed into a store with versioning enabled; any other
// store gets the current objects only, and Stats.Warning says so.
func RestoreFile(ctx context.Context, s store.Store, path string) (Stats, error) {
	empty, err := Empty(ctx, s)
	if err != nil {
		return Stats{}, fmt.Errorf("backup: list the target store: %w", err)
	}
	if !empty {
		return Stats{}, ErrNotEmpty
	}
	_, state, err := versioning(ctx, s)
	if err != nil {
		return Stats{}, fmt.Errorf("backup: %w", err)
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
	return restore(ctx, s, f, m, state == "Enabled")
}

// restore writes a verified archive: with replay, every version in order
// (a Put, or a Delete for a marker); without, the current objects only.
// Each body is hashed again while it streams in; a mismatch (the file
// changed after Verify) stops the restore.
func restore(ctx context.Context, s store.Store, r io.Reader, m Manifest, replay bool) (Stats, error) {
	want := make(map[string]Entry, len(m.Objects))
	for _, e := range m.Objects {
		want[e.Key] = e
	}
	var st Stats
	var m2 Manifest
	err := walk(r, func(it item, body io.Reader) error {
		var sum string
		switch {
		case it.Current:
			w, ok := want[it.Key]
			if !ok {
				return fmt.Errorf("%w: %q is not in the manifest", ErrCorrupt, it.Key)
			}
			sum = w.SHA256
		case !replay:
			return nil // an older version or marker: not kept by this store
		case it.Seq > len(m.History):
			return fmt.Errorf("%w: version %d is not in the manifest", ErrCorrupt, it.Seq)
		default:
			sum = m.History[it.Seq-1].SHA256
		}
		if it.DeleteMarker {
			if err := s.Delete(ctx, it.Key); err != nil {
				return storeError{fmt.Errorf("backup: delete %q (a delete marker): %w", it.Key, err)}
			}
			st.Versions++
			return nil
		}
		h := sha256.New()
		// Replay overwrites the key's earlier version; a plain restore
		// writes each key once into an empty store.
		_, err := s.Put(ctx, it.Key, io.TeeReader(body, h), store.PutOptions{ContentType: it.ContentType, Size: it.Size, IfNoneMatch: !replay})
		if err != nil {
			return storeError{fmt.Errorf("backup: put %q: %w", it.Key, err)}
		}
		if hex.EncodeToString(h.Sum(nil)) != sum {
			return fmt.Errorf("%w: %q changed since it was verified", ErrCorrupt, it.Key)
		}
		if it.Current {
			st.Objects++
			st.Bytes += it.Size
		} else {
			st.Versions++
			st.VersionBytes += it.Size
		}
		return nil
	}, &m2)
	if err == nil && !replay {
		st.Warning = historyWarning(m)
	}
	return st, err
}

// historyWarning says what a restore without replay left out, or "".
func historyWarning(m Manifest) string {
	older, keys := 0, map[string]bool{}
	for _, v := range m.History {
		if !v.Current {
			older++
			keys[v.Key] = true
		}
	}
	if older == 0 {
		return ""
	}
	return fmt.Sprintf("the archive holds %d older versions and delete markers of %d keys, but the target store keeps no versions "+
		"(a data directory, or a bucket without versioning enabled): only the %d current objects were restored; "+
		"to keep the history, restore into a new bucket after `mc version enable`", older, len(keys), len(m.Objects))
}
