package web

import (
	"html/template"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
)

// TestSnippetHTMLMatchesTemplate: the snippet func writes exactly what the
// template range it replaced wrote, for text html/template escapes.
func TestSnippetHTMLMatchesTemplate(t *testing.T) {
	old := template.Must(template.New("").Parse(`<p>{{range .}}{{if .Hit}}<mark>{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}</p>`))
	now := template.Must(template.New("").Funcs(template.FuncMap{"snippetHTML": snippetHTML}).Parse(`<p>{{snippetHTML .}}</p>`))
	cases := [][]index.Span{
		nil,
		{{Text: "报销"}},
		{{Text: "…发票", Hit: false}, {Text: "报销", Hit: true}, {Text: "要多久"}},
		{{Text: `<script>alert("x" + 'y')</script> & more`, Hit: true}, {Text: "a\x00b<>&\"'+"}},
		{{Text: "", Hit: true}, {Text: "Wi-Fi 密码", Hit: true}},
	}
	for _, spans := range cases {
		var want, got strings.Builder
		if err := old.Execute(&want, spans); err != nil {
			t.Fatal(err)
		}
		if err := now.Execute(&got, spans); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("spans %v:\n got %s\nwant %s", spans, got.String(), want.String())
		}
	}
}

// TestTagChipsHTMLMatchesTemplate: the tag chips func writes exactly what
// the facets template's range wrote, for values and URLs html/template
// escapes or filters.
func TestTagChipsHTMLMatchesTemplate(t *testing.T) {
	old := template.Must(template.New("").Parse(`<aside>{{with .}}<ul class="chips">{{range .}}<li><a class="chip{{if .Active}} on{{end}}" href="{{.URL}}"{{if .Active}} aria-current="true"{{end}}>#{{.Value}} <span class="n">{{.Count}}</span></a></li>{{end}}</ul>{{end}}</aside>`))
	now := template.Must(template.New("").Funcs(template.FuncMap{"tagChips": tagChipsHTML}).Parse(`<aside>{{with .}}{{tagChips .}}{{end}}</aside>`))
	cases := [][]facetLink{
		nil,
		{{Value: "报销", Count: 12, URL: "/search?" + url.Values{"q": {"发票 丢了"}, "tag": {"报销"}}.Encode()}},
		{{Value: `a&b <c> "d" 'e' +f`, Count: 0, URL: "/search?q=x&tag=a%26b+c", Active: true},
			{Value: "raw", Count: 3, URL: "/search?q=年假 怎么算&x=%zz%4a\"'<>"},
			{Value: "js", Count: 1, URL: "javascript:alert(1)"},
			{Value: "ok", Count: 1, URL: "HTTPS://example.com/a b"}},
	}
	for _, links := range cases {
		var want, got strings.Builder
		if err := old.Execute(&want, links); err != nil {
			t.Fatal(err)
		}
		if err := now.Execute(&got, links); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("links %v:\n got %s\nwant %s", links, got.String(), want.String())
		}
	}
}
