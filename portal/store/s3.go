package store

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // Content-MD5 is an integrity check required by S3, not a security hash.
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3PartSize is the part size of multipart uploads, and so the memory one
// large or unknown-size Put holds. Bodies up to this size go in a single PUT.
const S3PartSize = 16 << 20

// maxParts is the S3 limit on parts per multipart upload.
const maxParts = 10000

// abortTimeout bounds the clean-up of a failed multipart upload.
const abortTimeout = 30 * time.Second

// S3Config locates an S3-compatible bucket (MinIO in practice).
type S3Config struct {
	// Endpoint is host[:port], without a scheme, e.g. "minio:9000".
	Endpoint  string
	AccessKey string
	SecretKey string
	// Bucket is created by NewS3 if it does not exist.
	Bucket string
	// Region may be empty for MinIO.
	Region string
	// UseTLS selects https.
	UseTLS bool
}

// S3 is a Store on an S3-compatible object store, addressed path-style.
// Conditional writes use If-Match / If-None-Match on PUT and on
// CompleteMultipartUpload, so they are race-free across processes.
type S3 struct {
	core   *minio.Core
	bucket string
	bufs   sync.Pool // *[]byte of S3PartSize
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket described by cfg, creating it if missing.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("store: s3: endpoint is required")
	case strings.Contains(cfg.Endpoint, "://"):
		return nil, fmt.Errorf("store: s3: endpoint %q: give host:port without a scheme (set UseTLS for https)", cfg.Endpoint)
	case cfg.Bucket == "":
		return nil, errors.New("store: s3: bucket is required")
	}
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("store: s3: client for %s: %w", cfg.Endpoint, err)
	}
	s := &S3{core: core, bucket: cfg.Bucket}
	s.bufs.New = func() any { b := make([]byte, S3PartSize); return &b }
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	return s, nil
}

// notInitializedWait bounds how long NewS3 waits for a MinIO server that is
// up but still loading (as when it starts alongside the portal).
const notInitializedWait = 30 * time.Second

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	deadline := time.Now().Add(notInitializedWait)
	for isNotInitialized(err) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: s3: check bucket %q: %w", s.bucket, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
		ok, err = s.core.BucketExists(ctx, s.bucket)
	}
	if err != nil {
		return fmt.Errorf("store: s3: check bucket %q: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.core.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if err == nil {
		return nil
	}
	// Another process may have created it in the meantime.
	var er minio.ErrorResponse
	if errors.As(err, &er) && er.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	if ok, err2 := s.core.BucketExists(ctx, s.bucket); err2 == nil && ok {
		return nil
	}
	return fmt.Errorf("store: s3: create bucket %q: %w", s.bucket, err)
}

func isNotInitialized(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && er.Code == "XMinioServerNotInitialized"
}

// mapErr maps S3 errors on key to the store sentinels, keeping the cause.
func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch {
		case er.Code == minio.NoSuchKey:
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		case er.Code == "PreconditionFailed" || er.StatusCode == http.StatusPreconditionFailed:
			return fmt.Errorf("%w: %q: %s", ErrPrecondition, key, er.Message)
		case er.StatusCode == http.StatusServiceUnavailable || er.Code == "XMinioServerNotInitialized" || er.Code == "SlowDown":
			return fmt.Errorf("%w: s3: %s %q: %w", ErrUnavailable, op, key, err)
		}
	}
	if isNetErr(err) {
		return fmt.Errorf("%w: s3: %s %q: %w", ErrUnavailable, op, key, err)
	}
	return fmt.Errorf("store: s3: %s %q: %w", op, key, err)
}

// isNetErr reports whether err is a failure to reach the server (refused,
// reset, timed out) rather than an answer from it.
func isNetErr(err error) bool {
	var (
		oe *net.OpError
		ue *url.Error
	)
	return errors.As(err, &oe) || errors.As(err, &ue) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// Get streams the object with a single GET.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Object{}, mapErr("get", key, err)
	}
	return body, objectFromInfo(key, info), nil
}

// GetRange streams part of the object with a ranged GET.
func (s *S3) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if offset < 0 {
		return nil, Object{}, fmt.Errorf("%w: negative offset %d of %q", ErrInvalidRange, offset, key)
	}
	if length == 0 {
		return s.emptyRange(ctx, key, offset, length)
	}
	if length > math.MaxInt64-offset {
		length = -1 // reaches past any possible end
	}
	var opts minio.GetObjectOptions
	var err error
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0) // bytes=offset-
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("store: s3: get %q: %w", key, err)
	}
	body, info, hdr, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) && (er.Code == "InvalidRange" || er.StatusCode == http.StatusRequestedRangeNotSatisfiable) {
			// S3 refuses a range starting at the size (or any range of an
			// empty object), which the port answers with an empty reader.
			return s.emptyRange(ctx, key, offset, length)
		}
		return nil, Object{}, mapErr("get", key, err)
	}
	obj := objectFromInfo(key, info)
	if cr := hdr.Get("Content-Range"); cr != "" {
		total, err := contentRangeTotal(cr)
		if err != nil {
			return nil, Object{}, errors.Join(fmt.Errorf("store: s3: get %q: %w", key, err), body.Close())
		}
		obj.Size = total
		return body, obj, nil
	}
	// No Content-Range: the server sent the whole object (no range asked
	// for, or the Range header ignored), so cut the range out here.
	n, err := clipRange(key, offset, length, obj.Size)
	if err != nil {
		return nil, Object{}, errors.Join(err, body.Close())
	}
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, body, offset); err != nil {
			return nil, Object{}, errors.Join(fmt.Errorf("store: s3: get %q: skip to %d: %w", key, offset, err), body.Close())
		}
	}
	return &ctxReadCloser{ctx: ctx, r: io.LimitReader(body, n), c: body}, obj, nil
}

// emptyRange answers a GetRange that covers no bytes after checking, with a
// HEAD, that the object exists and offset is within it.
func (s *S3) emptyRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	obj, err := s.stat(ctx, key, "")
	if err != nil {
		return nil, Object{}, err
	}
	n, err := clipRange(key, offset, length, obj.Size)
	if err != nil {
		return nil, Object{}, err
	}
	if n != 0 {
		// The object grew between the refused GET and the HEAD.
		return nil, Object{}, fmt.Errorf("store: s3: get %q: object changed during a range request", key)
	}
	return io.NopCloser(strings.NewReader("")), obj, nil
}

// contentRangeTotal returns the complete length from a Content-Range header
// such as "bytes 10-19/100".
func contentRangeTotal(h string) (int64, error) {
	_, total, ok := strings.Cut(h, "/")
	if !ok || !strings.HasPrefix(h, "bytes ") {
		return 0, fmt.Errorf("malformed Content-Range %q", h)
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("no complete length in Content-Range %q", h)
	}
	return n, nil
}

func objectFromInfo(key string, info minio.ObjectInfo) Object {
	return Object{
		Key:         key,
		Size:        info.Size,
		ETag:        strings.Trim(info.ETag, `"`),
		ModTime:     info.LastModified,
		ContentType: info.ContentType,
	}
}

// Stat returns the object's metadata with a HEAD request.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	return s.stat(ctx, key, "")
}

// stat HEADs key, requiring ETag etag when it is not empty.
func (s *S3) stat(ctx context.Context, key, etag string) (Object, error) {
	var opts minio.StatObjectOptions
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return Object{}, fmt.Errorf("store: s3: stat %q: %w", key, err)
		}
	}
	info, err := s.core.StatObject(ctx, s.bucket, key, opts)
	if err != nil {
		return Object{}, mapErr("stat", key, err)
	}
	return objectFromInfo(key, info), nil
}

// Delete removes the object; S3 treats a missing key as success.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := mapErr("delete", key, s.core.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Put streams r into the object. A body that fits in S3PartSize goes in one
// PUT; a larger or unknown-size body is sent as a multipart upload, holding
// one part in memory at a time.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if err := opts.check(); err != nil {
		return Object{}, err
	}
	popts := minio.PutObjectOptions{ContentType: contentTypeOrDefault(opts.ContentType), PartSize: S3PartSize}
	if opts.IfNoneMatch {
		popts.SetMatchETagExcept("*")
	}
	if opts.IfMatch != "" {
		popts.SetMatchETag(opts.IfMatch)
	}
	r = &ctxReadCloser{ctx: ctx, r: r}

	bufp, ok := s.bufs.Get().(*[]byte)
	if !ok {
		return Object{}, errors.New("store: s3: buffer pool corrupted")
	}
	defer s.bufs.Put(bufp)
	buf := *bufp

	// Read the first part; if the body ends within it, one PUT suffices.
	n, err := io.ReadFull(r, buf)
	var info minio.UploadInfo
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if opts.Size > 0 && int64(n) != opts.Size {
			return Object{}, fmt.Errorf("store: s3: put %q: body has %d bytes, expected %d", key, n, opts.Size)
		}
		info, err = s.core.PutObject(ctx, s.bucket, key, bytes.NewReader(buf[:n]), int64(n), md5Base64(buf[:n]), "", popts)
	case err != nil:
		return Object{}, fmt.Errorf("store: s3: put %q: read body: %w", key, err)
	default:
		info, err = s.putMultipart(ctx, key, r, buf, opts.Size, popts)
	}
	if err != nil {
		err = mapErr("put", key, err)
		if errors.Is(err, ErrPrecondition) && opts.IfMatch != "" {
			// MinIO may answer 412 for If-Match on a missing key; the port says not found.
			if _, serr := s.stat(ctx, key, ""); errors.Is(serr, ErrNotFound) {
				return Object{}, fmt.Errorf("%w: %q", ErrNotFound, key)
			}
		}
		return Object{}, err
	}
	return s.putResult(ctx, key, info, popts.ContentType), nil
}

// putResult builds Put's answer. S3 does not return the modification time on
// PUT, so it is read back with a HEAD bound to the new ETag; if the object
// has changed again since (or the HEAD fails), the write still succeeded and
// the local clock stands in.
func (s *S3) putResult(ctx context.Context, key string, info minio.UploadInfo, contentType string) Object {
	obj, err := s.stat(ctx, key, strings.Trim(info.ETag, `"`))
	if err == nil {
		return obj
	}
	return Object{Key: key, Size: info.Size, ETag: strings.Trim(info.ETag, `"`), ModTime: time.Now().UTC(), ContentType: contentType}
}

// putMultipart uploads first (a full part already read) and the rest of r
// as a multipart upload. The conditional headers in popts are sent on both
// the initiate and the complete request, so a create-once or If-Match write
// loses cleanly even if another writer finished in between.
func (s *S3) putMultipart(ctx context.Context, key string, r io.Reader, buf []byte, size int64, popts minio.PutObjectOptions) (info minio.UploadInfo, err error) {
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, key, popts)
	if err != nil {
		return minio.UploadInfo{}, err
	}
	defer func() {
		if err == nil {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if aerr := s.core.AbortMultipartUpload(actx, s.bucket, key, uploadID); aerr != nil {
			err = errors.Join(err, fmt.Errorf("abort multipart upload: %w", aerr))
		}
	}()

	var parts []minio.CompletePart
	var total int64
	n := len(buf) // the caller filled buf completely
	for num := 1; n > 0; num++ {
		if num > maxParts {
			return minio.UploadInfo{}, fmt.Errorf("body exceeds %d parts of %d bytes", maxParts, len(buf))
		}
		part, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, num, bytes.NewReader(buf[:n]), int64(n),
			minio.PutObjectPartOptions{Md5Base64: md5Base64(buf[:n])})
		if err != nil {
			return minio.UploadInfo{}, fmt.Errorf("upload part %d: %w", num, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: part.ETag})
		total += int64(n)
		if n < len(buf) {
			break // a short part is the last one
		}
		n, err = io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return minio.UploadInfo{}, fmt.Errorf("read body: %w", err)
		}
	}
	if size > 0 && total != size {
		return minio.UploadInfo{}, fmt.Errorf("body has %d bytes, expected %d", total, size)
	}
	info, err = s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, parts, popts)
	if err != nil {
		return minio.UploadInfo{}, err
	}
	info.Size = total
	return info, nil
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec // see import
	return base64.StdEncoding.EncodeToString(sum[:])
}

// List yields the objects under prefix in lexical (UTF-8 byte) order.
// It does not ask MinIO for each object's metadata (WithMetadata), which
// more than doubles the time of a LIST and which no caller reads: entries
// carry Key, Size, ETag and ModTime; ContentType may be empty (Stat has it).
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := ValidatePrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops the lister goroutine when the caller breaks early
		for info := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if info.Err != nil {
				yield(Object{}, mapErr("list", prefix, info.Err))
				return
			}
			if !yield(objectFromInfo(info.Key, info), nil) {
				return
			}
		}
		// The lister closes its channel on cancellation without an error.
		if err := ctx.Err(); err != nil {
			yield(Object{}, err)
		}
	}
}

// Ping checks that the bucket is reachable.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return mapErr("ping bucket", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("store: s3: bucket %q does not exist", s.bucket)
	}
	return nil
}
