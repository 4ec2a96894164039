package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/minio/minio-go/v7"
)

// Version is one entry of a versioned bucket's history: a stored version
// of the object or a delete marker.
type Version struct {
	Object
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
}

// Versioned is implemented by stores that keep object versions (S3 on a
// bucket with versioning). Backup and restore use it when present.
type Versioned interface {
	// Versioning reports the bucket's state in S3's words: "Enabled",
	// "Suspended", or "" (never enabled).
	Versioning(ctx context.Context) (string, error)
	// ListVersions yields every version and delete marker under prefix,
	// keys in lexical order, each key's versions oldest first.
	ListVersions(ctx context.Context, prefix string) iter.Seq2[Version, error]
	// GetVersion opens one version of the object for streaming.
	GetVersion(ctx context.Context, key, versionID string) (io.ReadCloser, Object, error)
}

var _ Versioned = (*S3)(nil)

// Versioning reports the bucket's versioning state.
func (s *S3) Versioning(ctx context.Context) (string, error) {
	cfg, err := s.core.Client.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return "", mapErr("get versioning of bucket", s.bucket, err)
	}
	return cfg.Status, nil
}

// EnableVersioning turns versioning on for the bucket.
func (s *S3) EnableVersioning(ctx context.Context) error {
	if err := s.core.Client.EnableVersioning(ctx, s.bucket); err != nil {
		return mapErr("enable versioning of bucket", s.bucket, err)
	}
	return nil
}

// ListVersions lists the bucket's versions and delete markers, each key's
// oldest first.
func (s *S3) ListVersions(ctx context.Context, prefix string) iter.Seq2[Version, error] {
	return func(yield func(Version, error) bool) {
		if err := ValidatePrefix(prefix); err != nil {
			yield(Version{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true, ReverseVersions: true}
		for info := range s.core.Client.ListObjects(ctx, s.bucket, opts) {
			if info.Err != nil {
				yield(Version{}, mapErr("list versions", prefix, info.Err))
				return
			}
			v := Version{Object: objectFromInfo(info.Key, info), VersionID: info.VersionID, IsLatest: info.IsLatest, DeleteMarker: info.IsDeleteMarker}
			if !yield(v, nil) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(Version{}, err)
		}
	}
}

// GetVersion streams one version of the object.
func (s *S3) GetVersion(ctx context.Context, key, versionID string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if versionID == "" {
		return nil, Object{}, fmt.Errorf("store: s3: get %q: empty version id", key)
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) && er.Code == "NoSuchVersion" {
			return nil, Object{}, fmt.Errorf("%w: %q version %s", ErrNotFound, key, versionID)
		}
		return nil, Object{}, mapErr("get version", key, err)
	}
	return body, objectFromInfo(key, info), nil
}
