package web

// The catalogue entries of shared pack links (sharelink.go) and the rest of
// the department merge.
func init() {
	addMessages(map[string][2]string{
		"share.action":          {"分享", "Share"},
		"share.help":            {"把这个链接发到微信、企业微信或飞书群里：聊天里会显示标题、摘要和卡片图；同事登录后阅读全文。链接 %d 天内有效。", "Send this link to a WeChat, WeCom or Feishu chat: the chat shows the title, summary and card; colleagues sign in to read it all. The link works for %d days."},
		"share.link":            {"分享链接", "Share link"},
		"share.copy":            {"复制链接", "Copy link"},
		"share.copied":          {"已复制", "Copied"},
		"share.preview.intro":   {"这是公司内部的锦囊，登录后可以阅读全文。", "This is an internal pack of the company: sign in to read all of it."},
		"share.preview.signin":  {"登录后阅读全文", "Sign in to read"},
		"share.preview.desc":    {"%s 的锦囊，登录后阅读全文。", "A pack of %s: sign in to read it."},
		"share.preview.desc.no": {"登录后阅读全文。", "Sign in to read it."},
	})
}
