package web

// faultMessages are the catalogue entries of the fault-tolerance pages: the
// 503 page, anonymous incident ids, the admin health page.
var faultMessages = map[string][2]string{
	"error.503.title": {"请稍候再试", "Please try again shortly"},
	"error.incident":  {"事件编号 %s（联系管理员时请提供）", "Incident %s (quote it when you contact an admin)"},
	"error.retry":     {"重新加载", "Reload"},
	"error.corrupt":   {"这条记录已损坏，暂时无法显示。管理员可以在“系统状态”页面看到它。", "This record is damaged and cannot be shown. Admins see it on the health page."},

	"file.text.unreadable": {"这个文件的文字无法读取（文件可能已损坏或不完整），搜索只能按标题、标签和文件名找到它。可以上传一个完整的新版本。", "The text of this file could not be read (it may be damaged or incomplete), so search finds it only by its title, tags and file name. You can upload a complete new version."},
	"images.budget":        {"这次上传的图片加起来太大了，请少选几张或换小一点的图片。", "These photos are too large together; choose fewer or smaller ones."},

	"health.title":          {"系统状态", "Health"},
	"health.section.failed": {"这一部分暂时无法读取。", "This section could not be read."},
	"health.bad.title":      {"无法读取的记录", "Records that cannot be read"},
	"health.bad.intro":      {"这些记录已损坏，列表会跳过它们。修复或删除后会自动从这里消失。", "These records are damaged; lists skip them. They disappear from here once fixed or removed."},
	"health.bad.empty":      {"没有损坏的记录。", "No damaged records."},
	"health.bad.key":        {"对象", "Object"},
	"health.bad.reason":     {"原因", "Reason"},
	"health.bad.at":         {"首次发现", "First seen"},
}

func init() { addMessages(faultMessages) }
