package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Lang is a UI language. Chinese is the default; English is the second language.
type Lang string

const (
	// LangZh is simplified Chinese, the default.
	LangZh Lang = "zh"
	// LangEn is English.
	LangEn Lang = "en"
)

const (
	langCookie    = "lang"
	langParam     = "lang"
	langCtxKey    = "web.lang"
	langCookieAge = 365 * 24 * time.Hour
)

// parseLang maps a cookie or query value to a Lang.
func parseLang(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh", "zh-cn", "zh-hans":
		return LangZh, true
	case "en":
		return LangEn, true
	}
	return "", false
}

// htmlLang is the value of <html lang>.
func (l Lang) htmlLang() string {
	if l == LangEn {
		return "en"
	}
	return "zh-CN"
}

// other is the language the switch link offers.
func (l Lang) other() Lang {
	if l == LangEn {
		return LangZh
	}
	return LangEn
}

// idx is the column of the language in the catalogue.
func (l Lang) idx() int {
	if l == LangEn {
		return 1
	}
	return 0
}

// messages is the UI message catalogue: every string in Chinese first, then
// English. Values may hold fmt verbs; the template func t fills them.
var messages = map[string][2]string{
	"site.name":          {"锦囊", "Jinnang"},
	"site.tagline":       {"同事写给同事的经验锦囊", "Know-how from colleagues, for colleagues"},
	"nav.home":           {"首页", "Home"},
	"nav.packs":          {"锦囊", "Packs"},
	"nav.departments":    {"部门", "Departments"},
	"nav.search":         {"搜索", "Search"},
	"nav.main":           {"主导航", "Main navigation"},
	"lang.switch":        {"English", "中文"},
	"lang.switch.label":  {"切换到英文", "Switch to Chinese"},
	"skip.content":       {"跳到正文", "Skip to content"},
	"footer.text":        {"锦囊 · 员工社区", "Jinnang · employee community"},
	"search.label":       {"搜索锦囊", "Search packs"},
	"search.placeholder": {"输入关键词，例如：报销", "Type a keyword, e.g. expenses"},
	"search.button":      {"搜索", "Search"},
	"search.title":       {"搜索", "Search"},
	"search.titleq":      {"搜索：%s", "Search: %s"},
	"search.hint":        {"输入关键词搜索所有锦囊，可按部门或标签缩小范围。", "Type a keyword to search every pack; narrow by department or tag."},
	"search.loading":     {"搜索中…", "Searching…"},
	"search.total":       {"共 %d 条结果", "%d results"},
	"search.empty":       {"没有找到与“%s”相关的结果。", "No results for “%s”."},
	"search.suggest":     {"建议：", "Suggestions:"},
	"search.suggest1":    {"检查错别字，或换一个更短的词；", "Check the spelling or try a shorter word;"},
	"search.suggest2":    {"去掉部门或标签筛选；", "Remove the department or tag filter;"},
	"search.suggest3":    {"浏览全部锦囊。", "Browse all packs."},
	"search.truncated":   {"关键词过长，只搜索了前 %d 个字。", "Query too long; only the first %d characters were searched."},
	"filter.dept":        {"部门：%s", "Department: %s"},
	"filter.tag":         {"标签：%s", "Tag: %s"},
	"filter.clear":       {"清除筛选", "Clear filters"},
	"filter.remove":      {"移除此筛选", "Remove this filter"},
	"facets.title":       {"筛选", "Filter"},
	"facets.dept":        {"按部门", "By department"},
	"facets.tag":         {"按标签", "By tag"},
	"home.title":         {"首页", "Home"},
	"home.latest":        {"最新锦囊", "Latest packs"},
	"home.daily":         {"今日推荐", "Pick of the day"},
	"home.all":           {"查看全部锦囊", "See all packs"},
	"home.empty":         {"还没有锦囊。", "No packs yet."},
	"packs.title":        {"全部锦囊", "All packs"},
	"packs.total":        {"共 %d 个锦囊", "%d packs"},
	"packs.empty":        {"没有符合条件的锦囊。", "No packs match."},
	"pack.meta":          {"锦囊信息", "Pack details"},
	"pack.dept":          {"部门", "Department"},
	"pack.author":        {"作者", "Author"},
	"pack.date":          {"日期", "Date"},
	"pack.tags":          {"标签", "Tags"},
	"pack.toc":           {"目录", "Contents"},
	"pack.back":          {"返回全部锦囊", "Back to all packs"},
	"departments.title":  {"部门", "Departments"},
	"departments.empty":  {"还没有部门。", "No departments yet."},
	"departments.count":  {"%d 个锦囊", "%d packs"},
	"department.title":   {"部门：%s", "Department: %s"},
	"department.all":     {"全部部门", "All departments"},
	"pager.label":        {"分页", "Pagination"},
	"pager.prev":         {"上一页", "Previous"},
	"pager.next":         {"下一页", "Next"},
	"pager.status":       {"第 %d / %d 页", "Page %d of %d"},
	"error.title":        {"出错了", "Something went wrong"},
	"error.home":         {"回到首页", "Go to the home page"},
	"error.search":       {"搜索锦囊", "Search packs"},
	"error.400":          {"请求有误，请检查后重试。", "The request was not valid. Please check it and try again."},
	"error.404":          {"页面不存在，可能已被移动或删除。", "This page does not exist. It may have been moved or deleted."},
	"error.404.title":    {"找不到页面", "Page not found"},
	"error.405":          {"不支持此操作。", "This method is not allowed."},
	"error.413":          {"提交的内容太大了。", "What you sent is too large."},
	"error.429":          {"请求太频繁，请稍后再试。", "Too many requests. Please try again shortly."},
	"error.500":          {"服务器出了点问题，我们会尽快处理。请稍后再试。", "Something went wrong on our side. Please try again later."},
	"error.500.title":    {"服务器错误", "Server error"},
	"error.503":          {"服务暂时不可用，请稍后再试。", "The service is temporarily unavailable. Please try again later."},
	"error.code":         {"错误代码 %d", "Error %d"},
	"date.format":        {"2006年1月2日", "2 Jan 2006"},
}

// translate looks up key in the catalogue and formats it with args.
func translate(l Lang, key string, args ...any) (string, error) {
	m, ok := messages[key]
	if !ok {
		return "", fmt.Errorf("i18n: unknown message key %q", key)
	}
	s := m[l.idx()]
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s, nil
}

// mustT is translate for keys known to exist (used from Go code, not templates).
func mustT(l Lang, key string, args ...any) string {
	s, err := translate(l, key, args...)
	if err != nil {
		return key
	}
	return s
}

// fromAcceptLanguage picks zh or en from an Accept-Language header by q value;
// Chinese wins ties and is the default.
func fromAcceptLanguage(h string) Lang {
	best, bestQ := LangZh, -1.0
	for part := range strings.SplitSeq(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var l Lang
		switch primary {
		case "zh":
			l = LangZh
		case "en":
			l = LangEn
		default:
			continue
		}
		if q > bestQ || (q == bestQ && l == LangZh) {
			best, bestQ = l, q
		}
	}
	if bestQ <= 0 {
		return LangZh
	}
	return best
}

// langMiddleware handles the ?lang= switch (sets the cookie and redirects to
// the same URL without the parameter) and stores the request language.
func langMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if v := req.URL.Query().Get(langParam); v != "" && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
			if l, ok := parseLang(v); ok {
				c.SetCookie(&http.Cookie{
					Name:     langCookie,
					Value:    string(l),
					Path:     "/",
					MaxAge:   int(langCookieAge / time.Second),
					HttpOnly: true,
					Secure:   c.Scheme() == "https",
					SameSite: http.SameSiteLaxMode,
				})
			}
			q := req.URL.Query()
			q.Del(langParam)
			return c.Redirect(http.StatusSeeOther, localURL(req.URL.EscapedPath(), q))
		}
		c.Set(langCtxKey, requestLang(req))
		return next(c)
	}
}

// requestLang is the cookie language, else the Accept-Language choice.
func requestLang(req *http.Request) Lang {
	if ck, err := req.Cookie(langCookie); err == nil {
		if l, ok := parseLang(ck.Value); ok {
			return l
		}
	}
	return fromAcceptLanguage(req.Header.Get("Accept-Language"))
}

// langOf returns the language chosen for the request.
func langOf(c echo.Context) Lang {
	if l, ok := c.Get(langCtxKey).(Lang); ok {
		return l
	}
	return requestLang(c.Request())
}

// localURL joins an already escaped path and a query into a same-site URL. It
// never yields a scheme-relative URL ("//host"), so it is safe as a redirect
// target.
func localURL(escapedPath string, q url.Values) string {
	p := "/" + strings.TrimLeft(escapedPath, "/\\")
	if enc := q.Encode(); enc != "" {
		p += "?" + enc
	}
	return p
}
