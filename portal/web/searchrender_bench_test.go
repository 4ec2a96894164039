package web

import (
	"html/template"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
)

// BenchmarkSearchResultsRender renders the search results fragment for a
// page of 10 hits with snippets and the 24 tag chips, as the search page
// does after its one index search: the template share of a search's CPU
// and its allocations (-benchmem).
func BenchmarkSearchResultsRender(b *testing.B) {
	u, err := loadUI(os.DirFS("../../templates"), os.DirFS("../../assets"), template.FuncMap{"deptName": func(s string) string { return s }})
	if err != nil {
		b.Fatal(err)
	}
	t := u.pages[LangZh][pageSearch]
	params := url.Values{"q": {"发票丢了怎么报销"}}
	v := searchView{Searched: true, MaxLen: maxQueryLen, FacetWindow: index.FacetWindow, BrowseURL: "/packs", FacetSample: true}
	v.Query = "发票丢了怎么报销"
	for i := range 10 {
		v.Hits = append(v.Hits, index.Hit{Doc: index.Doc{Kind: "pack", Title: "发票丢了怎么报销（第" + strings.Repeat("一", i+1) + "版）",
			Department: "财务部", URL: "/packs/fapiao", Date: time.Date(2026, 3, i+1, 0, 0, 0, 0, time.UTC), Tags: []string{"报销", "发票"}},
			Snippet: []index.Span{{Text: "…出差回来后"}, {Text: "发票", Hit: true}, {Text: "如果遗失，请先联系开票方补开，再按"}, {Text: "报销", Hit: true},
				{Text: "流程提交，并附上说明 & 审批记录"}, {Text: "丢了", Hit: true}, {Text: "也可以…"}}, Coverage: 1})
	}
	var tags, depts []index.FacetCount
	for i := range 40 {
		tags = append(tags, index.FacetCount{Value: "标签" + strings.Repeat("乙", i%5+1) + string(rune('a'+i%26)), Count: 100 - i})
	}
	for _, d := range []string{"财务部", "人力资源部", "技术部", "行政部", "法务部", "市场部"} {
		depts = append(depts, index.FacetCount{Value: d, Count: 30})
	}
	v.Pager = newPager("/search", params, 1, 1961)
	v.KindFacets = kindLinks(params, []index.FacetCount{{Value: "pack", Count: 1900}, {Value: "file", Count: 61}}, 1961)
	v.DeptFacets = facetLinks("/search", params, "dept", depts)
	v.TagFacets = topChips(facetLinks("/search", params, "tag", tags), searchTagChips)
	for b.Loop() {
		if err := t.ExecuteTemplate(io.Discard, tmplResults, v); err != nil {
			b.Fatal(err)
		}
	}
}
