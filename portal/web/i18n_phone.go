package web

// phoneMessages are the catalogue entries of the phone-first work: feed
// cards, relative times, delete confirmations and undo.
var phoneMessages = map[string][2]string{
	"time.now":            {"刚刚", "just now"},
	"time.minutes":        {"%d分钟前", "%d min ago"},
	"time.hours":          {"%d小时前", "%d h ago"},
	"time.yesterday":      {"昨天", "yesterday"},
	"time.days":           {"%d天前", "%d days ago"},
	"time.monthday":       {"%d月%d日", "%[2]d/%[1]d"},
	"feed.likes":          {"%d 赞", "%d likes"},
	"feed.comments":       {"%d 评论", "%d comments"},
	"feed.comment":        {"评论", "Comment"},
	"feed.open":           {"打开 %s 的故事", "Open the story by %s"},
}

func init() { addMessages(phoneMessages) }
