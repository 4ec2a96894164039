package web

// scaleMessages are the catalogue entries of the paged lists (audit log
// filters, older/newer links); init adds them to messages.
var scaleMessages = map[string][2]string{
	"audit.filter.kind":     {"类别", "Kind"},
	"audit.filter.all":      {"全部", "All"},
	"audit.filter.person":   {"操作人（账号）", "Actor (user ID)"},
	"audit.filter.date":     {"截至日期", "Up to date"},
	"audit.filter.date.bad": {"日期格式应为 年-月-日，例如 2026-03-01", "Give the date as year-month-day, e.g. 2026-03-01"},
	"audit.filter.apply":    {"筛选", "Filter"},
	"audit.filter.clear":    {"清除筛选", "Clear filters"},
	"audit.shown":           {"本页 %d 条记录，从新到旧", "%d entries on this page, newest first"},
	"audit.none":            {"没有符合条件的记录。", "No entries match."},
	"audit.capped":          {"本页已查阅到上限，更早的记录可能还有符合条件的，请点“更早的记录”。", "This page reached its scan limit; older entries may still match — follow “Older entries”."},
	"story.comments.total":  {"共 %d 条，从新到旧", "%d, newest first"},
	"story.comments.more":   {"更多评论", "More comments"},
	"story.comments.newest": {"最新评论", "Newest comments"},
	"suggest.inbox.older":   {"更早的建议（更多）", "Older suggestions (more)"},
	"suggest.inbox.capped":  {"本页已查阅到上限，更早的建议可能还有符合条件的，请点“更早的建议”。", "This page reached its scan limit; older suggestions may still match — follow “Older suggestions”."},
	"polls.more":            {"更多投票", "More polls"},
	"audit.older":           {"更早的记录（更多）", "Older entries (more)"},
	"leaderboard.more":      {"更多（第 %d 名起）", "More (from rank %d)"},
	"admin.reindex.running": {"正在后台重建索引（%s UTC 开始）……", "Rebuilding the index in the background (started %s UTC)…"},
	"admin.reindex.refresh": {"刷新查看进度", "Refresh to see progress"},
	"admin.reindex.busy":    {"另一个门户进程正在重建索引，本次未重复运行（%s UTC）。", "Another portal process is rebuilding the index; this one did not start a second run (%s UTC)."},
	"admin.reindex.failed":  {"重建索引失败（%s UTC）：%s", "Rebuilding the index failed (%s UTC): %s"},
	"admin.reindex.done":    {"索引已于 %s UTC 重建完成：%d 条。", "Index rebuilt at %s UTC: %d documents."},
	"leaderboard.top":       {"回到前列", "Back to the top"},
}

func init() { addMessages(scaleMessages) }
