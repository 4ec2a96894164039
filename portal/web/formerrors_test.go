package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPollFormErrorsSpeakTheUILanguage: a poll that does not validate says
// why in the UI's language, naming the field, next to that field.
func TestPollFormErrorsSpeakTheUILanguage(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	base := url.Values{csrfField: {ts.csrf(tok)}, "title": {"团建投票"}, "mode": {"named"},
		"deadline": {testNow.Add(72 * time.Hour).Format(pollDeadlineLayout)}, "owner_dept": {"财务部"},
		"qtext0": {"去哪里"}, "qkind0": {"single"}, "qopts0": {"爬山\r\n海边"}}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		lang   map[string]string
		want   string
		near   string // the field the message must follow
		notEn  bool
	}{
		{"empty title", func(f url.Values) { f.Set("title", " ") }, nil, "标题不能为空", `id="title"`, true},
		{"empty title en", func(f url.Values) { f.Set("title", "") }, english, "Title is empty", `id="title"`, false},
		{"one option", func(f url.Values) { f.Set("qopts0", "爬山") }, nil, "第1题只有1个选项，请给出2到20个", `<legend>问题 1</legend>`, true},
		{"one option en", func(f url.Values) { f.Set("qopts0", "爬山") }, english, "Question 1 has 1 options; give 2 to 20", `<legend>Question 1</legend>`, false},
		// The second filled question sits in slot 4: its error is shown there, under that number.
		{"later slot", func(f url.Values) { f.Set("qtext3", "几点"); f.Set("qkind3", "multiple"); f.Set("qopts3", "九点") },
			nil, "第4题只有1个选项，请给出2到20个", `<legend>问题 4</legend>`, true},
		{"no questions", func(f url.Values) { f.Del("qtext0") }, nil, "请至少填写一道题", `class="help"`, true},
		{"long title", func(f url.Values) { f.Set("title", strings.Repeat("长", 81)) }, nil, "标题不能超过80个字（现在81个）", `id="title"`, true},
	} {
		f := cloneValues(base)
		tc.change(f)
		headers := map[string]string{}
		for k, v := range tc.lang {
			headers[k] = v
		}
		rec := ts.send(tok, http.MethodPost, "/polls", headers, f)
		body := rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", tc.name, rec.Code)
		}
		i := strings.Index(body, `<p class="field-error"`)
		if i < 0 || !strings.Contains(body[i:], tc.want) {
			t.Errorf("%s: no field error %q in\n%s", tc.name, tc.want, body)
			continue
		}
		// Next to its field: the field comes before the message, with no other field in between.
		at := strings.Index(body, tc.want)
		field := strings.LastIndex(body[:at], tc.near)
		if field < 0 || regexp.MustCompile(`<(input|textarea) [^>]*name="(title|intro|qtext\d)"`).FindAllStringIndex(body[field+len(tc.near):at], -1) != nil {
			t.Errorf("%s: %q is not next to %s", tc.name, tc.want, tc.near)
		}
		if tc.notEn && regexp.MustCompile(`is empty|options; give|characters, more than|no questions`).MatchString(body) {
			t.Errorf("%s: English error text in the Chinese UI", tc.name)
		}
	}
}

// TestStoryErrorsOneLanguage: a comment that breaks a limit is told in the UI
// language only, not as the Chinese/English pair the error string carries.
func TestStoryErrorsOneLanguage(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(employee, "今天的团建")
	page := "/stories/" + st.ID
	csrf := ts.csrf(ts.token)
	zh := ts.send(ts.token, http.MethodPost, page+"/comments", nil, url.Values{csrfField: {csrf}, "text": {"  "}})
	if zh.Code != http.StatusUnprocessableEntity || !strings.Contains(zh.Body.String(), "评论不能为空") || strings.Contains(zh.Body.String(), "the comment is empty") {
		t.Errorf("Chinese UI: %d, want only 评论不能为空", zh.Code)
	}
	en := ts.send(ts.token, http.MethodPost, page+"/comments", english, url.Values{csrfField: {csrf}, "text": {"  "}})
	if en.Code != http.StatusUnprocessableEntity || !strings.Contains(en.Body.String(), "the comment is empty") || strings.Contains(en.Body.String(), "评论不能为空") {
		t.Errorf("English UI: %d, want only the English message", en.Code)
	}
}
