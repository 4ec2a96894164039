package portal

import (
	"io"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/config"
)

// TestFirstRunSeedsDemoContent: a first run on an empty data dir opens with
// demo stories, a poll, an announcement and a suggestion box, each marked
// 【示例】.
func TestFirstRunSeedsDemoContent(t *testing.T) {
	base := startPortal(t, "-demo-content=true")
	client := devClient(t, base, "zhangwei")
	for path, want := range map[string]string{
		"/stories":       "【示例】入职第一周",
		"/polls":         "【示例】年会节目投票",
		"/announcements": "【示例】欢迎使用锦囊",
		"/suggest/boxes": "【示例】食堂意见箱",
	} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
}

// TestDemoContentSwitch: demo content is on by default and off with
// JINNANG_DEMO=0 or JINNANG_DEMO_CONTENT=0.
func TestDemoContentSwitch(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"JINNANG_DEMO": "0"}, false},
		{map[string]string{"JINNANG_DEMO_CONTENT": "0"}, false},
		{map[string]string{"JINNANG_DEMO": "0", "JINNANG_DEMO_CONTENT": "1"}, true},
	} {
		cfg, err := config.Load([]string{"-data-dir", t.TempDir()}, func(k string) string { return tc.env[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.DemoContent != tc.want {
			t.Errorf("env %v: DemoContent %v, want %v", tc.env, cfg.DemoContent, tc.want)
		}
	}
}
