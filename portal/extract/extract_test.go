package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTextRealFiles(t *testing.T) {
	for _, f := range realFiles {
		t.Run(f.name, func(t *testing.T) {
			b := readTestdata(t, f.name)
			mt := Sniff(head(b), f.name)
			if mt != f.mt {
				t.Fatalf("Sniff = %q, want %q", mt, f.mt)
			}
			got, err := textOf(t.Context(), b, mt, Limits{})
			if err != nil {
				t.Fatalf("Text: %v", err)
			}
			if !strings.Contains(got, f.sentence) {
				t.Fatalf("text lacks the sentence %q (keyword %s):\n%s", f.sentence, f.keyword, got)
			}
			if !utf8.ValidString(got) {
				t.Fatal("text is not valid UTF-8")
			}
		})
	}
}

// TestTextStructure checks the layout each format promises: rows and cells,
// sheet headings, slide order and notes, table cells, pages, headers.
func TestTextStructure(t *testing.T) {
	tests := []struct {
		file string
		want []string // in this order
		not  []string
	}{
		{"入职指南.docx", []string{"入职指南\n", "第二段：请在一周内完成信息安全培训。\n", "事项\t负责人\n开通邮箱\t信息技术部", "锦囊公司内部资料"}, nil},
		{"2026年报销单.xlsx", []string{"填写说明\n说明\n请在每张", "\n\n明细\n日期\t项目\t金额\n2026-01-05\t交通费\t128.5\t备注：发票抬头为公司全称\n2026-01-06\t住宿费\t460"}, nil},
		{"季度销售汇报.pptx", []string{"季度销售汇报\n本周五", "演讲备注：先讲华东区的数据。", "\n\n第二页：下季度计划\n重点客户拜访与新品推广"}, nil},
		{"差旅标准.pdf", []string{"差旅标准（2026 版）\n出差人员", "\n\n第二页：住宿费按城市分级报销。"}, nil},
		{"旧通知.txt", []string{"旧通知\n今年的"}, []string{"\r"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readTestdata(t, tt.file)
			got, err := textOf(t.Context(), b, Sniff(head(b), tt.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in\n%q", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("text contains %q:\n%q", n, got)
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...)
	elf, err := os.ReadFile(os.Args[0]) // the test binary itself
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	plainZip := buildZip(t, zipEntry{"a.txt", "hello"})
	// No word/ entry: only [Content_Types].xml says this is a Word document.
	ctOnly := buildZip(t, zipEntry{"[Content_Types].xml", strings.ReplaceAll(ctDocx, "/word/", "/doc/")}, zipEntry{"doc/document.xml", "<x/>"})
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"报销单.pdf", exe, "application/vnd.microsoft.portable-executable"},
		{"入职指南.docx", head(elf), "application/x-executable"},
		{"说明.txt", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), "text/html; charset=utf-8"},
		{"logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), "image/svg+xml"},
		{"photo.jpg", png, "image/png"},
		{"图片", jpeg, "image/jpeg"},
		{"文档.md", []byte("# 标题\n\n正文里有**加粗**。\n"), "text/markdown; charset=utf-8"},
		{"notes.MARKDOWN", []byte("plain words\n"), "text/markdown; charset=utf-8"},
		{"说明.md.exe", []byte("plain words\n"), "text/plain; charset=utf-8"},
		{"名单.csv", []byte("姓名,部门\n王敏,财务部\n李雷,人事部\n"), "text/csv; charset=utf-8"},
		{"名单.txt", []byte("姓名,部门\n王敏,财务部\n李雷,人事部\n"), "text/plain; charset=utf-8"},
		{"utf16.txt", []byte("\xff\xfeA\x00B\x00"), "text/plain; charset=utf-16le"},
		{"archive.zip", plainZip, "application/zip"},
		{"renamed.zip", head(readTestdata(t, "入职指南.docx")), typeDOCX},
		{"unknown", ctOnly, typeDOCX},
		{"empty.txt", nil, "application/octet-stream"},
		{"blob.txt", []byte{0, 1, 2, 3, 0xfe, 0xff, 0, 0}, "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.head, tt.name); got != tt.want {
				t.Fatalf("Sniff(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
	// A GB18030 head cut in the middle of a character is still GB18030.
	gb := readTestdata(t, "旧通知.txt")
	long := bytes.Repeat(gb, 100)
	if got := Sniff(long[:3071], "旧通知.txt"); got != "text/plain; charset=gb18030" {
		t.Fatalf("cut GB18030 head: %q", got)
	}
}

func TestTextUnsupported(t *testing.T) {
	for _, mt := range []string{"image/png", "application/zip", "text/html; charset=utf-8", "image/svg+xml", "", ";;"} {
		if _, err := textOf(t.Context(), []byte("x"), mt, Limits{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Text(%q) err = %v, want ErrUnsupported", mt, err)
		}
	}
}

func TestTextEncodings(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		mt   string
		want string
	}{
		{"utf8 bom crlf", []byte("\xef\xbb\xbf第一行\r\n第二行\r"), "text/plain; charset=utf-8", "第一行\n第二行"},
		{"utf16le bom", []byte("\xff\xfe\x2d\x4e\x87\x65"), "text/plain; charset=utf-16le", "中文"},
		{"gb18030 detected despite utf-8 label", readTestdata(t, "旧通知.txt"), "text/plain; charset=utf-8", "年会抽奖环节"},
		{"markdown", []byte("# 标题\n正文"), "text/markdown; charset=utf-8", "# 标题\n正文"},
		{"invalid bytes", []byte("ok \xff\xfe\xfd end"), "text/plain", "ok \ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := textOf(t.Context(), tt.in, tt.mt, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestMaxTextTruncates(t *testing.T) {
	for _, f := range realFiles {
		t.Run(f.name, func(t *testing.T) {
			b := readTestdata(t, f.name)
			got, err := textOf(t.Context(), b, f.mt, Limits{MaxText: 5})
			if err != nil {
				t.Fatalf("MaxText must truncate without error, got %v", err)
			}
			if n := utf8.RuneCountInString(got); n == 0 || n > 5 {
				t.Fatalf("got %d runes (%q), want 1..5", n, got)
			}
		})
	}
}

func TestPageLimits(t *testing.T) {
	tests := []struct {
		file       string
		want, drop string
	}{
		{"差旅标准.pdf", "差旅补贴标准", "第二页"},
		{"季度销售汇报.pptx", "季度复盘会", "下季度计划"},
		{"2026年报销单.xlsx", "报销单编号", "住宿费"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readTestdata(t, tt.file)
			got, err := textOf(t.Context(), b, Sniff(head(b), tt.file), Limits{MaxPages: 1})
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			if !strings.Contains(got, tt.want) || strings.Contains(got, tt.drop) {
				t.Fatalf("partial text %q: want %q and not %q", got, tt.want, tt.drop)
			}
		})
	}
}

func TestExpiredContext(t *testing.T) {
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	canceled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	for _, f := range realFiles {
		t.Run(f.name, func(t *testing.T) {
			b := readTestdata(t, f.name)
			got, err := textOf(expired, b, f.mt, Limits{})
			if !errors.Is(err, ErrLimit) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("expired: err = %v, want ErrLimit and DeadlineExceeded", err)
			}
			if got != "" {
				t.Fatalf("expired: got text %q", got)
			}
			_, err = textOf(canceled, b, f.mt, Limits{})
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrLimit) {
				t.Fatalf("canceled: err = %v, want context.Canceled only", err)
			}
		})
	}
}

func TestMaxInput(t *testing.T) {
	b := readTestdata(t, "入职指南.docx")
	if _, err := textOf(t.Context(), b, typeDOCX, Limits{MaxInput: 1000}); !errors.Is(err, ErrLimit) {
		t.Fatalf("docx over MaxInput: err = %v, want ErrLimit", err)
	}
	txt := []byte(strings.Repeat("门禁卡挂失。", 100))
	got, err := textOf(t.Context(), txt, "text/plain; charset=utf-8", Limits{MaxInput: 30})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("text over MaxInput: err = %v, want ErrLimit", err)
	}
	if got != "门禁卡挂失。门禁卡挂" { // 30 bytes = 10 runes of 3 bytes

		t.Fatalf("partial text = %q", got)
	}
}

func TestZipBomb(t *testing.T) {
	lim := Limits{MaxUncompressed: 8 << 20}
	t.Run("honest sizes", func(t *testing.T) {
		b := bombDocx(t, "开头段落里有入职引导人", 200, false) // 200 MiB inflated
		if len(b) > 1<<20 {
			t.Fatalf("bomb is %d bytes; expected it to compress well", len(b))
		}
		if mt := Sniff(head(b), "bomb.docx"); mt != typeDOCX {
			t.Fatalf("Sniff = %q", mt)
		}
		got, err := textOf(t.Context(), b, typeDOCX, lim)
		// The 200 MiB of whitespace are one XML token: cut at the token bound.
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "token longer than") {
			t.Fatalf("err = %v, want ErrLimit for an over-long token", err)
		}
		if got != "开头段落里有入职引导人" {
			t.Fatalf("partial text = %q", got)
		}
	})
	t.Run("honest and small enough", func(t *testing.T) {
		b := bombDocx(t, "开头", 2, false)
		lim := lim
		lim.MaxText = 1 << 20 // tokens of up to 4 MiB may pass
		got, err := textOf(t.Context(), b, typeDOCX, lim)
		if err == nil || errors.Is(err, ErrLimit) || got != "开头" {
			// The document never closes: a parse error, not a limit.
			t.Fatalf("got %q, err = %v; want the text and a parse error", got, err)
		}
	})
	t.Run("declared small", func(t *testing.T) {
		b := bombDocx(t, "开头", 200, true)
		if _, err := textOf(t.Context(), b, typeDOCX, Limits{}); err == nil {
			t.Fatal("no error for an entry longer than declared")
		}
	})
}

// TestZipBombStopsAtTextLimit: a small DOCX whose one text run inflates to
// far more than the inflate budget gives the first MaxText characters and
// no error (the text limit is not a failure), reading only about as much as
// the text limit can keep, not the whole run.
func TestZipBombStopsAtTextLimit(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []zipEntry{{"[Content_Types].xml", ctDocx}} {
		w, _ := zw.Create(e.name)
		io.WriteString(w, e.body)
	}
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<w:document `+wordNS+`><w:body><w:p><w:r><w:t>`)
	run := bytes.Repeat([]byte("锦囊&amp;"), 1<<16)
	for range 48 { // 48 × 704 KiB ≈ 33 MiB of text in one run
		w.Write(run)
	}
	io.WriteString(w, `</w:t></w:r></w:p></w:body></w:document>`)
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	got, err := textOf(t.Context(), buf.Bytes(), typeDOCX, Limits{MaxUncompressed: 8 << 20, MaxText: 200_000})
	if err != nil {
		t.Fatalf("err = %v, want none: the text limit was reached", err)
	}
	if n := utf8.RuneCountInString(got); n != 200_000 || !strings.HasPrefix(got, "锦囊&锦囊&") {
		t.Fatalf("got %d runes starting %q, want 200000 of the run", n, got[:min(len(got), 20)])
	}
}

func TestAdversarialZips(t *testing.T) {
	many := []zipEntry{{"[Content_Types].xml", ctDocx}, {"word/document.xml", `<w:document ` + wordNS + `/>`}}
	for i := range 60 {
		many = append(many, zipEntry{fmt.Sprintf("word/media/%d.bin", i), "x"})
	}
	real := readTestdata(t, "入职指南.docx")
	deep := `<w:document ` + wordNS + `><w:body>` + strings.Repeat("<w:p>", 5000) + strings.Repeat("</w:p>", 5000) + `</w:body></w:document>`
	nested := buildZip(t, zipEntry{"inner.txt", "x"})
	tests := []struct {
		name    string
		in      []byte
		mt      string
		lim     Limits
		limit   bool   // errors.Is(err, ErrLimit)
		errText string // substring of the error
	}{
		{"too many entries", buildZip(t, many...), typeDOCX, Limits{MaxEntries: 50}, true, "entries"},
		{"truncated zip", real[:len(real)/2], typeDOCX, Limits{}, false, "zip"},
		{"not a zip", []byte("PK\x03\x04 but nothing else"), typeXLSX, Limits{}, false, "zip"},
		{"deep xml", docxWith(t, deep), typeDOCX, Limits{}, false, "deeper"},
		{"nested zip as document", docxWith(t, string(nested)), typeDOCX, Limits{}, false, "nested zip"},
		{"no main part", buildZip(t, zipEntry{"[Content_Types].xml", ctDocx}), typeDOCX, Limits{}, false, "no main document"},
		{"malformed xml", docxWith(t, `<w:document `+wordNS+`><w:body><w:p><w:t>半句`), typeDOCX, Limits{}, false, "parse"},
		{"pptx without slides", buildZip(t, zipEntry{"ppt/presentation.xml", "<p:presentation/>"}), typePPTX, Limits{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := textOf(t.Context(), tt.in, tt.mt, tt.lim)
			t.Logf("err: %v", err)
			if tt.errText == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.errText)
			}
			if errors.Is(err, ErrLimit) != tt.limit {
				t.Fatalf("errors.Is(err, ErrLimit) = %v, want %v (err %v)", !tt.limit, tt.limit, err)
			}
		})
	}
}

func TestXLSXHugeSharedStringCount(t *testing.T) {
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4294967295" uniqueCount="4294967295">` +
		`<si><t>请在发票背面填写报销单编号</t></si><si><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふりがな</t></rPh></si></sst>`
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>99999999</v></c></row>` +
		`<row r="2"><c r="A2"><v>3.5</v></c><c r="B2" t="inlineStr"><is><t>内联</t></is></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="str"><f>A2*2</f><v>7</v></c></row>` +
		`</sheetData></worksheet>`
	b := buildZip(t,
		zipEntry{"[Content_Types].xml", `<Types/>`},
		zipEntry{"xl/workbook.xml", `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表一" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		zipEntry{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/></Relationships>`},
		zipEntry{"xl/sharedStrings.xml", sst},
		zipEntry{"xl/worksheets/sheet1.xml", sheet},
	)
	got, err := textOf(t.Context(), b, typeXLSX, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "表一\n请在发票背面填写报销单编号\t富文本\n3.5\t内联\tTRUE\t7"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A huge number of real entries stops at the inflate budget.
	big := strings.Repeat("<si><t>x</t></si>", 200_000)
	b = buildZip(t,
		zipEntry{"xl/workbook.xml", `<workbook/>`},
		zipEntry{"xl/sharedStrings.xml", `<sst>` + big + `</sst>`},
		zipEntry{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	)
	if _, err := textOf(t.Context(), b, typeXLSX, Limits{MaxUncompressed: 1 << 20}); !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
}

func TestMalformedPDFs(t *testing.T) {
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7 + i/13)
	}
	pdf := readTestdata(t, "差旅标准.pdf")
	tests := map[string][]byte{
		"header only":          []byte("%PDF-1.4\n"),
		"garbage after header": append([]byte("%PDF-1.4\n"), garbage...),
		"garbage with trailer": append(append([]byte("%PDF-1.4\n"), garbage...), []byte("\nstartxref\n9\n%%EOF\n")...),
		"bad startxref":        append(append([]byte("%PDF-1.4\n"), garbage...), []byte("\nstartxref\n999999999\n%%EOF\n")...),
		"truncated":            pdf[:len(pdf)/2],
		"no pages":             minimalPDF("<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[]/Count 0>>"),
		"cyclic page tree":     minimalPDF("<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[2 0 R 2 0 R]/Count 1>>"),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := textOf(t.Context(), b, typePDF, Limits{})
			t.Logf("err: %v", err)
			if err == nil {
				t.Fatalf("no error, text %q", got)
			}
			if !strings.Contains(err.Error(), "PDF") || !utf8.ValidString(err.Error()) {
				t.Fatalf("error does not say PDF: %v", err)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	for _, name := range []string{"入职指南.docx", "2026年报销单.xlsx", "季度销售汇报.pptx"} {
		f.Add(readTestdata(f, name), uint8(0))
	}
	f.Add(docxWith(f, `<w:document `+wordNS+`><w:body><w:p><w:r><w:t>短</w:t></w:r></w:p></w:body></w:document>`), uint8(0))
	f.Add(readTestdata(f, "差旅标准.pdf"), uint8(3))
	f.Add([]byte("PK\x03\x04"), uint8(1))
	types := []string{typeDOCX, typeXLSX, typePPTX, typePDF, "text/plain"}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		mt := types[int(which)%len(types)]
		lim := Limits{MaxText: 1000, MaxUncompressed: 4 << 20, Timeout: 2 * time.Second}
		got, _ := textOf(context.Background(), b, mt, lim)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %s", mt)
		}
		if n := utf8.RuneCountInString(got); n > lim.MaxText {
			t.Fatalf("%d runes, over MaxText", n)
		}
		if Sniff(b, "x") == "" {
			t.Fatal("Sniff returned no type")
		}
	})
}

func BenchmarkText(b *testing.B) {
	for _, f := range realFiles {
		data := readTestdata(b, f.name)
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := textOf(context.Background(), data, f.mt, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// minimalPDF builds a PDF from objects 1..n with a correct xref table.
func minimalPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func pdfStream(s string) string {
	return fmt.Sprintf("<</Length %d>>\nstream\n%s\nendstream", len(s), s)
}

func TestHandMadePDFs(t *testing.T) {
	font := "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"
	tests := []struct {
		name string
		pdf  []byte
		want string
	}{
		{"latin words and lines", minimalPDF(
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Kids[3 0 R]/Count 1/Resources<</Font<</F1 5 0 R>>>>>>",
			"<</Type/Page/Parent 2 0 R/Contents 4 0 R>>",
			pdfStream("BT /F1 12 Tf 72 720 Td (Travel) Tj 40 0 Td (allowance) Tj ET BT /F1 12 Tf 72 700 Td [(per)-300(diem)] TJ T* (next) Tj ET"),
			font,
		), "Travel allowance\nper diem\nnext"},
		{"cyclic Parent chain", minimalPDF(
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Kids[3 0 R]/Count 1/Parent 2 0 R>>",
			"<</Type/Page/Parent 2 0 R/Contents 4 0 R>>",
			pdfStream("BT /F1 12 Tf 72 720 Td (no font resources) Tj ET"),
		), "no font resources"}, // bounded Parent walk; PDFDocEncoding without a font
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := textOf(t.Context(), tt.pdf, typePDF, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
