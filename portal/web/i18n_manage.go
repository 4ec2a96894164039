package web

// manageMessages are the catalogue entries of management in the portal:
// the role page, the announce-to-everyone permission, the file library's
// type labels and the readable audit action names.
var manageMessages = map[string][2]string{
	"roles.title":           {"角色管理", "Roles"},
	"roles.intro":           {"在这里指定版主和各部门的编辑；更改在对方的下一次请求时生效。角色文件中的管理员和角色是初始设置，只能在文件中修改。", "Assign moderators and department editors here; a change takes effect on the person's next request. Admins and roles from the roles file are the bootstrap and change only in the file."},
	"roles.depts.link":      {"部门管理", "Departments"},
	"roles.admins":          {"管理员", "Administrators"},
	"roles.moderators":      {"版主", "Moderators"},
	"roles.editors":         {"部门编辑", "Department editors"},
	"roles.fromfile":        {"来自角色文件", "From the roles file"},
	"roles.none":            {"暂无", "None"},
	"roles.remove":          {"移除", "Remove"},
	"roles.remove.label":    {"移除 %s", "Remove %s"},
	"roles.id":              {"用户 ID", "User ID"},
	"roles.id.help":         {"形如 wecom:LiNa（提供方:账号）。", "Like wecom:LiNa (provider:account)."},
	"roles.dept":            {"部门", "Department"},
	"roles.add.moderator":   {"添加版主", "Add moderator"},
	"roles.add.editor":      {"添加编辑", "Add editor"},
	"roles.editor.other":    {"其他部门的编辑", "Editor of another department"},
	"roles.announce.on":     {"可向全员发公告", "May announce to everyone"},
	"roles.announce.off":    {"只能向本部门发公告", "Announces to its own department only"},
	"roles.announce.grant":  {"允许向全员发公告", "Allow announcing to everyone"},
	"roles.announce.revoke": {"取消向全员发公告", "Stop announcing to everyone"},
	"roles.done.added":      {"已添加角色。", "Role added."},
	"roles.done.removed":    {"已移除角色。", "Role removed."},
	"roles.done.announce":   {"已更新公告权限。", "Announcement permission updated."},
	"roles.error.id":        {"用户 ID 无效：应为 提供方:账号，提供方是 wecom、oidc、header 或 dev。", "Invalid user ID: want provider:account, with provider wecom, oidc, header or dev."},
	"roles.error.op":        {"无效的操作。", "Invalid action."},
	"roles.error.dept":      {"部门名称无效。", "Invalid department name."},
	"roles.error.file":      {"这个角色来自角色文件，只能在文件中移除。", "This role comes from the roles file and can be removed only there."},
	"nav.admin.roles":       {"角色管理", "Roles"},
}

func init() { addMessages(manageMessages) }

// fileCardMessages name the icon groups of the file library.
var fileCardMessages = map[string][2]string{
	"filegroup.pdf":   {"PDF 文档", "PDF document"},
	"filegroup.word":  {"Word 文档", "Word document"},
	"filegroup.excel": {"Excel 表格", "Excel spreadsheet"},
	"filegroup.ppt":   {"PPT 演示文稿", "PowerPoint presentation"},
	"filegroup.image": {"图片", "Image"},
	"filegroup.zip":   {"压缩包", "Archive"},
	"filegroup.other": {"文件", "File"},
	"file.thumb.alt":  {"%s 的缩略图", "Thumbnail of %s"},
}

func init() { addMessages(fileCardMessages) }

// deptDeleteMessages are the entries of deleting a department.
var deptDeleteMessages = map[string][2]string{
	"admindept.delete":          {"删除部门", "Delete department"},
	"admindept.delete.confirm":  {"删除“%s”的部门记录（介绍和群二维码）。只有没有锦囊和文件的部门才能删除。", "Delete the record of “%s” (intro and group QR code). Only a department without packs and files can be deleted."},
	"admindept.delete.yes":      {"确认删除", "Delete"},
	"admindept.delete.notempty": {"这个部门还有 %d 个锦囊和 %d 个文件：请先移走或删除它们。", "This department still has %d packs and %d files: move or delete them first."},
	"admindept.deleted":         {"已删除部门“%s”。", "Deleted the department “%s”."},
}

func init() { addMessages(deptDeleteMessages) }
