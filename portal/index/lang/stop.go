package lang

import (
	"strings"

	porterstemmer "github.com/blevesearch/go-porterstemmer"
)

// stopZh are the question and function words people put around what they
// ask (年假怎么算, 报销要多久到账): they need not match, but still score.
var stopZh = strings.Fields(`
的 了 吗 呢 吧 啊 呀 嘛 哦 么 着 过 得 地
我 你 他 她 它 我们 你们 他们 咱们 自己 大家 人家
是 在 有 没 没有 要 想 想要 需要 应该 可以 可能 能 能不能 会不会 是不是 有没有 得到
和 与 及 或 或者 还是 就 都 也 还 又 再 才 很 太 最 更 把 被 给 让 对 从 到底 究竟
怎么 怎样 怎么样 怎么办 如何 什么 啥 咋 为什么 为何 哪 哪里 哪儿 哪些 哪个 哪家 谁 找谁
多久 多少 多长 多长时间 多大 几 几天 几个 几号 几点 是否 何时 什么时候 时候
请问 一下 一个 这个 那个 这 那 这些 那些 做 办 弄 搞 去 来 上 下 用 呀
`)

// stopEn are English stop words and question words.
var stopEn = strings.Fields(`
a an the and or but if of at by for with about to from in on into onto off out over under up down
i me my we our you your he him his she her it its they them their this that these those
is are was were be been being am do does did doing have has had having can could should would will shall may might must
what which who whom whose when where why how there here than then so not no nor too very just also only
get got any some all each every much many more most other such own same
please tell know need want
`)

var stopSet = func() map[string]bool {
	m := make(map[string]bool, len(stopZh)+len(stopEn))
	for _, w := range stopZh {
		m[w] = true
	}
	for _, w := range stopEn {
		m[w] = true
	}
	return m
}()

// IsStop reports whether the normalized word w is a question or function
// word (Chinese or English).
func IsStop(w string) bool { return stopSet[w] }

// StopWords returns every stop word, for backends that take a list
// (Meilisearch's stopWords setting).
func StopWords() []string {
	out := make([]string, 0, len(stopSet))
	out = append(out, stopZh...)
	out = append(out, stopEn...)
	return out
}

// Stem returns the English (Porter) stem of a lowercase Latin word; words
// with digits, and short ones, are kept as they are.
func Stem(w string) string {
	if len(w) < 3 || strings.ContainsAny(w, "0123456789") {
		return w
	}
	return porterstemmer.StemString(w)
}

// Fuzziness is the typo tolerance of a Latin word: one edit from 5 letters,
// two from 9 (Meilisearch's defaults), none for shorter words.
func Fuzziness(w string) int {
	switch n := len([]rune(w)); {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// Transpositions returns w with each pair of neighbouring letters swapped
// (invioce → invoice): one typo for a person, two edits for Levenshtein.
func Transpositions(w string) []string {
	rs := []rune(w)
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] == rs[i+1] {
			continue
		}
		c := append([]rune(nil), rs...)
		c[i], c[i+1] = c[i+1], c[i]
		out = append(out, string(c))
	}
	return out
}
