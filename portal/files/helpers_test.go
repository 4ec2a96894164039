package files

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

// flakyIndex fails writes while down is set, like a Meilisearch outage.
type flakyIndex struct {
	index.Index
	down atomic.Bool
}

func (f *flakyIndex) Upsert(ctx context.Context, docs ...index.Doc) error {
	if f.down.Load() {
		return errors.New("index unavailable")
	}
	return f.Index.Upsert(ctx, docs...)
}

func (f *flakyIndex) Delete(ctx context.Context, ids ...string) error {
	if f.down.Load() {
		return errors.New("index unavailable")
	}
	return f.Index.Delete(ctx, ids...)
}

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

func diskStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func minioStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewS3(context.Background(), miniotest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var backends = []backend{{"disk", diskStore}, {"minio", minioStore}}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newService(t *testing.T, st store.Store) (*Service, *flakyIndex) {
	t.Helper()
	bi, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bi.Close(); err != nil {
			t.Error(err)
		}
	})
	ix := &flakyIndex{Index: bi}
	return New(st, ix, quietLog()), ix
}

// zipOf builds a zip archive of name → content, in the given order.
func zipOf(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`

// docxOf builds a minimal valid DOCX with one paragraph per string.
func docxOf(t testing.TB, paragraphs ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range paragraphs {
		body.WriteString(`<w:p><w:r><w:t>` + p + `</w:t></w:r></w:p>`)
	}
	return zipOf(t,
		[2]string{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", xmlHead + `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			body.String() + `</w:body></w:document>`},
	)
}

// xlsxOf builds a minimal valid XLSX with one sheet holding cells as inline strings in column A.
func xlsxOf(t testing.TB, cells ...string) []byte {
	t.Helper()
	var rows strings.Builder
	for i, c := range cells {
		n := string(rune('1' + i))
		rows.WriteString(`<row r="` + n + `"><c r="A` + n + `" t="inlineStr"><is><t>` + c + `</t></is></c></row>`)
	}
	return zipOf(t,
		[2]string{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		[2]string{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		[2]string{"xl/workbook.xml", xmlHead + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="报销" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		[2]string{"xl/_rels/workbook.xml.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		[2]string{"xl/worksheets/sheet1.xml", xmlHead + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			rows.String() + `</sheetData></worksheet>`},
	)
}

func pngOf(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// genReader yields head and then filler bytes until n bytes in all, without
// holding them in memory.
type genReader struct {
	head []byte
	n    int64
	off  int64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	if rem := g.n - g.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	for i := range p {
		if at := g.off + int64(i); at < int64(len(g.head)) {
			p[i] = g.head[at]
		} else {
			p[i] = 'a' + byte(at%26)
		}
	}
	g.off += int64(len(p))
	return len(p), nil
}

// keys lists the store keys under prefix.
func keys(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	var out []string
	for obj, err := range st.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, obj.Key)
	}
	return out
}

func upload(t *testing.T, s *Service, in UploadInput) *File {
	t.Helper()
	if in.Department == "" {
		in.Department = "财务部"
	}
	if in.By == "" {
		in.By = "dev:wangmin"
	}
	f, err := s.Upload(context.Background(), in)
	if err != nil {
		t.Fatalf("upload %q: %v", in.Name, err)
	}
	return f
}

// hits returns the files that hold every word of text (search also lists
// partial matches after them; these tests are about what a file holds).
func hits(t *testing.T, s *Service, text string) []string {
	t.Helper()
	res, err := s.Search(context.Background(), index.Query{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hits {
		if h.Coverage == 1 {
			ids = append(ids, h.Doc.ID)
		}
	}
	return ids
}
