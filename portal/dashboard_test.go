package portal

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardMetricsExist starts the portal, serves a few pages, scrapes
// /metrics and checks that every metric deploy/grafana-dashboard.json
// queries is in the output, so a renamed metric breaks this test and not
// the operator's dashboard.
func TestDashboardMetricsExist(t *testing.T) {
	const token = "dashboard-scrape-token-0123"
	base := startPortal(t, "-metrics-token", token)
	client := devClient(t, base, "wangmin")
	for _, p := range []string{"/packs", "/search?q=报销", "/packs/no-such-pack"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		have[name] = true
	}

	src, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(src, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	metric := regexp.MustCompile(`\b(?:jinnang|go|process)_[a-z0-9_]+\b`)
	queried := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metric.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q queries no portal metric: %s", p.Title, tg.Expr)
			}
			for _, n := range names {
				queried++
				if !have[n] {
					t.Errorf("panel %q queries %s, which /metrics does not serve", p.Title, n)
				}
			}
		}
	}
	if queried < 10 {
		t.Fatalf("only %d metric references found in the dashboard", queried)
	}
	// The scheduler ran the start-up jobs, and the store and index were timed.
	for _, want := range []string{`jinnang_job_runs_total{job="knowledge-upkeep",result="ok"}`,
		`jinnang_port_operations_total{op="search",port="index",result="ok"}`, `jinnang_outbox_depth{queue="wecom"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
