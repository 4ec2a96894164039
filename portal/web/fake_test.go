package web

import (
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// fakePacks is an in-memory Packs that really filters, sorts, pages and
// counts facets, so handler tests exercise real list behaviour.
type fakePacks struct {
	mu        sync.Mutex
	packs     []*packs.Pack
	bodies    map[string]string // slug → plain text body
	sources   map[string]string // slug → Markdown, for packs written through Create/Save
	searchErr error
	reindexed int // Reindex calls
}

var _ Packs = (*fakePacks)(nil)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// newFakePacks holds five hand-written packs and twenty generated on-call notes
// (25 in all, so /packs has two pages).
func newFakePacks() *fakePacks {
	f := &fakePacks{bodies: map[string]string{}, sources: map[string]string{}}
	add := func(slug, title, summary, dept, author string, date time.Time, tags []string, body string, html template.HTML, toc []markdown.Heading) {
		f.packs = append(f.packs, &packs.Pack{
			Slug: slug,
			Meta: markdown.FrontMatter{Title: title, Summary: summary, Department: dept, Tags: tags, Author: author, Date: date},
			HTML: html,
			TOC:  toc,
			ETag: "etag-" + slug + "-v1",
		})
		f.bodies[slug] = body
	}
	add("new-hire-guide", "新员工入职指南", "第一周要做的事：领电脑、开通账号、认识同事。", "人力资源部", "王芳", day(2025, 3, 1),
		[]string{"入职", "新人"}, "第一天去前台领工牌。第二天参加入职培训。",
		`<h2 id="day-one">第一天</h2><p>去前台领工牌。</p><table><tr><th>事项</th><th>地点</th></tr><tr><td>领电脑</td><td>三楼 IT 室</td></tr></table><h3 id="badge">工牌</h3><p>丢失请补办。</p>`,
		[]markdown.Heading{{Level: 2, ID: "day-one", Text: "第一天"}, {Level: 3, ID: "badge", Text: "工牌"}})
	add("expense-claims", "差旅报销流程", "报销单怎么填，发票怎么贴，多久到账。", "财务部", "李强", day(2025, 4, 10),
		[]string{"报销", "差旅"}, "出差回来七天内提交报销单，附上发票原件。", `<p>出差回来七天内提交<strong>报销</strong>单。</p>`, nil)
	add("invoice-tips", "发票常见问题", "抬头、税号和电子发票的报销要点。", "财务部", "李强", day(2025, 2, 20),
		[]string{"报销", "发票"}, "电子发票需要打印并签字。", `<p>电子发票需要打印。</p>`, nil)
	add("annual-leave", "年假怎么休", "年假天数、申请方式和结转规则。", "人力资源部", "王芳", day(2025, 1, 5),
		[]string{"假期"}, "年假需要提前三天在系统里申请。", `<p>提前三天申请。</p>`, nil)
	add("vpn-setup", "远程办公 VPN 设置", "在家连公司网络的步骤。", "技术部", "张伟", day(2024, 12, 1),
		[]string{"远程办公", "入门"}, "安装客户端，输入工号和动态口令。", `<p>安装客户端。</p>`, nil)
	for i := 1; i <= 20; i++ {
		add(fmt.Sprintf("oncall-%02d", i), fmt.Sprintf("值班手册第%d篇", i), "夜间值班要注意的事情。", "技术部", "张伟",
			day(2024, 1, i), []string{"值班"}, "值班时保持电话畅通。", `<p>保持电话畅通。</p>`, nil)
	}
	return f
}

func (f *fakePacks) Get(_ context.Context, slug string) (*packs.Pack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.packs {
		if p.Slug == slug {
			return p, nil
		}
	}
	return nil, fmt.Errorf("get pack %q: %w", slug, store.ErrNotFound)
}

// docs are the packs as the portal indexes them.
func (f *fakePacks) docs() []index.Doc {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]index.Doc, 0, len(f.packs))
	for _, p := range f.packs {
		out = append(out, index.Doc{
			ID: "pack_" + p.Slug, Kind: "pack", Title: p.Meta.Title, Summary: p.Meta.Summary, Body: f.bodies[p.Slug],
			Department: p.Meta.Department, Tags: p.Meta.Tags, Author: p.Meta.Author, Date: p.Meta.Date, URL: "/packs/" + p.Slug,
		})
	}
	return out
}

func (f *fakePacks) hit(p *packs.Pack, text string) index.Hit {
	h := index.Hit{Doc: index.Doc{
		ID: p.Slug, Kind: "pack", Title: p.Meta.Title, Summary: p.Meta.Summary, Department: p.Meta.Department,
		Tags: p.Meta.Tags, Author: p.Meta.Author, Date: p.Meta.Date, URL: "/packs/" + p.Slug,
	}}
	src := p.Meta.Summary
	if text != "" && !strings.Contains(src, text) {
		src = f.bodies[p.Slug]
	}
	if text == "" || !strings.Contains(src, text) {
		h.Snippet = []index.Span{{Text: src}}
		return h
	}
	h.Snippet = index.SplitMarked(strings.ReplaceAll(src, text, "\x01"+text+"\x02"), "\x01", "\x02")
	return h
}

func (f *fakePacks) Search(_ context.Context, q index.Query) (index.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.searchErr != nil {
		return index.Result{}, f.searchErr
	}
	var matched []*packs.Pack
	for _, p := range f.packs {
		if q.Department != "" && p.Meta.Department != q.Department {
			continue
		}
		if q.Tag != "" && !slices.Contains(p.Meta.Tags, q.Tag) {
			continue
		}
		if q.Text != "" && !strings.Contains(p.Meta.Title+"\n"+p.Meta.Summary+"\n"+f.bodies[p.Slug], q.Text) {
			continue
		}
		matched = append(matched, p)
	}
	slices.SortStableFunc(matched, func(a, b *packs.Pack) int { return b.Meta.Date.Compare(a.Meta.Date) })
	res := index.Result{Total: len(matched)}
	if q.Facets {
		dept, tag := map[string]int{}, map[string]int{}
		for _, p := range matched {
			dept[p.Meta.Department]++
			for _, t := range p.Meta.Tags {
				tag[t]++
			}
		}
		res.Facets = map[string][]index.FacetCount{"department": facetCounts(dept), "tag": facetCounts(tag)}
	}
	limit := q.Limit
	if limit == 0 {
		limit = 20
	}
	for i := q.Offset; i < len(matched) && i < q.Offset+limit; i++ {
		res.Hits = append(res.Hits, f.hit(matched[i], q.Text))
	}
	return res, nil
}

func facetCounts(m map[string]int) []index.FacetCount {
	out := make([]index.FacetCount, 0, len(m))
	for v, n := range m {
		out = append(out, index.FacetCount{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b index.FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}

func (f *fakePacks) DailyPick(_ context.Context, d time.Time) (*index.Hit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.packs) == 0 {
		return nil, store.ErrNotFound
	}
	p := f.packs[d.YearDay()%len(f.packs)]
	h := f.hit(p, "")
	return &h, nil
}

var fakeMarkdown = markdown.New()

// sourceOf is the Markdown of a pack: as written, or rebuilt from its meta.
func (f *fakePacks) sourceOf(p *packs.Pack) string {
	if src, ok := f.sources[p.Slug]; ok {
		return src
	}
	return fmt.Sprintf("---\ntitle: %s\nsummary: %s\ndepartment: %s\nauthor: %s\ndate: %s\n---\n\n%s\n",
		p.Meta.Title, p.Meta.Summary, p.Meta.Department, p.Meta.Author, p.Meta.Date.Format("2006-01-02"), f.bodies[p.Slug])
}

func (f *fakePacks) find(slug string) (int, *packs.Pack) {
	for i, p := range f.packs {
		if p.Slug == slug {
			return i, p
		}
	}
	return -1, nil
}

// write parses src like the real service and stores it as version n.
func (f *fakePacks) write(slug string, src []byte, n int) (*packs.Pack, error) {
	doc, err := fakeMarkdown.Parse(slug+".md", src)
	if err != nil {
		return nil, err
	}
	p := &packs.Pack{Slug: slug, Meta: doc.Meta, HTML: doc.HTML, TOC: doc.TOC, ETag: fmt.Sprintf("etag-%s-v%d", slug, n)}
	f.sources[slug] = string(src)
	f.bodies[slug] = doc.Text
	return p, nil
}

func (f *fakePacks) Create(_ context.Context, slug string, src []byte) (*packs.Pack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !packs.ValidSlug(slug) {
		return nil, packs.ErrInvalidSlug
	}
	if _, p := f.find(slug); p != nil {
		return nil, fmt.Errorf("create %q: %w", slug, store.ErrPrecondition)
	}
	p, err := f.write(slug, src, 1)
	if err != nil {
		return nil, err
	}
	f.packs = append(f.packs, p)
	return p, nil
}

func (f *fakePacks) Save(_ context.Context, slug string, src []byte, ifMatch string) (*packs.Pack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, old := f.find(slug)
	if old == nil {
		return nil, fmt.Errorf("save %q: %w", slug, store.ErrNotFound)
	}
	if ifMatch != "" && ifMatch != old.ETag {
		return nil, fmt.Errorf("save %q: %w", slug, store.ErrPrecondition)
	}
	var n int
	if _, err := fmt.Sscanf(old.ETag[strings.LastIndex(old.ETag, "-v")+2:], "%d", &n); err != nil {
		return nil, err
	}
	p, err := f.write(slug, src, n+1)
	if err != nil {
		return nil, err
	}
	f.packs[i] = p
	return p, nil
}

func (f *fakePacks) Source(_ context.Context, slug string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, p := f.find(slug)
	if p == nil {
		return nil, "", fmt.Errorf("source %q: %w", slug, store.ErrNotFound)
	}
	return []byte(f.sourceOf(p)), p.ETag, nil
}

func (f *fakePacks) Reindex(_ context.Context, progress packs.Progress) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reindexed++
	if progress != nil {
		progress(len(f.packs), len(f.packs))
	}
	return len(f.packs), nil
}

// checker is a fake readiness dependency.
type checker struct{ err error }

func (c checker) Ping(ctx context.Context) error { return c.err }
