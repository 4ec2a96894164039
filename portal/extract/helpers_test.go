package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// realFile is one committed test document and what its text must contain.
type realFile struct {
	name     string
	mt       string // media type Sniff must return
	keyword  string
	sentence string // the keyword's sentence, which must survive intact
}

var realFiles = []realFile{
	{"入职指南.docx", typeDOCX, "入职引导人", "新员工第一天由入职引导人带领参观办公区并领取电脑。"},
	{"2026年报销单.xlsx", typeXLSX, "报销单编号", "请在每张发票背面填写报销单编号并交财务部复核。"},
	{"季度销售汇报.pptx", typePPTX, "季度复盘会", "本周五下午召开季度复盘会讨论销售目标。"},
	{"差旅标准.pdf", typePDF, "差旅补贴标准", "出差人员按差旅补贴标准每日领取餐费补助。"},
	{"说明.txt", "text/plain; charset=utf-8", "门禁卡挂失", "如需办理门禁卡挂失请联系行政前台，工作日九点到六点。"},
	{"旧通知.txt", "text/plain; charset=gb18030", "年会抽奖环节", "今年的年会抽奖环节将在晚宴后进行，请大家准时参加。"},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// head returns the first 3 KB, what callers pass to Sniff.
func head(b []byte) []byte { return b[:min(len(b), 3072)] }

// textOf runs Text over b with the given limits.
func textOf(ctx context.Context, b []byte, mt string, lim Limits) (string, error) {
	return Text(ctx, bytes.NewReader(b), int64(len(b)), mt, lim)
}

// zipEntry is one file of a zip built by the tests.
type zipEntry struct {
	name string
	body string
}

// buildZip writes the entries (deflated) into a zip.
func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	ctDocx = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
)

// docxWith builds a minimal DOCX whose document.xml is doc.
func docxWith(t testing.TB, doc string, more ...zipEntry) []byte {
	t.Helper()
	entries := append([]zipEntry{
		{"[Content_Types].xml", ctDocx},
		{"word/document.xml", doc},
	}, more...)
	return buildZip(t, entries...)
}

// deflateBlock compresses b with a fresh writer and a sync flush: the bytes
// are a byte-aligned, non-final run of deflate blocks that refer only to
// themselves, so copies of it can be concatenated into one stream.
func deflateBlock(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// bombDocx builds a DOCX whose document.xml is a paragraph holding prefix
// followed by mib MiB of spaces: about 1 KB of deflate per MiB, built by
// repeating one compressed 1 MiB block. With lie the headers declare the
// entry as 1 KB.
func bombDocx(t testing.TB, prefix string, mib int, lie bool) []byte {
	t.Helper()
	start := []byte(`<w:document ` + wordNS + `><w:body><w:p><w:r><w:t>` + prefix + `</w:t></w:r></w:p>`)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	block := deflateBlock(t, chunk)
	comp := bytes.NewBuffer(deflateBlock(t, start))
	crc := crc32.Update(0, crc32.IEEETable, start)
	for range mib {
		comp.Write(block)
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	comp.Write([]byte{0x03, 0x00}) // final empty fixed-Huffman block
	size := uint64(len(start)) + uint64(mib)<<20
	if lie {
		size = 1024
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("[Content_Types].xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, ctDocx); err != nil {
		t.Fatal(err)
	}
	raw, err := zw.CreateRaw(&zip.FileHeader{
		Name: "word/document.xml", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: size,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
