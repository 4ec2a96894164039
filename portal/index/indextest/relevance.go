package indextest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/lang"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
)

// MinHitAt3 is the share of relevance queries whose expected document must
// be among the first three results.
const MinHitAt3 = 0.9

// Judgement is one relevance query and the documents that answer it (any
// of them in the top three counts as a hit).
type Judgement struct {
	Query string
	Want  []string // index document ids
}

func pack(slug string) string { return "pack_" + slug }

func dept(name string) string { return files.DeptDoc(files.Department{Name: name}).ID }

// Judgements are what new hires type, on the seed content (content/packs,
// content/departments.yaml, content/synonyms.txt): questions without
// spaces, English questions, typos, pinyin, single words, synonyms.
var Judgements = []Judgement{
	// 人力资源部
	{"年假怎么算", []string{pack("annual-leave-calculation")}},
	{"年假有几天", []string{pack("annual-leave-calculation")}},
	{"年休假", []string{pack("annual-leave-calculation")}},
	{"入职第一年年假怎么折算", []string{pack("annual-leave-calculation")}},
	{"没休完的年假能顺延吗", []string{pack("annual-leave-calculation")}},
	{"nianjia", []string{pack("annual-leave-calculation")}},
	{"请假", []string{pack("leave-policy")}},
	{"病假需要什么材料", []string{pack("leave-policy")}},
	{"婚假几天", []string{pack("leave-policy")}},
	{"陪产假", []string{pack("leave-policy")}},
	{"企业微信怎么请假", []string{pack("leave-policy")}},
	{"新人第一天做什么", []string{pack("first-week-checklist"), pack("your-first-week")}},
	{"入职第一周", []string{pack("first-week-checklist"), pack("your-first-week")}},
	{"报到要带什么", []string{pack("first-week-checklist")}},
	{"试用期多久转正", []string{pack("probation-to-regular")}},
	{"转正答辩怎么准备", []string{pack("probation-to-regular")}},
	{"五险一金", []string{pack("social-insurance-housing-fund")}},
	{"社保公积金", []string{pack("social-insurance-housing-fund")}},
	{"公积金怎么提取", []string{pack("social-insurance-housing-fund")}},
	{"工资条上扣的钱去哪了", []string{pack("social-insurance-housing-fund")}},
	{"收入证明找谁开", []string{dept("人力资源部")}},
	{"what to bring on my first day", []string{pack("your-first-week")}},
	{"onbaording", []string{pack("your-first-week")}},
	// 财务部
	{"报销", []string{pack("expense-reimbursement"), pack("expense-claims-in-5-steps")}},
	{"报账", []string{pack("expense-reimbursement"), pack("expense-claims-in-5-steps")}},
	{"报销要多久到账", []string{pack("expense-reimbursement")}},
	{"发票丢了怎么报销", []string{pack("expense-reimbursement")}},
	{"报销单被退回了怎么办", []string{pack("expense-reimbursement")}},
	{"电子发票怎么上传", []string{pack("expense-reimbursement")}},
	{"验真", []string{pack("expense-reimbursement")}},
	{"工资卡", []string{pack("expense-reimbursement"), pack("first-week-checklist")}},
	{"税号在哪里", []string{pack("expense-reimbursement"), pack("invoice-issuing")}},
	{"baoxiao", []string{pack("expense-reimbursement")}},
	{"bxlc", []string{pack("expense-reimbursement")}},
	{"how do I claim expenses", []string{pack("expense-claims-in-5-steps")}},
	{"expense claim deadline", []string{pack("expense-claims-in-5-steps")}},
	{"walet", []string{pack("expense-claims-in-5-steps")}},
	{"invioce", []string{pack("expense-claims-in-5-steps")}},
	{"fapiao", []string{pack("expense-claims-in-5-steps")}},
	{"给客户开发票", []string{pack("invoice-issuing")}},
	{"发票开错了怎么办", []string{pack("invoice-issuing")}},
	{"红冲", []string{pack("invoice-issuing")}},
	{"出差住宿标准是多少", []string{pack("travel-expense-standards")}},
	{"出差补贴多少钱", []string{pack("travel-expense-standards")}},
	{"差旅", []string{pack("travel-expense-standards")}},
	// 技术部
	{"代码评审", []string{pack("code-review-guidelines")}},
	{"MR多大合适", []string{pack("code-review-guidelines")}},
	{"怎么提MR", []string{pack("code-review-guidelines"), pack("git-workflow-for-newcomers")}},
	{"合并请求", []string{pack("code-review-guidelines"), pack("git-workflow-for-newcomers")}},
	{"git分支怎么命名", []string{pack("git-workflow-for-newcomers")}},
	{"变基", []string{pack("git-workflow-for-newcomers")}},
	{"rebase", []string{pack("git-workflow-for-newcomers")}},
	{"值班怎么排", []string{pack("on-call-and-incident-response"), pack("on-call-basics")}},
	{"接到告警怎么办", []string{pack("on-call-and-incident-response"), pack("on-call-basics")}},
	{"故障复盘怎么写", []string{pack("on-call-and-incident-response")}},
	{"on-call rotation", []string{pack("on-call-basics")}},
	{"incident levels", []string{pack("on-call-basics")}},
	{"wifi连不上", []string{dept("技术部")}},
	{"VPN", []string{dept("技术部")}},
	{"无线网", []string{dept("技术部")}},
	// 销售部
	{"合同审批要多久", []string{pack("contract-approval")}},
	{"非标合同", []string{pack("contract-approval")}},
	{"撞单", []string{pack("crm-data-entry")}},
	{"CRM怎么录客户", []string{pack("crm-data-entry")}},
	{"商机阶段", []string{pack("crm-data-entry")}},
	{"拜访客户前要准备什么", []string{pack("customer-visit-checklist")}},
	{"客户拜访", []string{pack("customer-visit-checklist")}},
	// 行政部
	{"会议室怎么订", []string{pack("meeting-room-booking")}},
	{"会议室最多提前几天预订", []string{pack("meeting-room-booking")}},
	{"视频会议设备怎么用", []string{pack("meeting-room-booking")}},
	{"huiyishi", []string{pack("meeting-room-booking")}},
	{"领笔和本子", []string{pack("office-supplies-request")}},
	{"显示器怎么申请", []string{pack("office-supplies-request")}},
	{"办公用品", []string{pack("office-supplies-request")}},
	{"访客怎么登记", []string{pack("visitor-and-access-card")}},
	{"门禁卡丢了", []string{pack("visitor-and-access-card")}},
	{"访客码", []string{pack("visitor-and-access-card"), pack("meeting-room-booking")}},
	{"周末加班怎么进园区", []string{pack("visitor-and-access-card")}},
	{"menjin", []string{pack("visitor-and-access-card")}},
	{"订机票和酒店", []string{dept("行政部"), pack("travel-expense-standards")}},
}

// contentDir finds the repository's content/ directory from this file.
func contentDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "content")
}

// SeedDocs returns the index documents of the seed content, made by the
// same code the portal indexes with, and the seed synonym groups.
func SeedDocs(t testing.TB) ([]index.Doc, [][]string) {
	t.Helper()
	content := os.DirFS(contentDir(t))
	md := markdown.New()
	var docs []index.Doc
	paths, err := fs.Glob(content, "packs/*.md")
	if err != nil || len(paths) == 0 {
		t.Fatalf("seed packs: %v (%d files)", err, len(paths))
	}
	for _, p := range paths {
		src, err := fs.ReadFile(content, p)
		if err != nil {
			t.Fatal(err)
		}
		slug := strings.TrimSuffix(filepath.Base(p), ".md")
		d, err := md.Parse(filepath.Base(p), src)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		docs = append(docs, packs.ToDoc(slug, d))
	}
	raw, err := fs.ReadFile(content, "departments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var intros map[string]string
	if err := yaml.Unmarshal(raw, &intros); err != nil {
		t.Fatal(err)
	}
	for name, intro := range intros {
		docs = append(docs, files.DeptDoc(files.Department{Name: name, Intro: intro}))
	}
	rawSyn, err := fs.ReadFile(content, "synonyms.txt")
	if err != nil {
		t.Fatal(err)
	}
	syn, err := lang.ParseSynonyms(string(rawSyn))
	if err != nil {
		t.Fatalf("content/synonyms.txt: %v", err)
	}
	return docs, syn.Groups()
}

// RunRelevance indexes the seed content into a fresh index and runs the
// Judgements: it logs hit@3 and MRR (and every miss), and fails under
// MinHitAt3.
func RunRelevance(t *testing.T, newIndex func(t *testing.T) index.Index) {
	t.Helper()
	if len(Judgements) < 60 {
		t.Fatalf("only %d judgements; the benchmark needs at least 60", len(Judgements))
	}
	x := newIndex(t)
	ctx := t.Context()
	docs, groups := SeedDocs(t)
	if err := x.SetSynonyms(ctx, groups); err != nil {
		t.Fatalf("SetSynonyms: %v", err)
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatalf("Upsert seed: %v", err)
	}
	var hits int
	var rr float64
	for _, j := range Judgements {
		res, err := x.Search(ctx, index.Query{Text: j.Query, Limit: 10})
		if err != nil {
			t.Fatalf("Search %q: %v", j.Query, err)
		}
		got := ids(res)
		rank := slices.IndexFunc(got, func(id string) bool { return slices.Contains(j.Want, id) })
		if rank >= 0 {
			rr += 1 / float64(rank+1)
		}
		if os.Getenv("JINNANG_RELEVANCE_VERBOSE") != "" {
			t.Logf("%q → rank %d of %d: %v", j.Query, rank+1, res.Total, head(got, 3))
		}
		if rank >= 0 && rank < 3 {
			hits++
			continue
		}
		t.Logf("miss: %q → %v, want one of %v in the top 3", j.Query, head(got, 5), j.Want)
	}
	n := float64(len(Judgements))
	hit3, mrr := float64(hits)/n, rr/n
	summary := fmt.Sprintf("relevance: %d queries, hit@3 %.3f, MRR %.3f", len(Judgements), hit3, mrr)
	fmt.Println(summary) // printed in every run, not only with -v
	t.Log(summary)
	if hit3 < MinHitAt3 {
		t.Errorf("hit@3 %.3f is under %.2f", hit3, MinHitAt3)
	}
}

func head(s []string, n int) []string { return s[:min(n, len(s))] }
