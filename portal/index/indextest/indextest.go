// Package indextest is the contract suite every index.Index backend must
// pass. A backend test calls Run with a constructor for a fresh, empty index.
package indextest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
)

// Corpus returns the documents the suite indexes: realistic Chinese wisdom
// packs from three departments, with distinct dates (newest first here is
// xss-note, then code-review, …).
func Corpus() []index.Doc {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }
	return []index.Doc{
		{
			ID: "onboarding-guide", Kind: "pack", Title: "新员工入职指南",
			Summary:    "第一周要做的事情：领电脑、开通账号、认识导师。",
			Body:       "新员工入职后请在三个工作日内完成报销单填写，并向导师报到。Onboarding checklist for new hires.",
			Department: "人力资源部", Tags: []string{"入职"}, Author: "王芳",
			Audience: []string{"新员工"}, Date: day(2024, 3, 1), URL: "/packs/onboarding-guide",
		},
		{
			ID: "expense-claims", Kind: "pack", Title: "差旅报销流程",
			Summary:    "如何提交差旅费用，需要准备哪些材料。",
			Body:       "出差回来后，在财务系统中提交申请，上传发票照片，部门经理审批后五个工作日内到账。",
			Department: "财务部", Tags: []string{"报销", "差旅"}, Author: "李强",
			Audience: []string{"全体员工"}, Date: day(2024, 5, 10), URL: "/packs/expense-claims",
		},
		{
			ID: "vpn-setup", Kind: "pack", Title: "VPN 远程办公配置",
			Summary:    "在家办公如何连接公司内网。",
			Body:       "下载客户端，使用域账号登录。Connect to the Corporate VPN before opening the wiki. 如遇问题请联系值班同学。",
			Department: "技术部", Tags: []string{"远程办公", "IT"}, Author: "张伟",
			Date: day(2024, 6, 20), URL: "/packs/vpn-setup",
		},
		{
			ID: "annual-leave", Kind: "pack", Title: "年假与调休规则",
			Summary:    "年假天数、申请方式和过期规则。",
			Body:       "员工入职满一年后享有带薪年假。请假需提前在系统中申请，经直属主管批准。",
			Department: "人力资源部", Tags: []string{"假期"}, Author: "王芳",
			Date: day(2023, 12, 15), URL: "/packs/annual-leave",
		},
		{
			ID: "invoice-faq", Kind: "file", Title: "发票常见问题",
			Summary:    "报销时发票抬头和税号怎么填。",
			Body:       "抬头填写公司全称，税号见财务公告。电子发票需打印后附在报销单后面。",
			Department: "财务部", Tags: []string{"报销", "发票"}, Author: "李强",
			Date: day(2024, 1, 8), URL: "/files/invoice-faq",
		},
		{
			ID: "code-review", Kind: "pack", Title: "代码评审规范",
			Summary:    "提交合并请求前的自查清单。",
			Body:       "每个合并请求至少需要一位同事评审，评审意见要具体、友善。",
			Department: "技术部", Tags: []string{"开发"}, Author: "张伟",
			Date: day(2024, 6, 28), URL: "/packs/code-review",
		},
		{
			ID: "xss-note", Kind: "story", Title: "安全提醒 <script>",
			Summary:    "不要在页面里粘贴脚本。",
			Body:       "有同事在评论里贴了 <script>alert('x')</script> 代码，系统会把它当作普通文字显示。",
			Department: "技术部", Tags: []string{"安全"}, Author: "赵敏",
			Date: day(2024, 7, 1), URL: "/stories/xss-note",
		},
	}
}

// Run runs the contract suite. newIndex must return a fresh, empty index
// and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, newIndex func(t *testing.T) index.Index) {
	t.Helper()
	seeded := func(t *testing.T) (index.Index, context.Context) {
		t.Helper()
		x := newIndex(t)
		ctx := t.Context()
		if err := x.Upsert(ctx, Corpus()...); err != nil {
			t.Fatalf("Upsert corpus: %v", err)
		}
		return x, ctx
	}

	t.Run("Ping", func(t *testing.T) {
		x := newIndex(t)
		if err := x.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("EmptyIndex", func(t *testing.T) {
		x := newIndex(t)
		res := search(t, x, index.Query{})
		if res.Total != 0 || len(res.Hits) != 0 {
			t.Fatalf("empty index: Total=%d hits=%v", res.Total, ids(res))
		}
	})

	t.Run("Roundtrip", func(t *testing.T) {
		x, _ := seeded(t)
		res := search(t, x, index.Query{Text: "调休"})
		if res.Total != 1 || len(res.Hits) != 1 {
			t.Fatalf("调休: Total=%d hits=%v, want only annual-leave", res.Total, ids(res))
		}
		want := Corpus()[3]
		want.Body = ""
		got := res.Hits[0].Doc
		if !docEqual(got, want) {
			t.Errorf("hit doc = %+v\nwant      %+v", got, want)
		}
		if res.Hits[0].Score <= 0 {
			t.Errorf("relevance hit Score = %v, want > 0", res.Hits[0].Score)
		}
	})

	t.Run("ChineseMidSentence", func(t *testing.T) {
		x, _ := seeded(t)
		cases := []struct {
			text string
			want []string
		}{
			// "报销" sits inside "完成报销单填写" and "附在报销单后面".
			{"报销", []string{"onboarding-guide", "expense-claims", "invoice-faq"}},
			{"工作日", []string{"onboarding-guide", "expense-claims"}},
			{"报销单", []string{"onboarding-guide", "invoice-faq"}},
			{"带薪", []string{"annual-leave"}},
			// A single character inside a word.
			{"薪", []string{"annual-leave"}},
		}
		for _, c := range cases {
			res := search(t, x, index.Query{Text: c.text})
			if !sameSet(ids(res), c.want) || res.Total != len(c.want) {
				t.Errorf("%q: got %v (Total %d), want %v", c.text, ids(res), res.Total, c.want)
			}
		}
	})

	t.Run("CoverageFirst", func(t *testing.T) {
		x, _ := seeded(t)
		// Only onboarding-guide holds both words; it comes first, with
		// full coverage, and partial matches may follow.
		res := search(t, x, index.Query{Text: "入职 报销"})
		if len(res.Hits) == 0 || res.Hits[0].Doc.ID != "onboarding-guide" || res.Hits[0].Coverage != 1 {
			t.Fatalf("入职 报销: %v, want onboarding-guide first with coverage 1", ids(res))
		}
		for _, h := range res.Hits[1:] {
			if h.Coverage >= 1 {
				t.Errorf("入职 报销: %s has coverage %v, want a partial match", h.Doc.ID, h.Coverage)
			}
		}
		// A question typed without spaces: the question words need not match.
		for _, c := range []struct{ text, want string }{
			{"年假怎么申请", "annual-leave"},
			{"差旅报销要多久到账", "expense-claims"},
			{"如何连接VPN", "vpn-setup"},
			{"发票抬头怎么填写呢", "invoice-faq"},
		} {
			got := ids(search(t, x, index.Query{Text: c.text}))
			if len(got) == 0 || got[0] != c.want {
				t.Errorf("%q: %v, want %s first", c.text, got, c.want)
			}
		}
	})

	t.Run("NoFalseCJKMatch", func(t *testing.T) {
		x := newIndex(t)
		ctx := t.Context()
		docs := []index.Doc{
			{ID: "verify", Kind: "pack", Title: "票据说明", Body: "上传后系统会验证发票是否真正有效，并查重。", Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
			{ID: "yanzhen", Kind: "pack", Title: "电子发票", Body: "上传电子发票后系统自动验真。", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
			{ID: "salary", Kind: "pack", Title: "工资发放", Body: "工资每月十日发放到本人银行卡。", Date: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)},
			{ID: "card", Kind: "pack", Title: "报销到账", Body: "报销款打到工资卡。", Date: time.Date(2024, 1, 4, 0, 0, 0, 0, time.UTC)},
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		// 验证…真正 holds both characters of 验真 but not the word.
		if got := ids(search(t, x, index.Query{Text: "验真"})); !slices.Equal(got, []string{"yanzhen"}) {
			t.Errorf("验真: %v, want only yanzhen", got)
		}
		if got := ids(search(t, x, index.Query{Text: "工资卡"})); !slices.Equal(got, []string{"card"}) {
			t.Errorf("工资卡: %v, want only card", got)
		}
	})

	t.Run("SnippetMarksWholeWord", func(t *testing.T) {
		x := newIndex(t)
		ctx := t.Context()
		d := index.Doc{
			ID: "visitor", Kind: "pack", Title: "访客登记",
			Body: "勾选有访客后，前台会提前准备访客码。录入客户前先查重，避免撞单。",
			Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if err := x.Upsert(ctx, d); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		for _, w := range []string{"访客码", "撞单"} {
			res := search(t, x, index.Query{Text: w})
			if len(res.Hits) != 1 {
				t.Fatalf("%s: hits %v", w, ids(res))
			}
			if !slices.Contains(res.Hits[0].Snippet, index.Span{Text: w, Hit: true}) {
				t.Errorf("%s: snippet %+v does not mark the whole word", w, res.Hits[0].Snippet)
			}
			for _, s := range res.Hits[0].Snippet {
				if s.Hit && len([]rune(s.Text)) < 2 {
					t.Errorf("%s: snippet marks a single character: %+v", w, res.Hits[0].Snippet)
				}
			}
		}
	})

	t.Run("EnglishStemsAndTypos", func(t *testing.T) {
		x := newIndex(t)
		ctx := t.Context()
		docs := []index.Doc{
			{ID: "claims", Kind: "pack", Title: "Expense claims in 5 steps", Summary: "Filing an expense claim, from a valid invoice to payout day.",
				Body: "Upload the invoice to your wallet in the expense system.", Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
			{ID: "oncall", Kind: "pack", Title: "On-call basics", Summary: "The rotation and incident levels.",
				Body: "Acknowledge the alert within five minutes.", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		for _, c := range []struct{ text, want string }{
			{"how do I claim expenses", "claims"},
			{"walet", "claims"},
			{"invioce", "claims"},
			{"incidents", "oncall"},
			{"acknowledging alerts", "oncall"},
		} {
			got := ids(search(t, x, index.Query{Text: c.text}))
			if len(got) == 0 || got[0] != c.want {
				t.Errorf("%q: %v, want %s first", c.text, got, c.want)
			}
		}
		// Short words get no typo tolerance.
		if got := ids(search(t, x, index.Query{Text: "dey"})); len(got) != 0 {
			t.Errorf("dey: %v, want nothing", got)
		}
	})

	t.Run("SynonymsAndPinyin", func(t *testing.T) {
		x, ctx := seeded(t)
		if got := ids(search(t, x, index.Query{Text: "年休假"})); slices.Contains(got, "annual-leave") {
			t.Fatalf("年休假 before synonyms: %v", got)
		}
		if err := x.SetSynonyms(ctx, [][]string{{"年假", "年休假"}, {"报账", "报销"}, {"MR", "合并请求"}}); err != nil {
			t.Fatalf("SetSynonyms: %v", err)
		}
		for _, c := range []struct{ text, want string }{
			{"年休假", "annual-leave"},
			{"报账", "expense-claims"},
			{"MR", "code-review"},
			{"nianjia", "annual-leave"},   // pinyin of the title
			{"baoxiao", "expense-claims"}, // pinyin of a tag
			{"clbx", "expense-claims"},    // initials of 差旅报销
		} {
			got := ids(search(t, x, index.Query{Text: c.text}))
			if len(got) == 0 || got[0] != c.want {
				t.Errorf("%q: %v, want %s first", c.text, got, c.want)
			}
		}
		if err := x.SetSynonyms(ctx, nil); err != nil {
			t.Fatalf("SetSynonyms(nil): %v", err)
		}
		if got := ids(search(t, x, index.Query{Text: "年休假"})); slices.Contains(got, "annual-leave") {
			t.Errorf("年休假 after clearing synonyms: %v", got)
		}
	})

	t.Run("ReadersAndExpiry", func(t *testing.T) {
		x := newIndex(t)
		ctx := t.Context()
		day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
		docs := []index.Doc{
			{ID: "all", Kind: "announce", Title: "全员通知：消防演练", Date: day(1)},
			{ID: "fin", Kind: "announce", Title: "财务部通知：消防演练", Readers: []string{"dept:财务部"}, Date: day(2)},
			{ID: "tech", Kind: "announce", Title: "技术部通知：消防演练", Readers: []string{"dept:技术部"}, Date: day(3), Expires: day(10)},
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		cases := []struct {
			q    index.Query
			want []string
		}{
			{index.Query{Text: "消防演练"}, []string{"all", "fin", "tech"}},
			{index.Query{Text: "消防演练", Readers: []string{"dept:财务部"}}, []string{"all", "fin"}},
			{index.Query{Readers: []string{"dept:技术部", "dept:销售部"}}, []string{"all", "tech"}},
			{index.Query{Text: "消防演练", Now: time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC)}, []string{"all", "fin", "tech"}},
			{index.Query{Text: "消防演练", Now: day(11)}, []string{"all", "fin"}},
		}
		for _, c := range cases {
			if got := ids(search(t, x, c.q)); !sameSet(got, c.want) {
				t.Errorf("%+v: %v, want %v", c.q, got, c.want)
			}
		}
	})

	t.Run("EnglishCaseInsensitive", func(t *testing.T) {
		x, _ := seeded(t)
		for _, text := range []string{"vpn", "VPN", "corporate", "CORPORATE", "Onboarding"} {
			res := search(t, x, index.Query{Text: text})
			want := "vpn-setup"
			if strings.EqualFold(text, "onboarding") {
				want = "onboarding-guide"
			}
			if !sameSet(ids(res), []string{want}) {
				t.Errorf("%q: got %v, want [%s]", text, ids(res), want)
			}
		}
		if res := search(t, x, index.Query{Text: "kubernetes"}); res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("kubernetes: got %v, want no hits", ids(res))
		}
	})

	t.Run("RankingTitleFirst", func(t *testing.T) {
		x, _ := seeded(t)
		cases := []struct{ text, titleHit, bodyOnly string }{
			{"报销", "expense-claims", "onboarding-guide"}, // tag+title vs body only
			{"入职", "onboarding-guide", "annual-leave"},   // title vs body only
			{"评审", "code-review", ""},
		}
		for _, c := range cases {
			got := ids(search(t, x, index.Query{Text: c.text}))
			if len(got) == 0 || got[0] != c.titleHit {
				t.Errorf("%q: order %v, want %s first", c.text, got, c.titleHit)
				continue
			}
			if c.bodyOnly != "" && slices.Index(got, c.bodyOnly) < 0 {
				t.Errorf("%q: order %v, body-only match %s missing", c.text, got, c.bodyOnly)
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		x, _ := seeded(t)
		cases := []struct {
			name string
			q    index.Query
			want []string
		}{
			{"kind", index.Query{Kind: "file"}, []string{"invoice-faq"}},
			{"kind story", index.Query{Kind: "story"}, []string{"xss-note"}},
			{"department", index.Query{Department: "财务部"}, []string{"expense-claims", "invoice-faq"}},
			{"tag", index.Query{Tag: "报销"}, []string{"expense-claims", "invoice-faq"}},
			{"tag exact, not substring", index.Query{Tag: "办公"}, nil},
			{"text+kind", index.Query{Text: "报销", Kind: "pack"}, []string{"onboarding-guide", "expense-claims"}},
			{"text+department", index.Query{Text: "入职", Department: "人力资源部"}, []string{"onboarding-guide", "annual-leave"}},
			{"department+tag", index.Query{Department: "技术部", Tag: "IT"}, []string{"vpn-setup"}},
			{"all three", index.Query{Kind: "pack", Department: "财务部", Tag: "差旅"}, []string{"expense-claims"}},
			{"no match", index.Query{Department: "市场部"}, nil},
			{"quotes in value", index.Query{Department: `财务部" OR kind = "pack`}, nil},
		}
		for _, c := range cases {
			res := search(t, x, c.q)
			if !sameSet(ids(res), c.want) || res.Total != len(c.want) {
				t.Errorf("%s: got %v (Total %d), want %v", c.name, ids(res), res.Total, c.want)
			}
		}
	})

	t.Run("Facets", func(t *testing.T) {
		x, _ := seeded(t)
		res := search(t, x, index.Query{Facets: true})
		wantKind := []index.FacetCount{{Value: "pack", Count: 5}, {Value: "file", Count: 1}, {Value: "story", Count: 1}}
		if !slices.Equal(res.Facets["kind"], wantKind) {
			t.Errorf("kind facets = %v, want %v", res.Facets["kind"], wantKind)
		}
		wantDept := []index.FacetCount{{Value: "技术部", Count: 3}, {Value: "人力资源部", Count: 2}, {Value: "财务部", Count: 2}}
		if !slices.Equal(res.Facets["department"], wantDept) {
			t.Errorf("department facets = %v, want %v", res.Facets["department"], wantDept)
		}
		tags := res.Facets["tag"]
		if len(tags) != 9 || tags[0] != (index.FacetCount{Value: "报销", Count: 2}) {
			t.Errorf("tag facets = %v, want 9 values with 报销:2 first", tags)
		}

		res = search(t, x, index.Query{Text: "报销", Facets: true})
		wantDept = []index.FacetCount{{Value: "财务部", Count: 2}, {Value: "人力资源部", Count: 1}}
		if !slices.Equal(res.Facets["department"], wantDept) {
			t.Errorf("报销 department facets = %v, want %v", res.Facets["department"], wantDept)
		}
		wantTags := []index.FacetCount{{Value: "报销", Count: 2}, {Value: "入职", Count: 1}, {Value: "发票", Count: 1}, {Value: "差旅", Count: 1}}
		if !slices.Equal(res.Facets["tag"], wantTags) {
			t.Errorf("报销 tag facets = %v, want %v", res.Facets["tag"], wantTags)
		}

		if res := search(t, x, index.Query{Text: "报销"}); len(res.Facets) != 0 {
			t.Errorf("facets not asked for but got %v", res.Facets)
		}
	})

	t.Run("SortNewest", func(t *testing.T) {
		x, _ := seeded(t)
		byDate := newestFirst(Corpus())
		for _, q := range []index.Query{
			{Sort: index.SortNewest},
			{Sort: index.SortRelevance}, // empty Text falls back to newest
		} {
			if got := ids(search(t, x, q)); !slices.Equal(got, byDate) {
				t.Errorf("sort %d with empty text: %v, want %v", q.Sort, got, byDate)
			}
		}
		got := ids(search(t, x, index.Query{Text: "报销", Sort: index.SortNewest}))
		want := []string{"expense-claims", "onboarding-guide", "invoice-faq"}
		if !slices.Equal(got, want) {
			t.Errorf("报销 newest: %v, want %v", got, want)
		}
	})

	t.Run("ListAll", func(t *testing.T) {
		x, _ := seeded(t)
		res := search(t, x, index.Query{})
		if res.Total != len(Corpus()) || len(res.Hits) != len(Corpus()) {
			t.Fatalf("empty text: Total=%d hits=%d, want %d", res.Total, len(res.Hits), len(Corpus()))
		}
		for _, h := range res.Hits {
			if h.Doc.Body != "" {
				t.Errorf("hit %s has Body %q, want empty", h.Doc.ID, h.Doc.Body)
			}
			if h.Doc.Title == "" || h.Doc.URL == "" {
				t.Errorf("hit %s lacks title or URL: %+v", h.Doc.ID, h.Doc)
			}
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		x, _ := seeded(t)
		all := newestFirst(Corpus())
		cases := []struct {
			offset, limit int
			want          []string
		}{
			{0, 2, all[0:2]},
			{2, 2, all[2:4]},
			{3, 3, all[3:6]},
			{6, 5, all[6:]},
			{10, 5, nil},
			{0, 0, all}, // 0 means the default page size
		}
		for _, c := range cases {
			res := search(t, x, index.Query{Sort: index.SortNewest, Offset: c.offset, Limit: c.limit})
			if got := ids(res); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("offset %d limit %d: %v, want %v", c.offset, c.limit, got, c.want)
			}
			if res.Total != len(all) {
				t.Errorf("offset %d limit %d: Total=%d, want %d", c.offset, c.limit, res.Total, len(all))
			}
		}
		res := search(t, x, index.Query{Text: "报销", Offset: 1, Limit: 1})
		if res.Total != 3 || len(res.Hits) != 1 {
			t.Errorf("报销 page 2: Total=%d hits=%v, want Total 3 and 1 hit", res.Total, ids(res))
		}
	})

	t.Run("Snippet", func(t *testing.T) {
		x, _ := seeded(t)
		for _, c := range []struct{ text, id string }{
			{"工作日", "onboarding-guide"},
			{"报销单", "invoice-faq"},
			{"corporate", "vpn-setup"},
		} {
			res := search(t, x, index.Query{Text: c.text})
			h, ok := hitByID(res, c.id)
			if !ok {
				t.Errorf("%q: %s not found in %v", c.text, c.id, ids(res))
				continue
			}
			if !hasHit(h.Snippet, c.text) {
				t.Errorf("%q: snippet %+v has no hit span with the whole query word", c.text, h.Snippet)
			}
			if !strings.Contains(joined(h.Snippet), c.text) && !strings.Contains(strings.ToLower(joined(h.Snippet)), c.text) {
				t.Errorf("%q: snippet %q lacks the word", c.text, joined(h.Snippet))
			}
		}
		// Empty text: the snippet is the summary, without hits.
		res := search(t, x, index.Query{Kind: "file"})
		if len(res.Hits) != 1 || joined(res.Hits[0].Snippet) != Corpus()[4].Summary || anyHit(res.Hits[0].Snippet) {
			t.Errorf("list snippet = %+v, want the plain summary", res.Hits)
		}
	})

	t.Run("NoHTMLInterpreted", func(t *testing.T) {
		x, _ := seeded(t)
		res := search(t, x, index.Query{Text: "alert"})
		h, ok := hitByID(res, "xss-note")
		if !ok {
			t.Fatalf("alert: xss-note not found in %v", ids(res))
		}
		if h.Doc.Title != "安全提醒 <script>" {
			t.Errorf("title = %q, want the raw text", h.Doc.Title)
		}
		s := joined(h.Snippet)
		if !strings.Contains(s, "<script>") || strings.Contains(s, "&lt;") || strings.Contains(s, "<em>") || strings.Contains(s, "<mark>") {
			t.Errorf("snippet %q: want the document's raw text and no engine markup", s)
		}
		if !hasHit(h.Snippet, "alert") {
			t.Errorf("snippet %+v: no hit span for alert", h.Snippet)
		}
	})

	t.Run("MarkersInTextAreNotHits", func(t *testing.T) {
		x := newIndex(t)
		ctx := t.Context()
		d := index.Doc{
			ID: "forged", Kind: "pack", Title: "门禁卡申请",
			Summary: "摘要里有" + index.HitPre + "伪造" + index.HitPost + "标记",
			Body:    "正文" + index.HitPre + "伪造高亮" + index.HitPost + "，门禁卡在前台领取。",
			Date:    time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC),
		}
		if err := x.Upsert(ctx, d); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		for _, q := range []index.Query{{Text: "前台"}, {Text: "申请"}, {}} {
			res := search(t, x, q)
			if len(res.Hits) != 1 {
				t.Fatalf("%q: hits %v, want forged", q.Text, ids(res))
			}
			for _, s := range res.Hits[0].Snippet {
				if s.Hit && strings.Contains(s.Text, "伪造") {
					t.Errorf("%q: forged marker became a hit: %+v", q.Text, res.Hits[0].Snippet)
				}
			}
		}
	})

	t.Run("UpsertReplaces", func(t *testing.T) {
		x, ctx := seeded(t)
		d := Corpus()[3]
		d.Title = "年假规则（2025 修订）"
		d.Summary = "年假天数与申请方式。"
		d.Body = "员工入职满一年后享有带薪年假，新规自明年起执行。"
		d.Tags = []string{"假期", "制度"}
		if err := x.Upsert(ctx, d); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		if res := search(t, x, index.Query{}); res.Total != len(Corpus()) {
			t.Errorf("after re-upsert Total=%d, want %d (no duplicates)", res.Total, len(Corpus()))
		}
		if res := search(t, x, index.Query{Text: "调休"}); len(res.Hits) != 0 {
			t.Errorf("old text still found: %v", ids(res))
		}
		res := search(t, x, index.Query{Text: "修订"})
		if len(res.Hits) != 1 || res.Hits[0].Doc.Title != d.Title {
			t.Errorf("修订: %+v, want the new version", res.Hits)
		}
		if res := search(t, x, index.Query{Tag: "制度"}); !sameSet(ids(res), []string{"annual-leave"}) {
			t.Errorf("new tag: %v", ids(res))
		}
		// Upserting the same document twice in one call keeps one copy.
		if err := x.Upsert(ctx, d, d); err != nil {
			t.Fatalf("Upsert twice: %v", err)
		}
		if res := search(t, x, index.Query{Text: "修订"}); res.Total != 1 {
			t.Errorf("double upsert: Total=%d, want 1", res.Total)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		x, ctx := seeded(t)
		if err := x.Delete(ctx, "vpn-setup", "code-review"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if res := search(t, x, index.Query{Text: "VPN"}); len(res.Hits) != 0 {
			t.Errorf("deleted doc still found: %v", ids(res))
		}
		if res := search(t, x, index.Query{}); res.Total != len(Corpus())-2 {
			t.Errorf("after delete Total=%d, want %d", res.Total, len(Corpus())-2)
		}
		if err := x.Delete(ctx, "no-such-doc"); err != nil {
			t.Errorf("Delete unknown id: %v", err)
		}
		if err := x.Delete(ctx); err != nil {
			t.Errorf("Delete nothing: %v", err)
		}
	})

	t.Run("Reset", func(t *testing.T) {
		x, ctx := seeded(t)
		if err := x.Reset(ctx); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if res := search(t, x, index.Query{Facets: true}); res.Total != 0 || len(res.Hits) != 0 {
			t.Fatalf("after Reset: Total=%d hits=%v", res.Total, ids(res))
		}
		if res := search(t, x, index.Query{Text: "报销"}); len(res.Hits) != 0 {
			t.Errorf("after Reset text search found %v", ids(res))
		}
		if err := x.Upsert(ctx, Corpus()[0]); err != nil {
			t.Fatalf("Upsert after Reset: %v", err)
		}
		if res := search(t, x, index.Query{Text: "报销"}); !sameSet(ids(res), []string{"onboarding-guide"}) {
			t.Errorf("after Reset+Upsert: %v", ids(res))
		}
	})

	t.Run("InvalidID", func(t *testing.T) {
		x := newIndex(t)
		for _, id := range []string{"", "has space", "斜/杠", "a.b"} {
			d := Corpus()[0]
			d.ID = id
			if err := x.Upsert(t.Context(), d); !errors.Is(err, index.ErrInvalidID) {
				t.Errorf("Upsert id %q: err = %v, want ErrInvalidID", id, err)
			}
		}
	})
}

func search(t *testing.T, x index.Index, q index.Query) index.Result {
	t.Helper()
	res, err := x.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func ids(res index.Result) []string {
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.Doc.ID)
	}
	return out
}

func sameSet(got, want []string) bool {
	a, b := slices.Clone(got), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func newestFirst(docs []index.Doc) []string {
	docs = slices.Clone(docs)
	slices.SortFunc(docs, func(a, b index.Doc) int { return b.Date.Compare(a.Date) })
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func hitByID(res index.Result, id string) (index.Hit, bool) {
	for _, h := range res.Hits {
		if h.Doc.ID == id {
			return h, true
		}
	}
	return index.Hit{}, false
}

// hasHit reports whether a hit span contains word (case-insensitively) or is
// a piece of it (engines may mark "工作日" as "工作"+"日").
func hasHit(spans []index.Span, word string) bool {
	w := strings.ToLower(word)
	for _, s := range spans {
		t := strings.ToLower(s.Text)
		if s.Hit && strings.Contains(t, w) { // the whole word, not one bigram of it
			return true
		}
	}
	return false
}

func anyHit(spans []index.Span) bool {
	for _, s := range spans {
		if s.Hit {
			return true
		}
	}
	return false
}

func joined(spans []index.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

func docEqual(a, b index.Doc) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Title == b.Title && a.Summary == b.Summary &&
		a.Body == b.Body && a.Department == b.Department && slices.Equal(a.Tags, b.Tags) &&
		a.Author == b.Author && slices.Equal(a.Audience, b.Audience) && a.Date.Equal(b.Date) && a.URL == b.URL
}
