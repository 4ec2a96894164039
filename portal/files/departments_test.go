package files

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/jinnang/jinnang/portal/store"
)

func seedIntros(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../content/departments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var intros map[string]string
	if err := yaml.Unmarshal(b, &intros); err != nil {
		t.Fatal(err)
	}
	return intros
}

func TestSeedFile(t *testing.T) {
	intros := seedIntros(t)
	var names []string
	for name, intro := range intros {
		names = append(names, name)
		if !strings.Contains(intro, name) || !strings.Contains(intro, "问我们") || strings.ContainsAny(intro, "\n") || strings.Contains(intro, "， ") {
			t.Errorf("%s: intro should be one paragraph saying what the department does and what to ask: %q", name, intro)
		}
	}
	if len(names) != 5 {
		t.Errorf("departments = %v, want the five samples", names)
	}
	for _, n := range []string{"人力资源部", "财务部", "技术部", "销售部", "行政部"} {
		if intros[n] == "" {
			t.Errorf("seed has no intro for %s", n)
		}
	}
}

func TestDepartments(t *testing.T) {
	st := diskStore(t)
	s, _ := newService(t, st)
	ctx := context.Background()
	intros := seedIntros(t)
	if err := s.SeedDepartments(ctx, intros); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDepartment(ctx, Department{Name: " 财务部 ", Intro: "报销找我们。\n\x07"}); err != nil {
		t.Fatal(err)
	}
	// Seeding again creates nothing and overwrites nothing.
	if err := s.SeedDepartments(ctx, intros); err != nil {
		t.Fatal(err)
	}
	all, err := s.Departments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range all {
		names = append(names, d.Name)
	}
	if !slices.IsSorted(names) || len(names) != 5 {
		t.Errorf("Departments = %v, want 5 sorted by name", names)
	}
	fin, err := s.Department(ctx, "财务部")
	if err != nil || fin.Intro != "报销找我们。" || fin.HasQR {
		t.Errorf("Department(财务部) = %+v, %v", fin, err)
	}
	if _, err := s.Department(ctx, "不存在部"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown department: %v", err)
	}
	if _, err := s.Department(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty department name: %v", err)
	}
	if err := s.SaveDepartment(ctx, Department{Name: "  "}); err == nil {
		t.Error("SaveDepartment accepted an empty name")
	}

	// QR images: PNG or JPEG only, ≤ 2 MiB.
	qr := pngOf(t)
	if err := s.SetDepartmentQR(ctx, "财务部", bytes.NewReader(qr)); err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDepartmentQR(ctx, "新部门", &jpg); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body io.Reader
		want error
	}{
		{strings.NewReader("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrType},
		{strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ErrType},
		{strings.NewReader(""), ErrEmpty},
		{&genReader{head: qr, n: 2<<20 + 1}, ErrTooLarge},
	} {
		if err := s.SetDepartmentQR(ctx, "技术部", c.body); !errors.Is(err, c.want) {
			t.Errorf("SetDepartmentQR: err = %v, want %v", err, c.want)
		}
	}
	rc, obj, err := s.DepartmentQR(ctx, "财务部")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	// Re-encoded, not kept as uploaded: the same pixels in a fresh PNG.
	if err != nil || obj.ContentType != "image/png" {
		t.Errorf("DepartmentQR: %d bytes, type %q, %v", len(got), obj.ContentType, err)
	}
	if a, b := decodePNG(t, qr), decodePNG(t, got); a.Bounds() != b.Bounds() || !samePixels(a, b) {
		t.Errorf("the stored QR has other pixels than the upload")
	}
	// A polyglot (a PNG with a web page appended) is refused.
	if err := s.SetDepartmentQR(ctx, "技术部", io.MultiReader(bytes.NewReader(qr), strings.NewReader("<html><script>alert(1)</script>"))); !errors.Is(err, ErrType) {
		t.Errorf("polyglot QR: %v, want ErrType", err)
	}
	if _, _, err := s.DepartmentQR(ctx, "技术部"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("QR of a department without one: %v", err)
	}
	all, err = s.Departments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withQR := map[string]bool{}
	for _, d := range all {
		withQR[d.Name] = d.HasQR
	}
	if len(all) != 6 || !withQR["财务部"] || !withQR["新部门"] || withQR["技术部"] {
		t.Errorf("Departments after QR uploads = %+v", all)
	}
	fin, err = s.Department(ctx, "财务部")
	if err != nil || !fin.HasQR || fin.Intro != "报销找我们。" {
		t.Errorf("Department(财务部) after QR = %+v, %v", fin, err)
	}
	// Editing the intro keeps the QR.
	if err := s.SaveDepartment(ctx, Department{Name: "财务部", Intro: "新的介绍"}); err != nil {
		t.Fatal(err)
	}
	if fin, err = s.Department(ctx, "财务部"); err != nil || !fin.HasQR || fin.Intro != "新的介绍" {
		t.Errorf("after intro edit: %+v, %v", fin, err)
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func samePixels(a, b image.Image) bool {
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
				return false
			}
		}
	}
	return true
}
