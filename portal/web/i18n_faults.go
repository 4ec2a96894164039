package web

// faultMessages are the catalogue entries of the fault-tolerance pages: the
// 503 page, anonymous incident ids, the admin health page.
var faultMessages = map[string][2]string{
	"error.503.title": {"请稍候再试", "Please try again shortly"},
	"error.incident":  {"事件编号 %s（联系管理员时请提供）", "Incident %s (quote it when you contact an admin)"},
	"error.retry":     {"重新加载", "Reload"},
}

func init() { addMessages(faultMessages) }
