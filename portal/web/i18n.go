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

	// Identity, roles and the security baseline.
	"error.403":           {"你没有权限访问这个页面或执行这个操作。", "You are not allowed to open this page or do this."},
	"error.403.title":     {"没有权限", "Not allowed"},
	"error.429.title":     {"请稍后再试", "Please slow down"},
	"error.csrf":          {"这个请求无法验证（页面可能已过期，或来自其他网站）。请刷新页面后重试。", "This request could not be verified (the page may be stale, or it came from another site). Reload the page and try again."},
	"nav.me":              {"我的", "Me"},
	"nav.admin":           {"管理", "Admin"},
	"user.menu":           {"当前用户", "Signed in as"},
	"logout.button":       {"退出", "Sign out"},
	"login.title":         {"登录", "Sign in"},
	"login.intro":         {"锦囊只对公司同事开放，请先登录。", "Jinnang is for colleagues only. Please sign in."},
	"login.bye":           {"你已退出登录。", "You have signed out."},
	"login.with":          {"登录", "Sign in"},
	"login.with.wecom":    {"用企业微信登录", "Sign in with WeCom"},
	"login.with.oidc":     {"用公司账号登录", "Sign in with your company account"},
	"login.with.dev":      {"演示登录（开发模式）", "Demo sign-in (development)"},
	"login.proxy":         {"请通过公司门户（单点登录网关）打开锦囊，登录会自动完成。", "Open Jinnang through the company portal (the single sign-on gateway); it signs you in automatically."},
	"dev.title":           {"选择演示身份", "Pick a demo person"},
	"dev.intro":           {"开发模式：选择一个演示同事登录。正式部署不会出现这个页面。", "Development mode: sign in as one of the demo colleagues. A real deployment never shows this page."},
	"signin.title":        {"登录没有完成", "Sign-in not completed"},
	"signin.retry":        {"登录没有成功，请重试。", "Sign-in did not succeed. Please try again."},
	"signin.again":        {"重新登录", "Try again"},
	"auth.denied":         {"你的账号没有开通锦囊的访问权限。如有疑问，请联系管理员。", "Your account is not allowed to use Jinnang. Please contact an administrator if you think this is wrong."},
	"me.title":            {"我的资料", "My profile"},
	"me.name":             {"姓名", "Name"},
	"me.dept":             {"部门", "Department"},
	"me.roles":            {"角色", "Roles"},
	"me.editor.of":        {"可编辑：%s", "Edits: %s"},
	"me.posts":            {"我的发布", "My posts"},
	"me.posts.empty":      {"你还没有发布内容。", "You have not posted anything yet."},
	"me.lang":             {"界面语言", "Language"},
	"me.lang.zh":          {"中文", "Chinese"},
	"me.lang.en":          {"英文", "English"},
	"me.lang.save":        {"保存", "Save"},
	"me.lang.saved":       {"语言偏好已保存。", "Language preference saved."},
	"me.none":             {"未设置", "Not set"},
	"role.admin":          {"管理员", "Administrator"},
	"role.moderator":      {"版主", "Moderator"},
	"role.editor":         {"编辑", "Editor"},
	"role.employee":       {"员工", "Employee"},
	"pack.edit":           {"编辑", "Edit"},
	"packs.new":           {"写新锦囊", "Write a pack"},
	"edit.new.title":      {"写新锦囊", "New pack"},
	"edit.title":          {"编辑：%s", "Edit: %s"},
	"edit.slug":           {"网址名", "Address name"},
	"edit.slug.help":      {"小写英文字母、数字和连字符，例如 expense-claims。创建后不能修改。", "Lowercase letters, digits and hyphens, e.g. expense-claims. It cannot be changed later."},
	"edit.slug.invalid":   {"网址名只能包含小写英文字母、数字和连字符，且以字母或数字开头（最多 100 个字符）。", "Use lowercase letters, digits and hyphens, starting with a letter or digit (at most 100 characters)."},
	"edit.slug.taken":     {"网址名“%s”已被使用，请换一个。", "The address name “%s” is taken; choose another."},
	"edit.source":         {"内容（Markdown）", "Content (Markdown)"},
	"edit.source.help":    {"开头的 --- 之间是锦囊信息（title、summary、department、tags、author、date），之后是正文。", "Between the --- lines at the top are the pack details (title, summary, department, tags, author, date); the body follows."},
	"edit.source.empty":   {"内容不能为空。", "The content cannot be empty."},
	"edit.source.line":    {"第 %d 行：%s", "Line %d: %s"},
	"edit.source.fm":      {"锦囊信息有误：%s", "Pack details: %s"},
	"edit.source.large":   {"内容太长了，最多 %d KB。", "The content is too long; at most %d KB."},
	"edit.source.complex": {"正文结构过于复杂（嵌套太深），请简化。", "The body is too complex (nested too deeply); please simplify it."},
	"edit.source.invalid": {"内容无法解析，请检查格式。", "The content could not be read; please check its format."},
	"edit.dept.missing":   {"请在锦囊信息里填写 department（部门）。", "Set department in the pack details."},
	"edit.dept.denied":    {"你不能发布或修改“%s”的锦囊。", "You may not write packs of “%s”."},
	"edit.conflict":       {"在你编辑期间，有人修改了这个锦囊。下面是对方保存的版本；你的内容保留在编辑框里，确认合并后再保存。", "Someone changed this pack while you were editing. Their version is below; yours is kept in the editor. Merge, then save again."},
	"edit.theirs":         {"对方保存的版本", "Their version"},
	"edit.save":           {"保存", "Save"},
	"edit.create":         {"发布", "Publish"},
	"edit.cancel":         {"取消", "Cancel"},
	"edit.errors":         {"请修改标出的问题后再提交。", "Please fix the marked problems and submit again."},
	"audit.title":         {"审计日志", "Audit log"},
	"audit.at":            {"时间", "Time"},
	"audit.actor":         {"操作人", "Actor"},
	"audit.action":        {"操作", "Action"},
	"audit.target":        {"对象", "Target"},
	"audit.detail":        {"详情", "Detail"},
	"audit.empty":         {"还没有记录。", "No entries yet."},
	"audit.newest":        {"最新 %d 条记录", "Newest %d entries"},
	"admin.reindex":       {"重建搜索索引", "Rebuild the search index"},
	"admin.reindex.help":  {"从存储重新索引全部锦囊。锦囊多时需要一些时间。", "Re-indexes every pack from the store. Takes a while with many packs."},
	"admin.reindexed":     {"索引已重建：%d 个锦囊。", "Index rebuilt: %d packs."},
	"admin.partial":       {"部分锦囊无法解析，已跳过，详见服务器日志。", "Some packs could not be parsed and were skipped; see the server log."},
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
				setLangCookie(c, l)
			}
			q := req.URL.Query()
			q.Del(langParam)
			return c.Redirect(http.StatusSeeOther, localURL(req.URL.EscapedPath(), q))
		}
		c.Set(langCtxKey, requestLang(req))
		return next(c)
	}
}

// setLangCookie remembers the language choice in this browser for a year.
func setLangCookie(c echo.Context, l Lang) {
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
