package notify

import (
	"fmt"
	"strings"
)

// Moderation actions of KindStoryModerated.
const (
	ActionHidden   = "hidden"
	ActionRestored = "restored"
	ActionWarned   = "warned"
	ActionDeleted  = "deleted"
)

// link makes a portal path absolute for a push.
func (s *Service) link(path string) string {
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path
	}
	return s.base + path
}

// pushText is the Chinese title and description of a WeCom card for n
// (WeCom shows one language; the portal page follows the reader's).
func pushText(n Note) (title, desc string) {
	who := n.Actor
	if who == "" {
		who = "有人"
	}
	switch n.Kind {
	case KindStoryComment:
		return who + " 评论了你的故事", quote(n.Title) + "\n" + n.Body
	case KindCommentReply:
		return who + " 回复了你的评论", quote(n.Title) + "\n" + n.Body
	case KindStoryLike:
		return who + " 赞了你的故事", quote(n.Title)
	case KindStoryModerated:
		switch n.Action {
		case ActionHidden:
			title = "你的故事已被隐藏"
		case ActionRestored:
			title = "你的故事已恢复显示"
		case ActionDeleted:
			title = "你的故事已被删除"
		default:
			title = "版主对你的故事提出了提醒"
		}
		return title, quote(n.Title) + "\n" + n.Body
	case KindAnnouncement:
		return "新公告：" + n.Title, audience(n) + " · " + n.Actor + "\n" + n.Body
	case KindPoll:
		return "新投票：" + n.Title, audience(n) + " · " + n.Actor + "\n" + n.Body
	case KindModQueue:
		return "审核队列有新的举报", quote(n.Title) + "\n" + n.Body
	case KindReportNew:
		return who + " 发来一线上报", quote(n.Title) + "\n" + n.Body
	case KindReportReply:
		return who + " 回复了你的上报", quote(n.Title) + "\n" + n.Body
	case KindReportStatus:
		return who + " 更新了你的上报状态", quote(n.Title)
	case KindWeComProblem:
		return "企业微信推送需要处理", n.Title + "\n" + n.Body
	}
	return n.Title, n.Body
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return "「" + s + "」"
}

// audience names a broadcast's departments.
func audience(n Note) string {
	if n.Everyone {
		return "全员"
	}
	return strings.Join(n.Departments, "、")
}

func (s *Service) card(n Note) Card {
	title, desc := pushText(n)
	return Card{Title: title, Description: desc, URL: s.link(n.URL)}
}

// markdown is the group robot post of a broadcast.
func (s *Service) markdown(n Note) string {
	title, _ := pushText(n)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", mdEscape(title))
	fmt.Fprintf(&b, "> <font color=\"comment\">%s · %s</font>\n", mdEscape(audience(n)), mdEscape(n.Actor))
	if n.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", mdEscape(n.Body))
	}
	fmt.Fprintf(&b, "\n[查看详情](%s)", s.link(n.URL))
	return b.String()
}

// mdEscape keeps user text from forming markdown links, tags or emphasis in
// a robot post.
func mdEscape(s string) string {
	return strings.NewReplacer("[", "［", "]", "］", "<", "＜", ">", "＞", "*", "＊", "`", "｀", "\n", " ").Replace(s)
}
