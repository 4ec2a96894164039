package markdown

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html from the current output")

// TestGolden renders every testdata/*.md and compares the sanitized HTML with
// testdata/*.golden.html. Run `go test -run Golden -update` to accept changes.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.md files")
	}
	r := New()
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := r.Parse(filepath.Base(file), src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertInert(t, string(doc.HTML))
			golden := strings.TrimSuffix(file, ".md") + ".golden.html"
			if *update {
				if err := os.WriteFile(golden, []byte(doc.HTML), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := string(doc.HTML); got != string(want) {
				t.Errorf("HTML differs from %s (run go test -update to accept)\ngot:\n%s", golden, got)
			}
		})
	}
}

func parseFile(t testing.TB, name string) Document {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := New().Parse(name, src)
	if err != nil {
		t.Fatalf("Parse %s: %v", name, err)
	}
	return doc
}

func TestChinesePack(t *testing.T) {
	doc := parseFile(t, "pack_zh.md")

	if doc.Meta.Title != "差旅报销流程" || doc.Meta.Department != "财务部" {
		t.Errorf("Meta = %+v", doc.Meta)
	}
	wantTOC := []Heading{
		{Level: 2, ID: "准备材料", Text: "准备材料"},
		{Level: 2, ID: "提交步骤", Text: "提交步骤"},
		{Level: 3, ID: "常见问题-faq", Text: "常见问题 FAQ"},
		{Level: 3, ID: "常见问题-faq-1", Text: "常见问题 FAQ"},
		{Level: 2, ID: "联系我们", Text: "联系我们"},
	}
	if len(doc.TOC) != len(wantTOC) {
		t.Fatalf("TOC = %+v, want %+v", doc.TOC, wantTOC)
	}
	for i, h := range doc.TOC {
		if h != wantTOC[i] {
			t.Errorf("TOC[%d] = %+v, want %+v", i, h, wantTOC[i])
		}
		// Every TOC entry must point at an id that survived sanitizing.
		if !strings.Contains(string(doc.HTML), ` id="`+h.ID+`"`) {
			t.Errorf("HTML has no id %q", h.ID)
		}
	}

	for _, want := range []string{
		`<h1 id="差旅报销流程">`,
		`<th align="center">是否必需</th>`,
		`<input checked="" disabled="" type="checkbox">`,
		`<input disabled="" type="checkbox">`,
		`<del>纸质原件</del>`,
		`<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`,
		`<li id="fn:1">`,
		`class="footnote-backref" role="doc-backlink"`,
		`<code class="language-go">`,
		`<a href="https://finance.example.com/expense" rel="nofollow noopener">财务系统</a>`,
		`<a href="mailto:finance@example.com" rel="nofollow noopener">`,
		// A line break between Chinese characters adds no space.
		`超期需要部门负责人审批。`,
	} {
		if !strings.Contains(string(doc.HTML), want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
}

func TestPlainText(t *testing.T) {
	doc := parseFile(t, "pack_zh.md")
	for _, want := range []string{
		"差旅报销流程\n出差回来后请在 30 天内 提交报销，超期需要部门负责人审批。系统入口见财务系统。\n准备材料\n",
		"发票\t是\t抬头须为公司全称\n",
		"纸质原件 电子版即可",
		"在 OA 中填写《差旅报销单》\n上传发票照片\n",
		"怎么办？答：",
		"// 报销金额按分计算，避免浮点误差\namount := 12345 // ¥123.45\n",
		"情况说明.docx",
		"照片须清晰、四角完整，金额与日期可辨认。",
	} {
		if !strings.Contains(doc.Text, want) {
			t.Errorf("Text lacks %q\nText:\n%s", want, doc.Text)
		}
	}
	for _, bad := range []string{"<", "**", "```", "|", "[^1]", "https://finance", "↩"} {
		if strings.Contains(doc.Text, bad) {
			t.Errorf("Text contains markup %q\nText:\n%s", bad, doc.Text)
		}
	}

	xss := parseFile(t, "xss.md")
	if strings.Contains(xss.Text, "<script") || strings.Contains(xss.Text, "onerror") {
		t.Errorf("raw HTML leaked into Text:\n%s", xss.Text)
	}
}

func TestHeadingIDs(t *testing.T) {
	src := "---\ntitle: t\n---\n" +
		"## 报销流程\n## 报销流程\n## 报销流程\n" +
		"## Hello World_Go--Fast\n" +
		"## 第 2 步：提交 **审批** [链接](https://example.com/x)\n" +
		"## ！？。\n" +
		"## Ünïcode Ｆｕｌｌ１\n" +
		"Setext 标题\n---\n"
	doc, err := New().Parse("ids.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"报销流程", "报销流程-1", "报销流程-2", "hello-world-go-fast",
		"第-2-步提交-审批-链接", "heading", "Ünïcode-Ｆｕｌｌ１", "setext-标题"}
	if len(doc.TOC) != len(want) {
		t.Fatalf("TOC = %+v", doc.TOC)
	}
	for i, h := range doc.TOC {
		if h.ID != want[i] {
			t.Errorf("TOC[%d].ID = %q, want %q", i, h.ID, want[i])
		}
		if !strings.Contains(string(doc.HTML), `<h2 id="`+h.ID+`">`) {
			t.Errorf("HTML lacks <h2 id=%q>", h.ID)
		}
	}
	if got := doc.TOC[4].Text; got != "第 2 步：提交 审批 链接" {
		t.Errorf("TOC text = %q", got)
	}
}

func TestTOCLevels(t *testing.T) {
	src := "---\ntitle: t\n---\n# 一\n## 二\n### 三\n#### 四\n##### 五\n> ## 引用里的标题\n"
	doc, err := New().Parse("toc.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var levels []int
	for _, h := range doc.TOC {
		levels = append(levels, h.Level)
	}
	if len(levels) != 3 || levels[0] != 2 || levels[1] != 3 || levels[2] != 4 {
		t.Errorf("TOC levels = %v, want [2 3 4]", levels)
	}
}

// TestXSS checks the attack file directly, not only through its golden file.
func TestXSS(t *testing.T) {
	doc := parseFile(t, "xss.md")
	out := string(doc.HTML)
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "onerror", "<iframe", "<object", "<style", "onclick", "style="} {
		if strings.Contains(lower, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	// Every attribute value, HTML-unescaped by the tokenizer and lowercased,
	// must be free of script and data URLs.
	forEachAttr(t, out, func(tag string, a html.Attribute) {
		v := strings.ToLower(a.Val)
		for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
			if strings.Contains(v, bad) {
				t.Errorf("<%s %s=%q> contains %s", tag, a.Key, a.Val, bad)
			}
		}
	})
	// What is allowed must survive.
	for _, want := range []string{
		`<a href="https://example.com/ok?a=1&amp;b=2" rel="nofollow noopener">allowed</a>`,
		`<a href="/packs/%E6%8A%A5%E9%94%80" rel="nofollow noopener">relative</a>`,
		`<a href="#heading">anchor</a>`,
		`<a href="mailto:a@example.com" rel="nofollow noopener">mail</a>`,
		// External images are not loaded (CSP): they become links.
		`<a href="https://example.com/a.png" rel="nofollow noopener">🖼 allowed image</a>`,
		`<img src="/assets/a.png" alt="relative image">`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

// forEachAttr calls fn for every attribute of every tag in fragment.
func forEachAttr(t testing.TB, fragment string, fn func(tag string, a html.Attribute)) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				t.Fatalf("tokenize output: %v", z.Err())
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				fn(tok.Data, a)
			}
		}
	}
}

// forbiddenTags may never appear in sanitized output.
var forbiddenTags = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true,
	"object": true, "embed": true, "applet": true, "form": true, "base": true,
	"link": true, "meta": true, "svg": true, "math": true, "template": true,
}

// urlAttrs hold URLs a browser may follow or load.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "cite": true, "action": true, "formaction": true,
	"poster": true, "background": true, "srcset": true, "data": true, "xlink:href": true,
}

// assertInert checks the sanitizer invariants on rendered output: no script
// or embedding elements, no event handlers or inline styles, and only
// http, https, mailto or relative URLs.
func assertInert(t testing.TB, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("output contains <script:\n%s", out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				t.Fatalf("tokenize output: %v", z.Err())
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			if forbiddenTags[tok.Data] {
				t.Fatalf("output contains <%s>:\n%s", tok.Data, out)
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" {
					t.Fatalf("output has attribute %s=%q:\n%s", a.Key, a.Val, out)
				}
				if urlAttrs[key] && !safeURL(a.Val) {
					t.Fatalf("output has unsafe URL %s=%q:\n%s", a.Key, a.Val, out)
				}
			}
		}
	}
}

// safeURL reports whether an (already unescaped) URL attribute is one the
// policy allows, reading it the lenient way a browser would: ASCII
// whitespace and control characters removed, scheme case-insensitive.
func safeURL(v string) bool {
	cleaned := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, v)
	lower := strings.ToLower(cleaned)
	for _, bad := range []string{"javascript:", "vbscript:", "data:", "file:"} {
		if strings.HasPrefix(lower, bad) {
			return false
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https", "mailto":
		return true
	}
	return false
}

func TestConcurrentParse(t *testing.T) {
	r := New()
	src, err := os.ReadFile(filepath.Join("testdata", "onboarding_zh.md"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Parse("a.md", src)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			doc, err := r.Parse("a.md", src)
			switch {
			case err != nil:
				errs <- err
			case doc.HTML != first.HTML || doc.Text != first.Text || len(doc.TOC) != len(first.TOC):
				errs <- errors.New("concurrent Parse gave a different result")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// FuzzParse checks that no input panics, that failures are the documented
// error kinds, and that the sanitizer invariants hold for any body.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"pack_zh.md", "onboarding_zh.md", "xss.md"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"<img src=x onerror=alert(1)>",
		"[x](javascript&colon;alert(1))",
		"[x](&#106;avascript:alert(1))",
		"<javascript:alert(1)>",
		"![x](data:image/svg+xml;base64,PHN2Zz4=)",
		"[a]: java\tscript:x\n\n[a]",
		"---\ntitle: [\n---\n",
		"---\ntitle: &a x\nsummary: *a\n---\n",
	} {
		f.Add([]byte(s))
	}
	r := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, err := r.Parse("fuzz.md", src); err != nil {
			var fe *FrontMatterError
			if !errors.As(err, &fe) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if fe != nil && (fe.File != "fuzz.md" || fe.Line < 1) {
				t.Fatalf("error lacks position: %#v", fe)
			}
		}
		body := append([]byte("---\ntitle: fuzz\n---\n"), src...)
		doc, err := r.Parse("fuzz.md", body)
		if err != nil {
			if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooComplex) {
				return
			}
			t.Fatalf("Parse with valid front matter: %v", err)
		}
		assertInert(t, string(doc.HTML))
		for _, h := range doc.TOC {
			if h.ID == "" || !bytes.Contains([]byte(doc.HTML), []byte(` id="`+html.EscapeString(h.ID)+`"`)) {
				t.Fatalf("TOC entry %+v has no anchor in output", h)
			}
		}
	})
}

// BenchmarkParse parses a realistic ~5 KB Chinese pack.
func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "onboarding_zh.md"))
	if err != nil {
		b.Fatal(err)
	}
	r := New()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Parse("onboarding_zh.md", src); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseWithImages(t *testing.T) {
	r := New()
	src := []byte("---\ntitle: 图\n---\n\n![截图](images/ab12.jpg) ![外链](https://img.example.com/x.png) ![深](images/a/b.jpg)\n")
	doc, err := r.ParseWith("p.md", src, Options{ImageBase: "/packimg/abc/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<img src="/packimg/abc/ab12.jpg" alt="截图">`, `<a href="https://img.example.com/x.png" rel="nofollow noopener">🖼 外链</a>`, `<img src="images/a/b.jpg" alt="深">`} {
		if !strings.Contains(string(doc.HTML), want) {
			t.Errorf("HTML lacks %s:\n%s", want, doc.HTML)
		}
	}
	if len(doc.ExternalImages) != 1 || doc.ExternalImages[0] != "https://img.example.com/x.png" {
		t.Errorf("external images %q", doc.ExternalImages)
	}
}

func TestComposeSplitRoundTrip(t *testing.T) {
	fm := FrontMatter{Title: "报销: 五步走 \"快\"", Summary: "#不是注释", Department: "财务部", Tags: []string{"报销", "a: b"},
		Author: "王敏", Audience: []string{"new-hire"}, Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	src, err := Compose(fm, "\n\n正文第一段。\n")
	if err != nil {
		t.Fatal(err)
	}
	got, body, err := Split("x.md", src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if got.Title != fm.Title || got.Summary != fm.Summary || strings.Join(got.Tags, "|") != "报销|a: b" || !got.Date.Equal(fm.Date) || got.Audience[0] != "new-hire" {
		t.Errorf("round trip: %+v\n%s", got, src)
	}
	if body != "正文第一段。\n" {
		t.Errorf("body %q", body)
	}
}

// TestTableScrollsInItsBox: a table sits in its own scroll box and keeps
// the column alignment of the --- row as an align attribute.
func TestTableScrollsInItsBox(t *testing.T) {
	html, err := New().RenderBody("t", []byte("| 项目 | 金额 |\n|---|---:|\n| 机票 | 1200 |\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{`<div class="table-scroll"><table>`, `</table></div>`, `<td align="right">1200</td>`} {
		if !strings.Contains(s, want) {
			t.Errorf("table HTML lacks %q:\n%s", want, s)
		}
	}
}
