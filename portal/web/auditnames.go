package web

import "strings"

// auditActionNames are the readable names of the audit actions (Chinese,
// English). An action not listed is shown as the name of its kind with the
// raw action after it, so a new action is never hidden.
var auditActionNames = map[string][2]string{
	"auth.login":                  {"登录", "Signed in"},
	"auth.logout":                 {"退出登录", "Signed out"},
	"admin.reindex":               {"重建搜索索引", "Rebuilt the search index"},
	"admin.reindex.start":         {"开始重建搜索索引", "Started rebuilding the search index"},
	"announcement.create":         {"发布公告", "Posted an announcement"},
	"announcement.update":         {"修改公告", "Edited an announcement"},
	"announcement.delete":         {"删除公告", "Deleted an announcement"},
	"announcement.comment.delete": {"删除公告评论", "Deleted an announcement comment"},
	"department.create":           {"新建部门", "Created a department"},
	"department.update":           {"修改部门介绍", "Edited a department intro"},
	"department.qr":               {"更新部门二维码", "Updated a department QR code"},
	"department.delete":           {"删除部门", "Deleted a department"},
	"department.announce_all.on":  {"允许部门向全员发公告", "Allowed a department to announce to everyone"},
	"department.announce_all.off": {"取消部门向全员发公告", "Stopped a department announcing to everyone"},
	"directory.left":              {"员工离职（通讯录）", "Left the company (directory)"},
	"person.left":                 {"员工离职", "Left the company"},
	"file.create":                 {"上传文件", "Uploaded a file"},
	"file.update":                 {"修改文件信息", "Edited a file"},
	"file.version":                {"上传文件新版本", "Uploaded a new file version"},
	"file.delete":                 {"删除文件", "Deleted a file"},
	"pack.create":                 {"新建锦囊", "Created a pack"},
	"pack.update":                 {"修改锦囊", "Edited a pack"},
	"pack.save":                   {"保存锦囊", "Saved a pack"},
	"pack.rename":                 {"重命名锦囊", "Renamed a pack"},
	"pack.archive":                {"归档锦囊", "Archived a pack"},
	"pack.unarchive":              {"取消归档锦囊", "Unarchived a pack"},
	"pack.delete":                 {"删除锦囊", "Deleted a pack"},
	"pack.undelete":               {"恢复锦囊", "Restored a pack"},
	"pack.restore.version":        {"恢复锦囊旧版本", "Restored an old pack version"},
	"pack.review":                 {"审核锦囊", "Reviewed a pack"},
	"path.create":                 {"新建学习路径", "Created a learning path"},
	"path.update":                 {"修改学习路径", "Edited a learning path"},
	"path.delete":                 {"删除学习路径", "Deleted a learning path"},
	"poll.create":                 {"发起投票", "Started a poll"},
	"role.add":                    {"指定角色", "Assigned a role"},
	"role.remove":                 {"移除角色", "Removed a role"},
	"search.synonyms":             {"修改搜索同义词", "Edited search synonyms"},
	"story.create":                {"发布故事", "Posted a story"},
	"story.comment":               {"评论故事", "Commented on a story"},
	"story.comment.delete":        {"删除评论", "Deleted a comment"},
	"story.comment.restore":       {"恢复评论", "Restored a comment"},
	"story.delete":                {"删除故事", "Deleted a story"},
	"story.delete.own":            {"删除自己的故事", "Deleted own story"},
	"story.restore.own":           {"恢复自己的故事", "Restored own story"},
	"story.hide":                  {"隐藏故事", "Hid a story"},
	"story.restore":               {"恢复故事", "Restored a story"},
	"story.warn":                  {"警告作者", "Warned the author"},
	"story.report":                {"举报故事", "Reported a story"},
	"story.autohide":              {"举报过多自动隐藏", "Hidden after many reports"},
	"suggest.box.create":          {"新建意见箱", "Created a suggestion box"},
	"suggest.box.closed":          {"关闭意见箱", "Closed a suggestion box"},
	"suggest.export":              {"导出建议", "Exported suggestions"},
	"suggest.publish":             {"公开建议", "Published a suggestion"},
	"suggest.reply":               {"回复建议", "Replied to a suggestion"},
	"suggest.status":              {"更改建议状态", "Changed a suggestion's status"},
	"wecom.grouphook":             {"设置企业微信群机器人", "Set a WeCom group webhook"},
	"wecom.mapping":               {"修改企业微信部门对应", "Edited the WeCom department mapping"},
	"wecom.sync":                  {"同步企业微信通讯录", "Synced the WeCom directory"},
}

// auditKindNames name the kinds of the audit filter (action prefixes).
var auditKindNames = map[string][2]string{
	"auth":         {"登录", "Sign-in"},
	"pack":         {"锦囊", "Packs"},
	"file":         {"文件", "Files"},
	"path":         {"学习路径", "Learning paths"},
	"story":        {"故事", "Stories"},
	"announcement": {"公告", "Announcements"},
	"suggest":      {"意见箱", "Suggestions"},
	"poll":         {"投票", "Polls"},
	"department":   {"部门", "Departments"},
	"person":       {"人员", "People"},
	"directory":    {"通讯录", "Directory"},
	"wecom":        {"企业微信", "WeCom"},
	"search":       {"搜索", "Search"},
	"admin":        {"管理", "Administration"},
	"role":         {"角色", "Roles"},
}

// auditActionName is the readable name of action in l.
func auditActionName(l Lang, action string) string {
	if n, ok := auditActionNames[action]; ok {
		return n[l.idx()]
	}
	kind, _, _ := strings.Cut(action, ".")
	if n, ok := auditKindNames[kind]; ok {
		return n[l.idx()] + "：" + action
	}
	return action
}

// auditKindName is the readable name of a filter kind in l.
func auditKindName(l Lang, kind string) string {
	if n, ok := auditKindNames[kind]; ok {
		return n[l.idx()]
	}
	return kind
}
