package web

import (
	"html/template"
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
