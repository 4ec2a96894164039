package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
)

// TestPackShareCard: a pack page carries the og: card chat apps read (title,
// summary as description, article type) and escapes what the editor wrote;
// a pack without a summary is described by the start of its text.
func TestPackShareCard(t *testing.T) {
	ts := newTestServer(t, nil)
	body := do(ts, http.MethodGet, "/packs/expense-claims", nil).Body.String()
	for _, want := range []string{
		`<meta property="og:title" content="差旅报销流程">`,
		`<meta property="og:description" content="报销单怎么填，发票怎么贴，多久到账。">`,
		`<meta name="description" content="报销单怎么填，发票怎么贴，多久到账。">`,
		`<meta property="og:type" content="article">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("pack page lacks %s", want)
		}
	}
	if home := do(ts, http.MethodGet, "/", nil).Body.String(); strings.Contains(home, "og:title") {
		t.Error("home carries a pack's share card")
	}

	ts.packs.packs = append(ts.packs.packs, &packs.Pack{
		Slug: "xss-card",
		Meta: markdown.FrontMatter{Title: `<script>alert(1)</script>"x"`, Department: "技术部"},
		HTML: `<h2>说明</h2><p>第一段<strong>很重要</strong>的说明。</p>`,
		ETag: "etag-xss",
	})
	body = do(ts, http.MethodGet, "/packs/xss-card", nil).Body.String()
	if strings.Contains(body, `<script>alert(1)`) {
		t.Error("a title with <script> reached the page unescaped")
	}
	if !strings.Contains(body, `<meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt;&#34;x&#34;">`) {
		t.Errorf("escaped og:title missing:\n%s", head(body))
	}
	if !strings.Contains(body, `<meta property="og:description" content="说明 第一段很重要的说明。">`) {
		t.Errorf("no summary: the description is not the start of the text:\n%s", head(body))
	}
}

func head(s string) string {
	if i := strings.Index(s, "</head>"); i > 0 {
		return s[:i]
	}
	return s
}
