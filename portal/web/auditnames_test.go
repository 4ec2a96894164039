package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/audit"
)

func TestAuditShowsReadableActionNames(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	now := time.Now()
	for i, a := range []string{"story.delete", "pack.save", "role.add", "story.brandnew"} {
		e := audit.Entry{At: now.Add(-time.Duration(i) * time.Minute), Actor: admin.ID, ActorName: admin.Name, Action: a, Target: "x:" + a}
		if err := ts.opts.Auth.Audit.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tok := ts.signIn(admin)
	body := ts.send(tok, http.MethodGet, "/admin/audit", nil, nil).Body.String()
	for _, want := range []string{`title="story.delete">删除故事`, `title="pack.save">保存锦囊`, `title="role.add">指定角色`,
		`title="story.brandnew">故事：story.brandnew`, `<option value="story">故事</option>`, `<option value="role">角色</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	if strings.Contains(body, "<code>story.delete</code>") {
		t.Error("audit page still shows the raw kind")
	}
	en := ts.send(tok, http.MethodGet, "/admin/audit", map[string]string{"Accept-Language": "en"}, nil).Body.String()
	if !strings.Contains(en, `title="story.delete">Deleted a story`) || !strings.Contains(en, `<option value="story">Stories</option>`) {
		t.Error("English audit page lacks the readable names")
	}
	// The kind filter still works on the raw prefix.
	f := ts.send(tok, http.MethodGet, "/admin/audit?kind=story", nil, nil).Body.String()
	if !strings.Contains(f, "删除故事") || strings.Contains(f, "保存锦囊") || strings.Contains(f, "指定角色") || !strings.Contains(f, `<option value="story" selected>故事`) {
		t.Error("kind=story filter")
	}
}

func TestAuditActionNamesBothLanguages(t *testing.T) {
	for a, n := range auditActionNames {
		if n[0] == "" || n[1] == "" || !strings.Contains(a, ".") {
			t.Errorf("%q: %q", a, n)
		}
		kind, _, _ := strings.Cut(a, ".")
		if _, ok := auditKindNames[kind]; !ok {
			t.Errorf("%q: kind %q has no name", a, kind)
		}
	}
	for _, k := range auditKinds {
		if _, ok := auditKindNames[k]; !ok {
			t.Errorf("filter kind %q has no name", k)
		}
	}
}
