package web

// phoneMessages are the catalogue entries of the phone-first work: feed
// cards, relative times, delete confirmations and undo.
var phoneMessages = map[string][2]string{
	"time.now":                   {"刚刚", "just now"},
	"time.minutes":               {"%d分钟前", "%d min ago"},
	"time.hours":                 {"%d小时前", "%d h ago"},
	"time.yesterday":             {"昨天", "yesterday"},
	"time.days":                  {"%d天前", "%d days ago"},
	"time.monthday":              {"%d月%d日", "%[2]d/%[1]d"},
	"feed.likes":                 {"%d 赞", "%d likes"},
	"feed.comments":              {"%d 评论", "%d comments"},
	"feed.comment":               {"评论", "Comment"},
	"feed.open":                  {"打开 %s 的故事", "Open the story by %s"},
	"undo.story.confirm.title":   {"删除故事", "Delete story"},
	"undo.story.confirm":         {"确定删除这条故事吗？", "Delete this story?"},
	"undo.comment.confirm.title": {"删除评论", "Delete comment"},
	"undo.comment.confirm":       {"确定删除这条评论吗？", "Delete this comment?"},
	"undo.delete.yes":            {"删除", "Delete"},
	"undo.hint":                  {"删除后 %d 分钟内可以撤销。", "You can undo this for %d minutes."},
	"undo.story.done":            {"故事已删除", "Story deleted"},
	"undo.comment.done":          {"评论已删除", "Comment deleted"},
	"undo.button":                {"撤销", "Undo"},
	"undo.back":                  {"返回", "Back"},
	"undo.late.title":            {"无法撤销", "Cannot undo"},
	"undo.late":                  {"已超过 %d 分钟，或不是你删除的，无法撤销。", "More than %d minutes have passed, or you did not delete it: it cannot be undone."},
	"polls.question.optional":    {"选填", "Optional"},
	"polls.question.add":         {"添加问题", "Add a question"},
}

func init() { addMessages(phoneMessages) }
