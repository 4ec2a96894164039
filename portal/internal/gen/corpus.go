package gen

import (
	"os"
	"strconv"
)

// CorpusSizeEnv names the environment variable that sets how many packs the
// corpus benchmarks generate (default DefaultCorpusSize). A smaller figure
// makes a quick run practical on a laptop: JINNANG_BENCH_PACKS=2000 make bench.
const CorpusSizeEnv = "JINNANG_BENCH_PACKS"

// DefaultCorpusSize is the size of a real company's archive the speed goals
// are set for.
const DefaultCorpusSize = 20000

// CorpusSize returns the corpus size asked for in CorpusSizeEnv, or def when
// it is unset or not a positive number.
func CorpusSize(def int) int {
	if n, err := strconv.Atoi(os.Getenv(CorpusSizeEnv)); err == nil && n > 0 {
		return n
	}
	return def
}

// Corpus returns n packs of a company with 12 departments and 600 people,
// the same for the same seed.
func Corpus(seed uint64, n int) []Pack {
	g := New(seed)
	depts := Departments(12)
	people := g.People(600, depts)
	out := make([]Pack, n)
	for i := range out {
		out[i] = g.Pack(i, depts, people)
	}
	return out
}

// SearchQueries are what people type into the search box of a large archive,
// for search benchmarks: single characters (the worst case: they match most
// packs), words, questions without spaces, and a few Latin words.
var SearchQueries = []string{
	"报", "假", "会", "报销", "年假", "会议室", "发票", "公积金", "代码评审", "VPN",
	"年假怎么算", "报销要多久到账", "会议室怎么订", "新人第一天做什么", "发票丢了怎么报销",
	"社保公积金基数", "试用期转正", "门禁卡丢了", "Wi-Fi 密码", "合同审批流程",
	"差旅住宿费标准", "加班调休", "供应商比价", "绩效面谈", "打印机",
}
