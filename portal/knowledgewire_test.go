package portal

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/wecom"
)

// TestDirectoryLeaverHandsPacksOn: when directory sync reports a leaver,
// their packs pass to the department's editors and the audit log says so.
func TestDirectoryLeaverHandsPacksOn(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ps := packs.New(st, ix, markdown.New(), log)
	ctx := context.Background()
	if _, _, err := ps.Publish(ctx, packs.Publication{Slug: "kai-piao", Fields: markdown.FrontMatter{Title: "开票", Department: "财务部"},
		Body: "正文", By: "wecom:WangMin", ByName: "王敏"}); err != nil {
		t.Fatal(err)
	}
	al := audit.New(st, nil)
	ch := &channel{log: log, packs: ps, audit: al}
	if err := ch.onLeft(ctx, wecom.Person{UserID: "WangMin", Name: "王敏", Department: "财务部"}); err != nil {
		t.Fatal(err)
	}
	m, err := ps.Info(ctx, "kai-piao")
	if err != nil || m.Owner != "" {
		t.Errorf("owner after leaving: %q (%v)", m.Owner, err)
	}
	es, err := al.List(ctx, 5)
	if err != nil || len(es) != 1 || es[0].Detail != "王敏 财务部; 1 packs to department editors" {
		t.Errorf("audit: %v %+v", err, es)
	}
}
