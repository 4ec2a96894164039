package suggest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/store"
)

// processed runs images.Process over a small PNG of width w, as the web
// layer does before Submit.
func processed(t *testing.T, w int) images.Result {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, 20))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	res, err := images.Process(&buf, images.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return *res
}

// keysUnder lists the keys under prefix.
func keysUnder(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for obj, err := range st.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

func TestSubmitWithImages(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	b, err := s.CreateBox(ctx, "意见", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	gps, err := os.ReadFile("../images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	photo, err := images.Process(bytes.NewReader(gps), images.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	second := processed(t, 30)
	code, sg, err := s.Submit(ctx, b.ID, "", "楼道灯坏了，见图", *photo, second)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Images) != 2 || sg.Images[0] != (Image{N: 1, Width: photo.Width, Height: photo.Height}) || sg.Images[1].N != 2 {
		t.Fatalf("images %+v", sg.Images)
	}
	want := []string{
		imagePrefix + sg.Ref + "/1-thumb.jpg", imagePrefix + sg.Ref + "/1.jpg",
		imagePrefix + sg.Ref + "/2-thumb.jpg", imagePrefix + sg.Ref + "/2.jpg",
	}
	if got := keysUnder(t, st, imagePrefix); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("image keys %q, want %q", got, want)
	}

	// The receipt code finds them; the bytes are the processed copies.
	got, err := s.Lookup(ctx, code)
	if err != nil || len(got.Images) != 2 {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	rc, obj, err := s.Image(ctx, got.Ref, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	full, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full, photo.Full) || obj.ContentType != "image/jpeg" {
		t.Errorf("image 1: %d bytes, type %q", len(full), obj.ContentType)
	}
	for _, bad := range [][]byte{[]byte("Exif"), []byte("JinnangCam"), []byte("2026:05:01"), gps[len(gps)/2 : len(gps)/2+64]} {
		if bytes.Contains(full, bad) {
			t.Errorf("stored image holds %q", bad)
		}
	}
	thumb, err := s.Thumbnail(ctx, got.Ref, 2)
	if err != nil || !bytes.Equal(thumb, second.Thumb) {
		t.Errorf("thumbnail 2: %d bytes, %v", len(thumb), err)
	}
	for _, n := range []int{0, 3, MaxImages + 1} {
		if _, err := s.Thumbnail(ctx, got.Ref, n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("thumbnail %d: %v, want not found", n, err)
		}
	}
	if _, _, err := s.Image(ctx, "../"+got.Ref[3:], 1, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("malformed ref: %v", err)
	}
}

func TestSubmitRefusesUnprocessedOrTooManyImages(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	b, err := s.CreateBox(ctx, "意见", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := processed(t, 10)
	raw.Full = []byte("\x89PNG\r\n\x1a\n not re-encoded")
	four := []images.Result{processed(t, 10), processed(t, 11), processed(t, 12), processed(t, 13)}
	for name, imgs := range map[string][]images.Result{"raw": {raw}, "four": four} {
		if _, _, err := s.Submit(ctx, b.ID, "", "建议", imgs...); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if keys := keysUnder(t, st, "suggest/"); len(keys) != 2 || keys[1] != newestDone { // the box and the markers' flag
		t.Errorf("refused submits left objects: %q", keys)
	}
}

// failItems is a store whose suggestion records cannot be written.
type failItems struct{ store.Store }

func (f failItems) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if strings.HasPrefix(key, itemPrefix) {
		return store.Object{}, errors.New("disk full")
	}
	return f.Store.Put(ctx, key, r, opts)
}

func TestSubmitRemovesImagesWhenTheRecordFails(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	b, err := s.CreateBox(ctx, "意见", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.st = failItems{st}
	if _, _, err := s.Submit(ctx, b.ID, "", "建议", processed(t, 10)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("submit: %v, want the record's error", err)
	}
	if keys := keysUnder(t, st, imagePrefix); len(keys) != 0 {
		t.Errorf("images of a failed submit stayed: %q", keys)
	}
}
