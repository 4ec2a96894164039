package wecom_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/wecom"
	"github.com/jinnang/jinnang/portal/wecom/wecomtest"
)

const (
	cbToken  = "jinnangToken2025"
	cbAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// fakeSearch finds the hits whose title or summary contains the text.
type fakeSearch struct {
	hits  []wecom.Hit
	mu    sync.Mutex
	asked []string
	delay time.Duration
}

func (s *fakeSearch) Search(ctx context.Context, text string, limit int) ([]wecom.Hit, error) {
	s.mu.Lock()
	s.asked = append(s.asked, text)
	s.mu.Unlock()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var out []wecom.Hit
	for _, h := range s.hits {
		if strings.Contains(h.Title+h.Summary, text) && len(out) < limit {
			out = append(out, h)
		}
	}
	return out, nil
}

var corpus = []wecom.Hit{
	{Kind: "pack", Title: "差旅报销流程", Summary: "报销单怎么填，发票怎么贴，多久到账。", URL: "/packs/expense-claims", Department: "财务部"},
	{Kind: "file", Title: "2026年报销单", Summary: "报销单模板（Excel）", URL: "/files/abc123", Department: "财务部"},
	{Kind: "pack", Title: "发票常见问题", Summary: "电子发票的报销要点", URL: "/packs/invoice-tips", Department: "财务部"},
	{Kind: "pack", Title: "报销的十个坑", Summary: "报销单填错的十个坑", URL: "/packs/pitfalls", Department: "财务部"},
	{Kind: "pack", Title: "年假怎么算", Summary: "年假天数、申请方式和结转规则。", URL: "/packs/annual-leave", Department: "人力资源部"},
}

type callbackEnv struct {
	clock  *clock
	client *wecomtest.Callback
	search *fakeSearch
	cb     *wecom.Callback
}

// serve is the HTTP edge the web layer puts around a Callback.
func serve(cb *wecom.Callback) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out []byte
		var err error
		if r.Method == http.MethodGet {
			out, err = cb.Verify(r.Context(), r.URL.Query())
		} else {
			body, _ := io.ReadAll(r.Body)
			out, err = cb.Receive(r.Context(), r.URL.Query(), body)
		}
		switch {
		case errors.Is(err, wecom.ErrReplay):
			return // 200, empty: WeCom stops retrying, nothing happens twice
		case err != nil:
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		_, _ = w.Write(out)
	})
}

func newCallbackEnv(t *testing.T) *callbackEnv {
	t.Helper()
	e := &callbackEnv{clock: newClock(), search: &fakeSearch{hits: corpus}}
	crypto, err := wecom.NewCrypto(cbToken, cbAESKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	bot, err := wecom.NewBot(wecom.BotOptions{
		Search: e.search, BaseURL: "https://jinnang.example.com", Store: st, Now: e.clock.Now, Log: quiet,
		Ask: func(_ context.Context, text, user string) string {
			if strings.Contains(text, "工资") {
				return "人力资源部"
			}
			return ""
		},
		Welcome: func(_ context.Context, user string) []wecom.Article {
			return []wecom.Article{{Title: "你的入职路径", URL: "https://jinnang.example.com/paths/onboarding"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.cb = wecom.NewCallback(crypto, st, bot, wecom.CallbackOptions{Now: e.clock.Now, Log: quiet})
	srv := httptest.NewServer(serve(e.cb))
	t.Cleanup(srv.Close)
	e.client = &wecomtest.Callback{URL: srv.URL, Crypto: crypto, CorpID: corpID, AgentID: agent, Now: e.clock.Now}
	return e
}

func TestCallbackVerifyURL(t *testing.T) {
	e := newCallbackEnv(t)
	status, body, err := e.client.VerifyURL("8446271472585838141")
	if err != nil || status != 200 || body != "8446271472585838141" {
		t.Fatalf("URL check: %d %q %v", status, body, err)
	}
	// Someone else's signature (another token) is refused.
	other, _ := wecom.NewCrypto("otherToken", cbAESKey, corpID)
	forged := *e.client
	forged.Crypto = other
	if status, _, _ := forged.VerifyURL("123"); status != http.StatusForbidden {
		t.Errorf("forged URL check: %d, want 403", status)
	}
}

func TestCallbackKeywordReply(t *testing.T) {
	e := newCallbackEnv(t)
	rep, err := e.client.Text("ChenChen", "报销单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Articles) != wecom.BotHits {
		t.Fatalf("reply %+v, want a news message with the top %d hits", rep, wecom.BotHits)
	}
	a := rep.Articles[0]
	if a.Title != "差旅报销流程" || a.URL != "https://jinnang.example.com/packs/expense-claims" || !strings.Contains(a.Description, "财务部") {
		t.Errorf("first article %+v", a)
	}
	if !strings.Contains(rep.Articles[1].Description, "资料") || rep.Articles[1].URL != "https://jinnang.example.com/files/abc123" {
		t.Errorf("the file hit %+v", rep.Articles[1])
	}

	rep, err = e.client.Text("ChenChen", "  年假怎么算 ")
	if err != nil || len(rep.Articles) != 1 || rep.Articles[0].Title != "年假怎么算" {
		t.Fatalf("年假怎么算: %+v %v", rep, err)
	}

	// A whole question finds what its keyword finds.
	rep, err = e.client.Text("ChenChen", "年假怎么申请？")
	if err != nil || len(rep.Articles) != 1 || rep.Articles[0].Title != "年假怎么算" {
		t.Fatalf("年假怎么申请？: %+v %v", rep, err)
	}
	if got := e.search.asked[len(e.search.asked)-1]; got != "年假" {
		t.Errorf("the second search asked %q, want 年假", got)
	}

	rep, err = e.client.Text("ChenChen", "工资条在哪看")
	if err != nil || len(rep.Articles) != 0 || !strings.Contains(rep.Text, "没有找到") || !strings.Contains(rep.Text, "人力资源部") ||
		!strings.Contains(rep.Text, "https://jinnang.example.com/departments/") {
		t.Fatalf("no hits: %+v %v", rep, err)
	}
	rep, _ = e.client.Text("ChenChen", "火星基地")
	if !strings.Contains(rep.Text, "没有找到") || !strings.Contains(rep.Text, "/search?q=") {
		t.Errorf("no hits, no department: %q", rep.Text)
	}
}

// TestCallbackSlowSearch: the passive reply must come within 5 s; a search
// that hangs is cut off and the member gets a friendly text instead.
func TestCallbackSlowSearch(t *testing.T) {
	e := newCallbackEnv(t)
	e.search.delay = time.Minute // without the reply budget, the search would finish and answer hits
	rep, err := e.client.Text("ChenChen", "报销单")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Text, "稍后再试") {
		t.Errorf("slow search reply %+v", rep)
	}
}

func TestCallbackReplayProtection(t *testing.T) {
	e := newCallbackEnv(t)
	in := wecom.Incoming{ToUserName: corpID, FromUserName: "ChenChen", CreateTime: e.clock.Now().Unix(), MsgType: "text", Content: "报销单", AgentID: agent}
	status, body, err := e.client.Post(in, e.clock.Now(), "12345")
	if err != nil || status != 200 || len(body) == 0 {
		t.Fatalf("first post: %d %q %v", status, body, err)
	}
	// The very same request again (a replay): answered empty, not searched again.
	status, body, _ = e.client.Post(in, e.clock.Now(), "12345")
	if status != 200 || len(body) != 0 || len(e.search.asked) != 1 {
		t.Errorf("replay: %d %q, %d searches", status, body, len(e.search.asked))
	}
	// A timestamp outside the window, even with a fresh nonce.
	status, body, _ = e.client.Post(in, e.clock.Now().Add(-10*time.Minute), "67890")
	if status != 200 || len(body) != 0 || len(e.search.asked) != 1 {
		t.Errorf("stale: %d %q, %d searches", status, body, len(e.search.asked))
	}
	// A message for another corp, correctly signed, is refused.
	other := in
	other.ToUserName = "ww-other"
	if status, _, _ := e.client.Post(other, e.clock.Now(), "24680"); status != http.StatusForbidden {
		t.Errorf("another corp: %d, want 403", status)
	}
	// Sweeping old nonces leaves the current hour's.
	e.clock.Add(3 * time.Hour)
	n, err := e.cb.Sweep(context.Background())
	if err != nil || n < 2 {
		t.Errorf("sweep removed %d, %v", n, err)
	}
}

func TestCallbackWelcome(t *testing.T) {
	e := newCallbackEnv(t)
	rep, err := e.client.Event("ChenChen", "enter_agent")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Articles) != 2 || rep.Articles[0].Title != "欢迎来到锦囊" || rep.Articles[0].URL != "https://jinnang.example.com/" ||
		rep.Articles[1].Title != "你的入职路径" {
		t.Fatalf("welcome %+v", rep)
	}
	// Entering again the same day: no second card.
	if rep, err := e.client.Event("ChenChen", "enter_agent"); err != nil || len(rep.Articles)+len(rep.Text) != 0 {
		t.Errorf("second welcome the same day: %+v %v", rep, err)
	}
	e.clock.Add(24 * time.Hour)
	if rep, _ := e.client.Event("ChenChen", "enter_agent"); len(rep.Articles) != 2 {
		t.Errorf("next day: %+v", rep)
	}
}
