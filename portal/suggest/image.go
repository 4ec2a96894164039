package suggest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/store"
)

// MaxImages bounds the images attached to one suggestion.
const MaxImages = 3

const (
	// imagePrefix holds the images of suggestions, one folder per ref: they
	// live in the suggestion's own key space, named by the HMAC of its
	// receipt code and by their position only (no time, no file name).
	imagePrefix = "suggest/images/"
	// maxThumb bounds a thumbnail read back for the follow-up page.
	maxThumb = 1 << 20
	// cleanupTimeout bounds the removal of the images of a failed submit.
	cleanupTimeout = 30 * time.Second
)

// Image describes one stored image of a suggestion: a re-encoded JPEG
// without metadata and its square thumbnail. N counts from 1.
type Image struct {
	N      int `json:"n"`
	Width  int `json:"w"`
	Height int `json:"h"`
}

// imageKey is the store key of image n of the suggestion ref.
func imageKey(ref string, n int) string { return fmt.Sprintf("%s%s/%d.jpg", imagePrefix, ref, n) }

// thumbKey is the store key of the thumbnail of image n of the suggestion ref.
func thumbKey(ref string, n int) string {
	return fmt.Sprintf("%s%s/%d-thumb.jpg", imagePrefix, ref, n)
}

// errDiscard marks a failure to remove the images of a failed submit: the
// submit must not be retried over them.
var errDiscard = errors.New("suggest: could not remove the images of a failed submit")

// jpegSOI starts every JPEG.
var jpegSOI = []byte{0xFF, 0xD8, 0xFF}

// checkImages accepts only what images.Process makes: at most MaxImages
// re-encoded JPEGs, each with a thumbnail. The original upload never
// reaches this package.
func checkImages(imgs []images.Result) error {
	if len(imgs) > MaxImages {
		return fmt.Errorf("%w: %d images, more than %d", ErrInvalid, len(imgs), MaxImages)
	}
	for i, img := range imgs {
		if !bytes.HasPrefix(img.Full, jpegSOI) || !bytes.HasPrefix(img.Thumb, jpegSOI) || img.Width <= 0 || img.Height <= 0 {
			return fmt.Errorf("%w: image %d is not a processed JPEG", ErrInvalid, i+1)
		}
	}
	return nil
}

// putImages stores the images of the suggestion ref, create-once, and
// describes them. On failure it removes what it wrote; the error wraps
// store.ErrPrecondition when an image already existed under ref.
func (s *Service) putImages(ctx context.Context, ref string, imgs []images.Result) ([]Image, []string, error) {
	var (
		out     []Image
		written []string
	)
	for i, img := range imgs {
		n := i + 1
		for _, o := range []struct {
			key string
			b   []byte
		}{{imageKey(ref, n), img.Full}, {thumbKey(ref, n), img.Thumb}} {
			_, err := s.st.Put(ctx, o.key, bytes.NewReader(o.b), store.PutOptions{
				ContentType: "image/jpeg", Size: int64(len(o.b)), IfNoneMatch: true})
			if err != nil {
				err = fmt.Errorf("store image %d: %w", n, err)
				return nil, nil, errors.Join(err, s.discard(ctx, written))
			}
			written = append(written, o.key)
		}
		out = append(out, Image{N: n, Width: img.Width, Height: img.Height})
	}
	return out, written, nil
}

// discard removes the objects of a failed submit, even when ctx is
// cancelled.
func (s *Service) discard(ctx context.Context, keys []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, k := range keys {
		if err := s.st.Delete(ctx, k); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", k, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", errDiscard, errors.Join(errs...))
	}
	return nil
}

// Image opens image n (from 1) of the suggestion ref, or its thumbnail: a
// JPEG without metadata. It is for the handling team (who know the ref);
// the caller checks who asks. A missing image wraps store.ErrNotFound.
func (s *Service) Image(ctx context.Context, ref string, n int, thumb bool) (io.ReadCloser, store.Object, error) {
	if !validRef(ref) || n < 1 || n > MaxImages {
		return nil, store.Object{}, fmt.Errorf("suggest: image %d of %q: %w", n, ref, store.ErrNotFound)
	}
	key := imageKey(ref, n)
	if thumb {
		key = thumbKey(ref, n)
	}
	rc, obj, err := s.st.Get(ctx, key)
	if err != nil {
		return nil, store.Object{}, fmt.Errorf("suggest: image %d of %s: %w", n, ref, err)
	}
	return rc, obj, nil
}

// Thumbnail returns the bytes of the thumbnail of image n of the suggestion
// ref (at most 1 MiB), for pages that inline it.
func (s *Service) Thumbnail(ctx context.Context, ref string, n int) ([]byte, error) {
	rc, _, err := s.Image(ctx, ref, n, true)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxThumb+1))
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("suggest: thumbnail %d of %s: %w", n, ref, err)
	case len(b) > maxThumb:
		return nil, fmt.Errorf("suggest: thumbnail %d of %s is over %d bytes", n, ref, maxThumb)
	}
	return b, nil
}
