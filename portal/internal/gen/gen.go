// Package gen makes realistic, deterministic data for benchmarks and scale
// tests: Chinese workplace text, a company of departments and people, and
// wisdom-pack Markdown. Every generator is seeded, so two runs with the same
// seed produce the same corpus and figures can be compared across commits.
// It is shared by every benchmark and load generator (STYLE.md 17); add new
// record kinds here rather than beside the benchmark that first needs them.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Gen is a seeded generator. It is not safe for concurrent use: give each
// goroutine its own (New with a different seed).
type Gen struct {
	r *rand.Rand
}

// New returns a generator whose output depends only on seed.
func New(seed uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Intn returns a number in [0, n).
func (g *Gen) Intn(n int) int { return g.r.IntN(n) }

// Between returns a number in [lo, hi].
func (g *Gen) Between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// Pick returns one element of xs.
func Pick[T any](g *Gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// baseDepartments are the departments every generated company has, in this
// order (they match content/departments.yaml); Departments adds more.
var baseDepartments = []string{"人力资源部", "财务部", "技术部", "销售部", "行政部"}

var extraDepartments = []string{
	"市场部", "法务部", "采购部", "客服部", "质量部", "生产部", "物流部", "产品部",
	"运营部", "审计部", "公关部", "研发一部", "研发二部", "测试部", "数据部", "安全部",
	"华东销售部", "华南销售部", "华北销售部", "西南销售部", "海外事业部", "战略部",
	"投资部", "培训中心", "设计部",
}

// Departments returns n department names (5 ≤ n ≤ 30): the five seed
// departments first, then others.
func Departments(n int) []string {
	n = max(5, min(n, len(baseDepartments)+len(extraDepartments)))
	out := append([]string{}, baseDepartments...)
	return append(out, extraDepartments[:n-len(baseDepartments)]...)
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏宇浩凯晨欣怡佳雪梦思远航嘉琪子轩涵博雨婷俊峰志坤海燕丹琳颖倩毅斌昊然晓")

// Person is one generated employee.
type Person struct {
	ID         string // stable, e.g. "u00042"
	Name       string // a Chinese name of two or three characters
	Department string
}

// People returns n employees spread over depts (larger departments first,
// as in a real company where sales and engineering outnumber legal).
func (g *Gen) People(n int, depts []string) []Person {
	out := make([]Person, n)
	for i := range out {
		name := []rune{surnames[g.r.IntN(len(surnames))], givenChars[g.r.IntN(len(givenChars))]}
		if g.r.IntN(3) > 0 {
			name = append(name, givenChars[g.r.IntN(len(givenChars))])
		}
		// A skewed pick: department k gets weight ~ 1/(k+2).
		d := int(float64(len(depts)) * g.r.Float64() * g.r.Float64())
		out[i] = Person{ID: fmt.Sprintf("u%05d", i), Name: string(name), Department: depts[d]}
	}
	return out
}

// topics are workplace subjects; each has words that appear together.
var topics = [][]string{
	{"报销", "发票", "报销单", "审批", "到账", "差旅", "住宿费", "交通费", "财务系统", "付款"},
	{"年假", "请假", "考勤", "加班", "调休", "病假", "事假", "假期", "打卡", "婚假"},
	{"入职", "新人", "转正", "试用期", "培训", "导师", "工牌", "劳动合同", "入职材料", "第一天"},
	{"社保", "公积金", "基数", "缴费", "转移", "医保", "五险一金", "个税", "工资条", "薪酬"},
	{"会议室", "预订", "门禁", "访客", "工位", "快递", "办公用品", "固定资产", "报修", "前台"},
	{"代码评审", "合并请求", "分支", "发布", "值班", "故障", "监控", "告警", "测试环境", "回滚"},
	{"客户", "报价", "合同", "回款", "拜访", "折扣", "商机", "提成", "案例", "投标"},
	{"VPN", "Wi-Fi", "邮箱", "账号", "权限", "电脑", "打印机", "企业微信", "密码", "软件"},
	{"绩效", "目标", "述职", "晋升", "面谈", "反馈", "职级", "调岗", "评估", "复盘"},
	{"采购", "供应商", "比价", "验收", "询价", "预算", "立项", "招标", "合规", "印章"},
}

var connectives = []string{"首先", "然后", "另外", "同时", "如果", "注意", "一般来说", "通常", "最后", "需要提醒的是"}
var verbs = []string{"提交", "确认", "填写", "上传", "联系", "查看", "申请", "核对", "办理", "保存", "打印", "抄送"}
var objects = []string{"系统", "流程", "表格", "附件", "负责人", "部门经理", "HRBP", "OA", "邮件", "截图", "原件", "说明"}
var tails = []string{"即可", "就可以了", "后等待审批", "并保留记录", "以免耽误进度", "避免来回退回", "一般两个工作日内完成", "如有疑问请在群里提问"}

// Topic returns the words of one topic; the same index gives the same words.
func Topic(i int) []string { return topics[i%len(topics)] }

// Sentence writes one Chinese sentence about topic words (ending in 。).
func (g *Gen) Sentence(words []string) string {
	var b strings.Builder
	if g.r.IntN(3) == 0 {
		b.WriteString(Pick(g, connectives))
		b.WriteString("，")
	}
	b.WriteString(Pick(g, words))
	b.WriteString(Pick(g, []string{"的时候", "之前", "之后", "时", "前"}))
	b.WriteString("请")
	b.WriteString(Pick(g, verbs))
	b.WriteString(Pick(g, words))
	b.WriteString(Pick(g, []string{"和", "与", "以及"}))
	b.WriteString(Pick(g, objects))
	if g.r.IntN(2) == 0 {
		b.WriteString("，")
		b.WriteString(Pick(g, verbs))
		b.WriteString(Pick(g, objects))
	}
	b.WriteString(Pick(g, tails))
	b.WriteString("。")
	return b.String()
}

// Paragraph writes sentences until the text has at least runes characters.
func (g *Gen) Paragraph(words []string, runes int) string {
	var b strings.Builder
	n := 0
	for n < runes {
		s := g.Sentence(words)
		b.WriteString(s)
		n += len([]rune(s))
	}
	return b.String()
}

// Pack is a generated wisdom pack.
type Pack struct {
	Slug       string
	Title      string
	Summary    string
	Department string
	Tags       []string
	Author     string
	Date       time.Time
	Body       string // Markdown
}

// Markdown returns the pack as a file with YAML front matter, as an editor
// would write it (the format of content/packs).
func (p Pack) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\nsummary: %s\ndepartment: %s\ntags: [%s]\nauthor: %s\naudience: [all]\ndate: %s\n---\n\n",
		p.Title, p.Summary, p.Department, strings.Join(p.Tags, ", "), p.Author, p.Date.Format("2006-01-02"))
	b.WriteString(p.Body)
	return []byte(b.String())
}

var titleForms = []string{"%s怎么办：%s的完整流程", "%s常见问题：关于%s", "新人必读：%s和%s", "%s指南（%s篇）", "一文讲清%s与%s", "%s的注意事项：%s"}

// Pack makes pack number i with a body of 300–3000 characters, written by one
// of people in depts.
func (g *Gen) Pack(i int, depts []string, people []Person) Pack {
	words := Topic(g.r.IntN(len(topics)))
	w1, w2 := Pick(g, words), Pick(g, words)
	author := Pick(g, people)
	var body strings.Builder
	size := g.Between(300, 3000)
	sections := max(1, size/400)
	for s := range sections {
		fmt.Fprintf(&body, "## %d. %s\n\n", s+1, Pick(g, words)+Pick(g, []string{"的流程", "要点", "常见问题", "怎么做", "注意事项"}))
		body.WriteString(g.Paragraph(words, size/sections))
		body.WriteString("\n\n")
		if g.r.IntN(4) == 0 {
			fmt.Fprintf(&body, "- %s\n- %s\n\n", g.Sentence(words), g.Sentence(words))
		}
	}
	return Pack{
		Slug:       fmt.Sprintf("gen-%06d", i),
		Title:      fmt.Sprintf(Pick(g, titleForms), w1, w2),
		Summary:    g.Sentence(words) + g.Sentence(words),
		Department: Pick(g, depts),
		Tags:       []string{w1, w2},
		Author:     fmt.Sprintf("%s（%s）", author.Name, author.Department),
		Date:       time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.IntN(6*365*24)) * time.Hour),
		Body:       body.String(),
	}
}
