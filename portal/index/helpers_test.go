package index

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	for _, id := range []string{"a", "onboarding-guide", "Pack_2024-01", strings.Repeat("x", 511)} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", "a b", "a/b", "a.b", "报销", "a\x00", strings.Repeat("x", 512)} {
		if err := CheckID(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckID(%q) = %v, want ErrInvalidID", id, err)
		}
	}
}

func TestPage(t *testing.T) {
	cases := []struct{ offset, limit, wantOffset, wantLimit int }{
		{0, 0, 0, DefaultLimit},
		{-5, -1, 0, DefaultLimit},
		{40, 10, 40, 10},
		{0, MaxLimit + 1, 0, MaxLimit},
	}
	for _, c := range cases {
		o, l := Query{Offset: c.offset, Limit: c.limit}.Page()
		if o != c.wantOffset || l != c.wantLimit {
			t.Errorf("Page(%d,%d) = %d,%d want %d,%d", c.offset, c.limit, o, l, c.wantOffset, c.wantLimit)
		}
	}
}

func TestEffectiveSort(t *testing.T) {
	cases := []struct {
		q    Query
		want Sort
	}{
		{Query{}, SortNewest},
		{Query{Text: "  "}, SortNewest},
		{Query{Text: "报销"}, SortRelevance},
		{Query{Text: "报销", Sort: SortNewest}, SortNewest},
	}
	for _, c := range cases {
		if got := c.q.EffectiveSort(); got != c.want {
			t.Errorf("%+v.EffectiveSort() = %d, want %d", c.q, got, c.want)
		}
	}
}

func TestStripMarkersAndSplit(t *testing.T) {
	forged := "正文" + HitPre + "伪造" + HitPost + "结束"
	if got := StripMarkers(forged); got != "正文伪造结束" {
		t.Errorf("StripMarkers = %q", got)
	}
	if got := StripMarkers("plain <b>text</b>"); got != "plain <b>text</b>" {
		t.Errorf("StripMarkers changed plain text: %q", got)
	}
	got := SplitMarked("…完成"+HitPre+"报销"+HitPost+"单<script>", HitPre, HitPost)
	want := []Span{{Text: "…完成"}, {Text: "报销", Hit: true}, {Text: "单<script>"}}
	if !slices.Equal(got, want) {
		t.Errorf("SplitMarked = %+v, want %+v", got, want)
	}
}

func TestSortFacets(t *testing.T) {
	fc := []FacetCount{{"财务部", 2}, {"技术部", 3}, {"人力资源部", 2}, {"行政部", 1}}
	SortFacets(fc)
	want := []FacetCount{{"技术部", 3}, {"人力资源部", 2}, {"财务部", 2}, {"行政部", 1}}
	if !slices.Equal(fc, want) {
		t.Errorf("SortFacets = %v, want %v", fc, want)
	}
}

func TestMarkWords(t *testing.T) {
	render := func(spans []Span) string {
		var b strings.Builder
		for _, s := range spans {
			if s.Hit {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		in    []Span
		words []string
		want  string
	}{
		// The engine marked one bigram of 工作日; the whole word is marked.
		{[]Span{{Text: "三个"}, {Text: "工作", Hit: true}, {Text: "日内完成"}}, []string{"工作日"}, "三个[工作日]内完成"},
		// An engine hit that is not a whole word stays; touching hits merge.
		{[]Span{{Text: "工作", Hit: true}, {Text: "与工作日"}}, []string{"工作日"}, "[工作]与[工作日]"},
		{[]Span{{Text: "报销", Hit: true}, {Text: "单"}}, []string{"报销单"}, "[报销单]"},
		// ASCII case folds; other text is untouched.
		{[]Span{{Text: "Read the OnCall guide"}}, []string{"oncall"}, "Read the [OnCall] guide"},
		{[]Span{{Text: "没有匹配"}}, []string{"报销"}, "没有匹配"},
		{nil, []string{"x"}, ""},
	} {
		if got := render(MarkWords(tc.in, tc.words)); got != tc.want {
			t.Errorf("MarkWords(%v, %q) = %q, want %q", tc.in, tc.words, got, tc.want)
		}
	}
}
