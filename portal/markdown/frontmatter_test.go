package markdown

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFrontMatterErrors(t *testing.T) {
	r := New()
	tests := []struct {
		name    string
		src     string
		line    int
		msgPart string
	}{
		{"no front matter", "# 标题\n\n正文\n", 1, "missing front matter (--- title: … ---)"},
		{"empty file", "", 1, "missing front matter"},
		{"not closed", "---\ntitle: 报销\n\n正文\n", 1, "never closed"},
		{"bad date", "---\ntitle: 报销流程\nauthor: 王小明\ndate: 2026-13-01\n---\n正文\n", 4,
			`date "2026-13-01" is not a date (use YYYY-MM-DD)`},
		{"date is a list", "---\ntitle: t\ndate: [2026-01-01]\n---\n", 3, "date must be a date"},
		{"unknown key", "---\ntitle: t\ntitel: typo\n---\n", 3, `unknown key "titel" (allowed: title, summary,`},
		{"missing title", "---\nsummary: 无标题\n---\n正文\n", 1, "title is required"},
		{"empty front matter", "---\n---\n正文\n", 1, "title is required"},
		{"empty title", "---\nsummary: s\ntitle: \"  \"\n---\n", 3, "title is empty"},
		{"title is a mapping", "---\ntitle:\n  zh: 报销\n---\n", 3, "title must be text, found a mapping"},
		{"tags mapping", "---\ntitle: t\ntags:\n  a: b\n---\n", 4, "tags must be a list or a text"},
		{"tag entry not text", "---\ntitle: t\naudience:\n  - new-hire\n  - [x, y]\n---\n", 5,
			"each entry of audience must be text, found a list"},
		{"unknown audience", "---\ntitle: t\naudience: [new-hire, newhire]\n---\n", 3,
			`audience "newhire" is not one of new-hire, manager, all`},
		{"yaml syntax", "---\ntitle: t\nsummary: \"unterminated\n---\n", 3, "invalid YAML"},
		{"duplicate key", "---\ntitle: a\nauthor: x\ntitle: b\n---\n", 4, `"title" already defined at line 2`},
		{"alias", "---\ntitle: &t 报销\nsummary: *t\n---\n", 3, "aliases"},
		{"not a mapping", "---\n- title\n- t\n---\n", 2, "expected \"key: value\" lines, found a list"},
		{"BOM and CRLF keep lines", "\uFEFF---\r\ntitle: t\r\n\r\ndate: 2026/03/01\r\n---\r\n", 4,
			`date "2026/03/01" is not a date`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Parse("报销流程.md", []byte(tc.src))
			var fe *FrontMatterError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v (%T), want *FrontMatterError", err, err)
			}
			if fe.File != "报销流程.md" {
				t.Errorf("File = %q, want 报销流程.md", fe.File)
			}
			if fe.Line != tc.line {
				t.Errorf("Line = %d, want %d (error: %v)", fe.Line, tc.line, err)
			}
			if !strings.Contains(fe.Msg, tc.msgPart) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msgPart)
			}
		})
	}
}

func TestFrontMatterErrorString(t *testing.T) {
	src := "---\ntitle: 报销流程\nauthor: 王小明\ndate: 2026-13-01\n---\n"
	_, err := New().Parse("报销流程.md", []byte(src))
	want := `报销流程.md:4: front matter: date "2026-13-01" is not a date (use YYYY-MM-DD)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if got := (&FrontMatterError{File: "a.md", Msg: "m"}).Error(); got != "a.md: front matter: m" {
		t.Errorf("error without line = %q", got)
	}
}

func TestFrontMatterValues(t *testing.T) {
	r := New()
	tests := []struct {
		name string
		src  string
		want FrontMatter
	}{
		{
			name: "lists and plain date",
			src: "---\ntitle: 差旅报销\nsummary: 一步一步\ndepartment: 财务部\nauthor: 王小明\n" +
				"tags: [报销, 差旅]\naudience:\n  - new-hire\n  - manager\ndate: 2026-03-01\n---\n正文\n",
			want: FrontMatter{Title: "差旅报销", Summary: "一步一步", Department: "财务部", Author: "王小明",
				Tags: []string{"报销", "差旅"}, Audience: []string{"new-hire", "manager"},
				Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		},
		{
			name: "single strings, RFC 3339, BOM, CRLF",
			src:  "\uFEFF---\r\ntitle: \"入职指南\"\r\ntags: 新人\r\naudience: new-hire\r\ndate: 2026-03-01T09:30:00+08:00\r\n---\r\n正文\r\n",
			want: FrontMatter{Title: "入职指南", Tags: []string{"新人"}, Audience: []string{"new-hire"},
				Date: time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)},
		},
		{
			name: "Chinese separators split tags",
			src:  "---\ntitle: 报销\ntags: 报销，发票、差旅；出差; 财务\n---\n正文\n",
			want: FrontMatter{Title: "报销", Tags: []string{"报销", "发票", "差旅", "出差", "财务"}},
		},
		{
			name: "numbers keep their spelling, nulls are empty",
			src:  "---\ntitle: 2026\nsummary:\ntags: [1.50, true, \"  \"]\ndate: ~\n---\n",
			want: FrontMatter{Title: "2026", Tags: []string{"1.50", "true"}},
		},
		{
			name: "block text and trailing blanks on delimiters",
			src:  "--- \ntitle: t\nsummary: |\n  第一行\n  第二行\n---\t\n",
			want: FrontMatter{Title: "t", Summary: "第一行\n第二行"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := r.Parse("p.md", []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := doc.Meta
			if got.Title != tc.want.Title || got.Summary != tc.want.Summary ||
				got.Department != tc.want.Department || got.Author != tc.want.Author ||
				!slices.Equal(got.Tags, tc.want.Tags) || !slices.Equal(got.Audience, tc.want.Audience) ||
				!got.Date.Equal(tc.want.Date) {
				t.Errorf("Meta = %+v\nwant   %+v", got, tc.want)
			}
		})
	}
}

func TestBodyAfterFrontMatter(t *testing.T) {
	doc, err := New().Parse("p.md", []byte("---\ntitle: t\n---\n---\n\n正文"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// The second --- belongs to the body (a thematic break), not the header.
	if want := "<hr>\n<p>正文</p>\n"; string(doc.HTML) != want {
		t.Errorf("HTML = %q, want %q", doc.HTML, want)
	}
	if doc.Text != "正文" {
		t.Errorf("Text = %q, want 正文", doc.Text)
	}
}

func TestTooLarge(t *testing.T) {
	src := "---\ntitle: t\n---\n" + strings.Repeat("a", MaxSourceSize)
	_, err := New().Parse("big.md", []byte(src))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
}

func TestInvalidBytes(t *testing.T) {
	doc, err := New().Parse("b.md", []byte("---\ntitle: t\xff\n---\n中\xac文\x00\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if doc.Meta.Title != "t\uFFFD" || doc.Text != "中\uFFFD文\uFFFD" {
		t.Errorf("Title = %q, Text = %q; want invalid bytes and NUL as U+FFFD", doc.Meta.Title, doc.Text)
	}
}
