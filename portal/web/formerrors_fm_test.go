package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/markdown"
)

// TestFrontMatterErrorsInChinese: the YAML header problems an editor hits
// read in Chinese (and English), naming the line and the key, never the
// parser's English.
func TestFrontMatterErrorsInChinese(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		zh, en    string
	}{
		{"yaml", "---\ntitle: 报销: 五步\n---\n正文", "开头信息第 2 行：格式有误", "Header line 2: Not valid YAML"},
		{"unknown", "---\ntitle: 报销\ncolour: red\n---\n", "不认识的项“colour”", "Unknown key “colour”"},
		{"value", "---\ntitle: 报销\ntags:\n  a: b\n---\n", "标签（tags）的写法不对", "tags has the wrong form"},
		{"no title", "---\nsummary: 说明\n---\n", "标题不能为空", "The title is empty"},
		{"missing", "正文", "正文开头缺少锦囊信息", "does not start with its details"},
		{"unclosed", "---\ntitle: 报销\n", "没有结束", "never closed"},
		{"audience", "---\ntitle: 报销\naudience: boss\n---\n", "读者只能是", "audience must be"},
	} {
		_, err := markdown.New().Parse("x.md", []byte(tc.src))
		var fe *markdown.FrontMatterError
		if !errors.As(err, &fe) {
			t.Errorf("%s: not a front-matter error: %v", tc.name, err)
			continue
		}
		zh, en := frontMatterMessage(LangZh, fe), frontMatterMessage(LangEn, fe)
		if !strings.Contains(zh, tc.zh) || strings.Contains(zh, "invalid YAML") || strings.Contains(zh, "mapping value") {
			t.Errorf("%s zh: %q, want %q", tc.name, zh, tc.zh)
		}
		if !strings.Contains(en, tc.en) {
			t.Errorf("%s en: %q, want %q", tc.name, en, tc.en)
		}
	}
}

// TestSuggestBoxErrorsNextToField: a box form that breaks a rule shows the
// message next to the field that broke it, in Chinese or English, input kept.
func TestSuggestBoxErrorsNextToField(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(admin)
	long := strings.Repeat("类", 21)
	for _, tc := range []struct {
		form    url.Values
		headers map[string]string
		id, msg string
	}{
		{url.Values{"title": {""}, "intro": {"说明"}}, nil, "title-error", "请填写意见箱的标题"},
		{url.Values{"title": {"食堂"}, "intro": {strings.Repeat("说", 1001)}}, nil, "intro-error", "说明不能超过 1000 个字（现在 1001 个）"},
		{url.Values{"title": {"食堂"}, "categories": {"饭菜、" + long}}, nil, "categories-error", "类别“" + long + "”超过 20 个字"},
		{url.Values{"title": {""}}, english, "title-error", "Give the box a title"},
	} {
		tc.form.Set(csrfField, ts.csrf(tok))
		rec := ts.send(tok, http.MethodPost, "/suggest/boxes", tc.headers, tc.form)
		body := rec.Body.String()
		if rec.Code != 422 || !strings.Contains(body, `id="`+tc.id+`">`+tc.msg) {
			t.Errorf("%v: %d, want %q in #%s", tc.form, rec.Code, tc.msg, tc.id)
		}
		if v := tc.form.Get("categories"); v != "" && !strings.Contains(body, `value="`+v+`"`) {
			t.Errorf("categories input not kept")
		}
	}
}
