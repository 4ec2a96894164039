package web

import (
	"strings"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/suggest"
)

func init() {
	addMessages(map[string][2]string{
		"fm.key.title":      {"标题（title）", "title"},
		"fm.key.summary":    {"摘要（summary）", "summary"},
		"fm.key.department": {"部门（department）", "department"},
		"fm.key.tags":       {"标签（tags）", "tags"},
		"fm.key.author":     {"作者（author）", "author"},
		"fm.key.audience":   {"读者（audience）", "audience"},
		"fm.key.date":       {"日期（date）", "date"},
		"fm.line":           {"开头信息第 %d 行：", "Header line %d: "},
		"fm.missing":        {"正文开头缺少锦囊信息（以 --- 开始，写 title: 标题，再以 --- 结束）", "The text does not start with its details (---, title: …, ---)"},
		"fm.unclosed":       {"第 1 行的 --- 没有结束：在信息后面另起一行写 ---", "The --- on line 1 is never closed: add a line with --- after the details"},
		"fm.yaml":           {"格式有误：每行写成“名称: 内容”，冒号后留一个空格；内容里有冒号时请加引号", "Not valid YAML: write “name: value” with a space after the colon; quote values that contain a colon"},
		"fm.unknown":        {"不认识的项“%s”，可用的项：%s", "Unknown key “%s”; allowed: %s"},
		"fm.value":          {"%s的写法不对（标签可写成“a，b”或列表，日期写成 2026-03-01）", "%s has the wrong form (tags as “a, b” or a list, dates as 2026-03-01)"},
		"fm.audience":       {"读者只能是 new-hire、manager 或 all", "audience must be new-hire, manager or all"},
		"fm.title":          {"标题不能为空", "The title is empty"},
		"fm.other":          {"锦囊信息有误：%s", "Pack details: %s"},
	})
}

// frontMatterMessage is a front-matter problem in the reader's language,
// naming the line and the key.
func frontMatterMessage(l Lang, fe *markdown.FrontMatterError) string {
	key := func() string {
		if fe.Key == "" {
			return ""
		}
		if _, ok := messages["fm.key."+fe.Key]; ok {
			return mustT(l, "fm.key."+fe.Key)
		}
		return fe.Key
	}
	var msg string
	switch fe.Code {
	case markdown.FMMissing:
		return mustT(l, "fm.missing")
	case markdown.FMUnclosed:
		return mustT(l, "fm.unclosed")
	case markdown.FMYAML:
		msg = mustT(l, "fm.yaml")
	case markdown.FMUnknownKey:
		msg = mustT(l, "fm.unknown", fe.Key, strings.Join([]string{"title", "summary", "department", "tags", "author", "audience", "date"}, ", "))
	case markdown.FMValue:
		msg = mustT(l, "fm.value", key())
	case markdown.FMAudience:
		msg = mustT(l, "fm.audience")
	case markdown.FMNoTitle:
		msg = mustT(l, "fm.title")
	default:
		return mustT(l, "fm.other", fe.Msg)
	}
	if fe.Line > 1 {
		return mustT(l, "fm.line", fe.Line) + msg
	}
	return msg
}

func init() {
	addMessages(map[string][2]string{
		"suggest.box.err.title":     {"请填写意见箱的标题", "Give the box a title"},
		"suggest.box.err.titlelong": {"标题不能超过 %d 个字（现在 %d 个）", "The title has %[2]d characters, more than %[1]d"},
		"suggest.box.err.intro":     {"说明不能超过 %d 个字（现在 %d 个）", "The intro has %[2]d characters, more than %[1]d"},
		"suggest.box.err.cats":      {"类别最多 %d 个（现在 %d 个）", "At most %d categories (now %d)"},
		"suggest.box.err.cat":       {"类别“%s”超过 %d 个字", "The category “%s” is longer than %d characters"},
	})
}

// boxFieldErrors puts the problems of a new suggestion box next to their
// fields; when none is found (a rule of the service the form does not know)
// the title gets the summary of all limits.
func boxFieldErrors(l Lang, title, intro string, cats []string, errs map[string]string) {
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		errs["title"] = mustT(l, "suggest.box.err.title")
	case n > suggest.MaxTitle:
		errs["title"] = mustT(l, "suggest.box.err.titlelong", suggest.MaxTitle, n)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(intro)); n > suggest.MaxIntro {
		errs["intro"] = mustT(l, "suggest.box.err.intro", suggest.MaxIntro, n)
	}
	if len(cats) > suggest.MaxCategories {
		errs["categories"] = mustT(l, "suggest.box.err.cats", suggest.MaxCategories, len(cats))
	}
	for _, c := range cats {
		if utf8.RuneCountInString(c) > suggest.MaxCategory {
			errs["categories"] = mustT(l, "suggest.box.err.cat", c, suggest.MaxCategory)
			break
		}
	}
	if len(errs) == 0 {
		errs["title"] = mustT(l, "suggest.box.invalid", suggest.MaxTitle, suggest.MaxIntro, suggest.MaxCategories, suggest.MaxCategory)
	}
}
