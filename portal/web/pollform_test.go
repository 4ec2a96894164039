package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/polls"
)

// TestPollFormAddQuestionAndOptional: the form starts with two question
// slots; 添加问题 (a plain submit) re-renders it with one more, keeping what
// was typed and checking nothing yet; an optional question may be left
// blank when voting, a required one may not.
func TestPollFormAddQuestionAndOptional(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	slots := regexp.MustCompile(`name="qtext\d+"`)
	body := ts.send(tok, http.MethodGet, "/polls/new", nil, nil).Body.String()
	if n := len(slots.FindAllString(body, -1)); n != 2 || !strings.Contains(body, `name="add"`) || !strings.Contains(body, "添加问题") {
		t.Fatalf("new form: %d slots, add button %v", n, strings.Contains(body, `name="add"`))
	}
	form := url.Values{csrfField: {ts.csrf(tok)}, "title": {"团建"}, "mode": {"named"}, "owner_dept": {"财务部"},
		"deadline": {testNow.Add(72 * time.Hour).Format(pollDeadlineLayout)}, "slots": {"2"},
		"qtext0": {"去哪里"}, "qkind0": {"single"}, "qopts0": {"爬山\n海边"}, "add": {"1"}}
	rec := ts.send(tok, http.MethodPost, "/polls", nil, form)
	body = rec.Body.String()
	if rec.Code != 200 || len(slots.FindAllString(body, -1)) != 3 || !strings.Contains(body, `value="去哪里"`) || strings.Contains(body, `class="field-error"`) {
		t.Fatalf("添加问题: %d, %d slots\n%s", rec.Code, len(slots.FindAllString(body, -1)), body)
	}
	form.Del("add")
	form.Set("slots", "3")
	form.Set("qtext2", "有什么建议")
	form.Set("qkind2", "text")
	form.Set("qoptional2", "1")
	rec = ts.send(tok, http.MethodPost, "/polls", nil, form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", rec.Code, rec.Body.String())
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/polls/")
	p, err := ts.opts.Polls.(*polls.Service).Get(context.Background(), id)
	if err != nil || len(p.Questions) != 2 || p.Questions[0].Optional || !p.Questions[1].Optional {
		t.Fatalf("stored questions: %+v %v", p, err)
	}
	if body := ts.send(tok, http.MethodGet, "/polls/"+id, nil, nil).Body.String(); !strings.Contains(body, "（选填）") {
		t.Error("vote page does not mark the optional question")
	}
	if err := p.CheckAnswers([]polls.Answer{{Choices: []int{0}}, {}}); err != nil {
		t.Errorf("blank optional answer refused: %v", err)
	}
	if err := p.CheckAnswers([]polls.Answer{{}, {Text: "好"}}); err == nil {
		t.Error("blank required answer accepted")
	}
}
