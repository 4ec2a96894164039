package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// The bottom tab bar holds five destinations (首页, 搜索, 故事, 消息/公告, 我的);
// everything else is listed on the 更多 page, reached from 我的.

const pageMore = "more"

func init() {
	pageNames = append(pageNames, pageMore)
	addMessages(map[string][2]string{
		"nav.more":          {"更多", "More"},
		"nav.announcements": {"公告", "Notices"},
		"nav.files.more":    {"资料下载", "Downloads"},
		"nav.admin.depts":   {"部门管理", "Departments admin"},
		"more.title":        {"更多", "More"},
		"more.intro":        {"底部标签栏之外的所有栏目。", "Everything that is not in the tab bar."},
		"more.admin":        {"管理", "Administration"},
		"me.more":           {"更多栏目：投票、意见箱、资料下载…", "More: polls, suggestions, downloads…"},
		"search.files.hint": {"要找表格或文件？看看", "Looking for a form or a file? See"},
	})
}

// tabOf maps a page's Nav section to the tab of the bottom bar it belongs to.
func tabOf(nav string) string {
	switch nav {
	case "home", "packs", "departments", "paths":
		return "home"
	case "search", "files":
		return "search"
	case "stories", "leaderboard":
		return "stories"
	case "notifications", "announcements":
		return "messages"
	}
	return "me" // me, more, polls, suggest, moderation, admin
}

// navLink is one entry of the 更多 page.
type navLink struct {
	URL, Key string // Key is the catalogue key of the label
	Admin    bool   // listed under 管理
}

// moreLinks are the destinations outside the tab bar that this person may use.
func (s *server) moreLinks(b base) []navLink {
	u := b.User
	out := []navLink{{URL: "/packs", Key: "nav.packs"}, {URL: "/departments", Key: "nav.departments"}, {URL: "/paths", Key: "paths.title"}}
	if b.NotifyOn && b.AnnounceOn {
		out = append(out, navLink{URL: "/announcements", Key: "nav.announcements"}) // 消息 holds the tab
	}
	if s.polls != nil {
		out = append(out, navLink{URL: "/polls", Key: "nav.polls"})
	}
	if b.SuggestInbox {
		out = append(out, navLink{URL: "/suggest", Key: "nav.suggest"})
	}
	if b.FilesOn {
		out = append(out, navLink{URL: "/files", Key: "nav.files.more"})
	}
	if b.PointsOn {
		out = append(out, navLink{URL: "/leaderboard", Key: "nav.leaderboard"})
	}
	if s.reports != nil && u != nil {
		out = append(out, navLink{URL: "/reports", Key: "nav.reports"}) // 一线上报 (reports.go)
	}
	if u == nil {
		return out
	}
	if b.StoriesOn && u.CanModerate() {
		out = append(out, navLink{URL: "/moderation", Key: "nav.moderation"})
	}
	if u.IsAdmin() {
		out = append(out, navLink{URL: "/admin/audit", Key: "nav.admin", Admin: true},
			navLink{URL: "/admin/departments", Key: "nav.admin.depts", Admin: true},
			navLink{URL: "/admin/roles", Key: "nav.admin.roles", Admin: true})
	}
	return out
}

type moreView struct {
	base
	Links []navLink
}

func (s *server) moreRoutes(get func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	get("/more", s.morePage)
}

// morePage lists what is not in the tab bar.
func (s *server) morePage(c echo.Context) error {
	v := moreView{base: s.newBase(c, langOf(c), "more.title")}
	v.Nav = "more"
	v.Links = s.moreLinks(v.base)
	return s.render(c, http.StatusOK, pageMore, tmplContent, v)
}
