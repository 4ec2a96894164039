package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
)

// kindCount counts the notifications of kind u has.
func (ts *testServer) kindCount(t *testing.T, u auth.User, kind notify.Kind) int {
	t.Helper()
	p, err := ts.opts.Notify.List(context.Background(), notify.Reader{ID: u.ID, Department: u.Department}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range p.Notes {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// postTextReport files a text-only 一线上报 as the user behind tok.
func (ts *testServer) postTextReport(t *testing.T, tok, dept, text string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(csrfField, ts.csrf(tok))
	mw.WriteField("department", dept)
	mw.WriteField("text", text)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/reports", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post report to %s: %d %s", dept, rec.Code, rec.Body.String())
	}
}

func TestGrantedEditorReceivesReports(t *testing.T) {
	rst, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := newNotifyServer(t, func(o *Options) { o.Reports = reports.New(rst, nil) })
	liu := auth.User{ID: "dev:liuyang", Name: "刘洋", Department: "技术部", EditorOf: []string{"技术部"}}
	adminTok := ts.signIn(admin)
	grant := func(op string) {
		t.Helper()
		f := url.Values{"op": {op}, "role": {"editor"}, "dept": {"销售部"}, "id": {liu.ID}}
		if rec := ts.postForm(adminTok, "/admin/roles", f); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s editor: %d\n%s", op, rec.Code, rec.Body.String())
		}
	}
	ts.postTextReport(t, ts.token, "销售部", "展柜灯坏了")
	if n := ts.kindCount(t, liu, notify.KindReportNew); n != 0 {
		t.Fatalf("not yet an editor of 销售部, got %d report.new", n)
	}
	grant("add")
	ts.postTextReport(t, ts.token, "销售部", "收银机卡纸")
	if n := ts.kindCount(t, liu, notify.KindReportNew); n != 1 {
		t.Fatalf("editor of 销售部 by grant: %d report.new, want 1", n)
	}
	// The file's editors of another department are not told.
	if n := ts.kindCount(t, financeEd, notify.KindReportNew); n != 0 {
		t.Errorf("财务部's editor told about a 销售部 report: %d", n)
	}
	grant("remove")
	ts.postTextReport(t, ts.token, "销售部", "门禁失灵")
	if n := ts.kindCount(t, liu, notify.KindReportNew); n != 1 {
		t.Errorf("after the grant was revoked: %d report.new, want still 1", n)
	}
}

func TestGrantedModeratorReceivesQueue(t *testing.T) {
	ts, _ := newNotifyServer(t, nil)
	liu := auth.User{ID: "dev:liuyang", Name: "刘洋", Department: "技术部"}
	adminTok := ts.signIn(admin)
	report := func(text string) {
		t.Helper()
		st := ts.postStory(employee, text)
		tok := ts.signIn(financeEd)
		rec := ts.send(tok, http.MethodPost, "/stories/"+st.ID+"/report", nil, url.Values{csrfField: {ts.csrf(tok)}, "reason": {"spam"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("report story: %d", rec.Code)
		}
	}
	grant := func(op string) {
		t.Helper()
		f := url.Values{"op": {op}, "role": {"moderator"}, "id": {liu.ID}}
		if rec := ts.postForm(adminTok, "/admin/roles", f); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s moderator: %d", op, rec.Code)
		}
	}
	report("第一条 #团建")
	if n := ts.kindCount(t, liu, notify.KindModQueue); n != 0 {
		t.Fatalf("not a moderator yet: %d", n)
	}
	if n := ts.kindCount(t, moderator, notify.KindModQueue); n == 0 {
		t.Fatalf("the file's moderator was not told")
	}
	grant("add")
	report("第二条 #团建")
	got := ts.kindCount(t, liu, notify.KindModQueue)
	if got == 0 {
		t.Fatalf("moderator by grant not told about the queue")
	}
	grant("remove")
	report("第三条 #团建")
	if n := ts.kindCount(t, liu, notify.KindModQueue); n != got {
		t.Errorf("after revoke: %d mod-queue notes, want %d", n, got)
	}
}
