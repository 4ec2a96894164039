package notify_test

import (
	"context"
	"testing"
)

// TestMoveGroupHook: 财务部's robot becomes 综合部's when 综合部 has none;
// when it has one, 综合部 keeps its own and 财务部's goes; a second run is
// a no-op.
func TestMoveGroupHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const a, b, c = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=c"
	for dept, u := range map[string]string{"财务部": a, "销售部": b, "市场部": c} {
		if err := e.svc.SetGroupHook(ctx, dept, u); err != nil {
			t.Fatal(err)
		}
	}
	if moved, err := e.svc.MoveGroupHook(ctx, "财务部", "综合部"); err != nil || !moved {
		t.Fatalf("move into a department without a robot: %v %v", moved, err)
	}
	if moved, err := e.svc.MoveGroupHook(ctx, "销售部", "市场部"); err != nil || moved {
		t.Fatalf("move into a department with a robot: %v %v", moved, err)
	}
	if moved, err := e.svc.MoveGroupHook(ctx, "财务部", "综合部"); err != nil || moved {
		t.Fatalf("second move: %v %v", moved, err)
	}
	hooks, err := e.svc.GroupHooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range hooks {
		got[h.Department] = h.URL
	}
	want := map[string]string{"综合部": a, "市场部": c}
	if len(got) != len(want) || got["综合部"] != a || got["市场部"] != c {
		t.Errorf("robots after the moves: %v, want %v", got, want)
	}
}
