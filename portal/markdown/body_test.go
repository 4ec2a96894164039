package markdown

import (
	"errors"
	"strings"
	"testing"
)

func TestRenderBody(t *testing.T) {
	r := New()
	html, err := r.RenderBody("a", []byte("**周五**停电\r\n\n- [链接](https://example.com)\n- [坏](javascript:alert(1))\n\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(html)
	for _, want := range []string{"<strong>周五</strong>停电", `<a href="https://example.com" rel="nofollow noopener">链接</a>`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script", "javascript:", "onerror", "<img"} {
		if strings.Contains(got, bad) {
			t.Errorf("unsafe %q survived in\n%s", bad, got)
		}
	}
	// No front matter is expected: a leading --- is a thematic break, not a header.
	html, err = r.RenderBody("b", []byte("---\n\n正文"))
	if err != nil || !strings.Contains(string(html), "<hr>") || !strings.Contains(string(html), "<p>正文</p>") {
		t.Errorf("leading rule: %q, %v", html, err)
	}
	if _, err := r.RenderBody("c", []byte(strings.Repeat("a", MaxSourceSize+1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := r.RenderBody("d", []byte(strings.Repeat(">", 5000)+" x")); !errors.Is(err, ErrTooComplex) {
		t.Errorf("too complex: %v", err)
	}
}
