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

// addMessages merges a feature's catalogue into messages at start-up (from an
// init function); a key defined twice is a programming error.
func addMessages(m map[string][2]string) {
	for k, v := range m {
		if _, dup := messages[k]; dup {
			panic(fmt.Sprintf("web: message key %q defined twice", k))
		}
		messages[k] = v
	}
}

// messages is the UI message catalogue: every string in Chinese first, then
// English. Values may hold fmt verbs; the template func t fills them.
// Features with many strings keep them in their own file (addMessages).
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
	"search.label":       {"搜索锦囊、资料、部门和公告", "Search packs, files, departments and announcements"},
	"search.placeholder": {"输入问题或关键词，例如：年假怎么算", "A question or a keyword, e.g. how do I claim expenses"},
	"search.button":      {"搜索", "Search"},
	"search.title":       {"搜索", "Search"},
	"search.titleq":      {"搜索：%s", "Search: %s"},
	"search.hint":        {"直接输入问题，例如“年假怎么算”“会议室怎么订”，也可以输入关键词、拼音或英文。结果包括锦囊、资料、部门介绍、公告和故事，可按类型、部门或标签缩小范围。", "Type a question, e.g. “年假怎么算”, or a keyword, pinyin or English. Results include packs, files, department intros, announcements and stories; narrow them by type, department or tag."},
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
	"admin.reindexed":     {"索引已重建：%d 条（锦囊与文件）。", "Index rebuilt: %d documents (packs and files)."},
	"admin.partial":       {"部分锦囊无法解析，已跳过，详见服务器日志。", "Some packs could not be parsed and were skipped; see the server log."},

	// Department files (资料下载) and department spaces.
	"nav.files":              {"资料", "Files"},
	"files.title":            {"资料下载", "Files"},
	"files.label":            {"搜索资料", "Search files"},
	"files.placeholder":      {"输入文件名或内容里的词，例如：报销单", "A file name or a word inside, e.g. expense form"},
	"files.total":            {"共 %d 个文件", "%d files"},
	"files.empty":            {"没有符合条件的文件。", "No files match."},
	"files.none":             {"还没有文件。", "No files yet."},
	"files.upload":           {"上传文件", "Upload a file"},
	"files.all":              {"查看全部资料", "See all files"},
	"file.meta":              {"文件信息", "File details"},
	"file.dept":              {"部门", "Department"},
	"file.tags":              {"标签", "Tags"},
	"file.name":              {"文件名", "File name"},
	"file.size":              {"大小", "Size"},
	"file.type":              {"类型", "Type"},
	"file.date":              {"更新日期", "Updated"},
	"file.download":          {"下载", "Download"},
	"file.preview":           {"在线预览", "Preview"},
	"file.versions":          {"历史版本", "Versions"},
	"file.version":           {"第 %d 版", "Version %d"},
	"file.current":           {"当前版本", "current"},
	"file.qr":                {"扫码在手机上打开", "Scan to open on a phone"},
	"file.qr.alt":            {"本页二维码", "QR code of this page"},
	"file.downloads":         {"下载次数：%d", "Downloads: %d"},
	"file.edit":              {"编辑信息", "Edit details"},
	"file.newversion":        {"上传新版本", "Upload a new version"},
	"file.delete":            {"删除文件", "Delete file"},
	"file.delete.confirm":    {"删除后所有版本都无法恢复。确定删除吗？", "Every version will be gone for good. Delete?"},
	"file.delete.yes":        {"确定删除", "Yes, delete"},
	"file.editor":            {"编辑操作", "Editor actions"},
	"file.badge":             {"文件", "File"},
	"size.bytes":             {"%d 字节", "%d bytes"},
	"type.pdf":               {"PDF 文档", "PDF document"},
	"type.word":              {"Word 文档", "Word document"},
	"type.excel":             {"Excel 表格", "Excel spreadsheet"},
	"type.ppt":               {"PowerPoint 演示文稿", "PowerPoint presentation"},
	"type.text":              {"文本文件", "Text file"},
	"type.markdown":          {"Markdown 文本", "Markdown text"},
	"type.csv":               {"CSV 表格", "CSV table"},
	"type.image":             {"图片", "Image"},
	"type.zip":               {"ZIP 压缩包", "ZIP archive"},
	"fileform.new.title":     {"上传文件", "Upload a file"},
	"fileform.version.title": {"上传新版本：%s", "New version: %s"},
	"fileform.dept":          {"部门", "Department"},
	"fileform.title":         {"标题", "Title"},
	"fileform.title.help":    {"留空则使用文件名。", "Leave empty to use the file name."},
	"fileform.desc":          {"说明", "Description"},
	"fileform.tags":          {"标签", "Tags"},
	"fileform.tags.help":     {"用逗号分隔，例如：报销, 表格。标签与文件名可用于“直达”。", "Separate with commas, e.g. expenses, forms. Tags and titles work as search shortcuts."},
	"fileform.file":          {"文件", "File"},
	"fileform.file.help":     {"支持 PDF、Word、Excel、PowerPoint、文本、CSV、图片和 ZIP，最大 %d MB。", "PDF, Word, Excel, PowerPoint, text, CSV, images and ZIP, up to %d MB."},
	"fileform.version.help":  {"新版本会成为当前版本，旧版本仍可下载。", "The new version becomes current; older versions stay downloadable."},
	"fileform.submit":        {"上传", "Upload"},
	"fileform.file.missing":  {"请选择要上传的文件。", "Choose a file to upload."},
	"fileform.file.large":    {"文件超过 %d MB，请压缩或拆分后再上传。", "The file is larger than %d MB; compress or split it, then upload again."},
	"fileform.file.type":     {"不支持这种文件类型（%s）。可以上传 PDF、Word、Excel、PowerPoint、文本、CSV、图片或 ZIP。", "This file type is not allowed (%s). Upload PDF, Word, Excel, PowerPoint, text, CSV, an image or ZIP."},
	"fileform.file.empty":    {"文件是空的。", "The file is empty."},
	"fileform.file.again":    {"出于安全原因，请重新选择文件。", "For your safety, choose the file again."},
	"fileform.conflict":      {"在你上传期间，有人更新了这个文件。请查看最新版本后再上传。", "Someone updated this file while you were uploading. Check the latest version, then upload again."},
	"fileform.dept.missing":  {"请选择部门。", "Choose a department."},
	"fileform.dept.denied":   {"你不能上传或修改“%s”的资料。", "You may not upload files of “%s”."},
	"fileform.title.missing": {"标题不能为空。", "The title cannot be empty."},
	"fileform.title.long":    {"标题最多 %d 个字。", "The title can have at most %d characters."},
	"fileform.desc.long":     {"说明最多 %d 个字。", "The description can have at most %d characters."},
	"fileform.tags.many":     {"最多 %d 个标签。", "At most %d tags."},
	"fileform.tags.long":     {"每个标签最多 %d 个字。", "Each tag can have at most %d characters."},
	"fileedit.title":         {"编辑文件信息：%s", "Edit file details: %s"},
	"fileedit.conflict":      {"在你编辑期间，有人修改了这个文件的信息。请确认下面的内容后再保存。", "Someone changed this file's details while you were editing. Check the fields, then save again."},
	"wechat.title":           {"请在浏览器中打开", "Open in your browser"},
	"wechat.intro":           {"微信内置浏览器无法下载文件。", "WeChat's built-in browser cannot download files."},
	"wechat.hint":            {"点右上角 ··· 选择『在浏览器打开』", "Tap ··· at the top right and choose “Open in Browser”"},
	"wechat.or":              {"或者复制下面的链接，粘贴到手机浏览器里打开：", "Or copy the link below and paste it into your phone's browser:"},
	"wechat.copy":            {"复制链接", "Copy link"},
	"wechat.copied":          {"已复制", "Copied"},
	"wechat.back":            {"返回文件页", "Back to the file"},
	"dept.intro":             {"部门介绍", "About"},
	"dept.packs":             {"部门锦囊", "Packs"},
	"dept.files":             {"部门资料", "Files"},
	"dept.qr":                {"部门微信群", "WeChat group"},
	"dept.qr.alt":            {"%s微信群二维码", "WeChat group QR code of %s"},
	"dept.qr.help":           {"长按识别二维码加入群聊。", "Press and hold the code to join the group."},
	"dept.qr.upload":         {"更换群二维码", "Replace the group QR code"},
	"dept.qr.file":           {"二维码图片（PNG 或 JPEG，最大 2 MB）", "QR image (PNG or JPEG, up to 2 MB)"},
	"dept.qr.invalid":        {"二维码图片需为 PNG 或 JPEG，且不超过 2 MB。", "The QR image must be a PNG or JPEG of at most 2 MB."},
	"dept.qr.submit":         {"上传二维码", "Upload QR code"},
	"dept.files.total":       {"共 %d 个文件", "%d files"},
	"search.files":           {"资料文件", "Files"},
	"search.files.more":      {"在资料库中查看全部 %d 个文件", "See all %d files in the library"},
	"search.shortcut":        {"直达", "Go straight to"},

	// Department announcements (部门公告) and department administration.
	"announce.title":              {"公告", "Announcements"},
	"announce.home.heading":       {"公告", "Announcements"},
	"announce.dept.heading":       {"部门公告", "Announcements"},
	"announce.all":                {"查看全部公告", "See all announcements"},
	"announce.empty":              {"暂时没有公告。", "No announcements right now."},
	"announce.new":                {"发布公告", "Post an announcement"},
	"announce.new.title":          {"发布公告", "New announcement"},
	"announce.edit.title":         {"编辑公告：%s", "Edit announcement: %s"},
	"announce.edit":               {"编辑", "Edit"},
	"announce.pinned":             {"置顶", "Pinned"},
	"announce.everyone":           {"全员", "Everyone"},
	"announce.to":                 {"发给：", "To: "},
	"announce.by":                 {"%s 发布", "Posted by %s"},
	"announce.until":              {"显示到 %s", "Shown until %s"},
	"announce.field.title":        {"标题", "Title"},
	"announce.field.targets":      {"发给", "Send to"},
	"announce.field.body":         {"内容（Markdown）", "Message (Markdown)"},
	"announce.field.pinned":       {"置顶（排在其他公告前面）", "Pin (show above the other announcements)"},
	"announce.field.expires":      {"截止日期（可选）", "Last day shown (optional)"},
	"announce.body.help":          {"可用 Markdown：**加粗**、列表、链接。最多 %d 个字。", "Markdown works: **bold**, lists, links. At most %d characters."},
	"announce.expires.help":       {"过了这一天公告就不再显示；留空则一直显示。", "After this day the announcement is no longer shown; leave empty to keep it."},
	"announce.targets.help.admin": {"选“全员”发给所有人，或选一个或多个部门。", "Choose Everyone, or one or more departments."},
	"announce.submit":             {"发布", "Post"},
	"announce.delete":             {"删除公告", "Delete announcement"},
	"announce.delete.confirm":     {"删除后无法恢复。确定删除吗？", "This cannot be undone. Delete?"},
	"announce.delete.yes":         {"确定删除", "Yes, delete"},
	"announce.title.missing":      {"标题不能为空。", "The title cannot be empty."},
	"announce.title.long":         {"标题最多 %d 个字。", "The title can have at most %d characters."},
	"announce.body.long":          {"内容最多 %d 个字。", "The message can have at most %d characters."},
	"announce.targets.missing":    {"请选择要发给哪个部门。", "Choose who the announcement is for."},
	"announce.targets.one":        {"只能选择一个部门。", "Choose one department."},
	"announce.targets.many":       {"最多选择 %d 个部门。", "Choose at most %d departments."},
	"announce.targets.invalid":    {"部门名称“%s”无效。", "“%s” is not a valid department name."},
	"announce.targets.denied":     {"你不能给“%s”发布公告。", "You may not post announcements for “%s”."},
	"announce.expires.invalid":    {"请填写有效的日期，例如 2026-12-31。", "Enter a valid date, e.g. 2026-12-31."},
	"announce.expires.past":       {"截止日期不能早于今天。", "The last day cannot be before today."},
	"announce.conflict":           {"在你编辑期间，有人修改了这条公告。你的内容保留在下面；确认后再保存会覆盖对方的修改。", "Someone changed this announcement while you were editing. Your text is kept below; saving again replaces their change."},
	"admindepts.title":            {"部门管理", "Departments admin"},
	"admindepts.name":             {"部门名称", "Name"},
	"admindepts.intro":            {"部门介绍", "Intro"},
	"admindepts.qr":               {"群二维码", "Group QR"},
	"admindepts.packs":            {"锦囊数", "Packs"},
	"admindepts.files":            {"文件数", "Files"},
	"admindepts.actions":          {"操作", "Actions"},
	"admindepts.yes":              {"有", "Yes"},
	"admindepts.no":               {"无", "No"},
	"admindepts.edit":             {"编辑介绍", "Edit intro"},
	"admindepts.record.none":      {"还没有部门记录（只出现在锦囊或文件里），可在下面创建。", "No record yet (named by packs or files only); create it below."},
	"admindepts.create":           {"新建部门", "New department"},
	"admindepts.create.submit":    {"创建部门", "Create department"},
	"admindepts.name.help":        {"最多 %d 个字，不能包含“/”。创建后不能改名。", "At most %d characters, no “/”. It cannot be renamed later."},
	"admindepts.name.invalid":     {"部门名称需为 1 到 %d 个字，不能包含“/”或控制字符。", "A department name has 1 to %d characters, without “/” or control characters."},
	"admindepts.name.taken":       {"部门“%s”已经存在。", "The department “%s” already exists."},
	"admindepts.intro.long":       {"介绍最多 %d 个字。", "The intro can have at most %d characters."},
	"admindepts.created":          {"已创建部门“%s”。", "Created the department “%s”."},
	"admindept.title":             {"编辑部门介绍：%s", "Edit intro: %s"},
	"admindept.intro.help":        {"一段话，说明部门做什么、有事找谁。最多 %d 个字。", "One paragraph: what the department does and whom to ask. At most %d characters."},
	"admindept.conflict":          {"在你编辑期间，有人修改了这个部门的记录。你的内容保留在下面；再次保存会覆盖对方的修改。", "Someone changed this department while you were editing. Your text is kept below; saving again replaces their change."},
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
		if anonymousPath(req.URL.Path) { // no cookie read or set: ?lang= travels in the URL
			c.Set(langCtxKey, anonLang(req))
			return next(c)
		}
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
