package polls

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

var (
	now     = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	finance = auth.User{ID: "dev:wangmin", Name: "王敏", Department: "财务部"}
	sales   = auth.User{ID: "dev:chenchen", Name: "陈晨", Department: "销售部"}
	tech    = auth.User{ID: "dev:liuyang", Name: "刘洋", Department: "技术部"}
)

func newService(t *testing.T, st store.Store, clock *time.Time) *Service {
	t.Helper()
	s, err := New(st, bytes.Repeat([]byte{9}, 32), ProfileMembers(st), func() time.Time { return *clock })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func diskStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func samplePoll(mode Mode, depts ...string) Poll {
	return Poll{
		Title: "团建去哪儿", Mode: mode, Departments: depts, Deadline: now.Add(48 * time.Hour), Owner: "dev:zhangwei",
		Questions: []Question{
			{Text: "地点", Kind: Single, Options: []string{"爬山", "海边", "农家乐"}},
			{Text: "活动", Kind: Multiple, Options: []string{"烧烤", "唱歌", "桌游"}},
			{Text: "其他建议", Kind: Text},
		},
	}
}

func TestValidate(t *testing.T) {
	s := newService(t, diskStore(t), &now)
	ctx := context.Background()
	bad := []func(*Poll){
		func(p *Poll) { p.Title = " " },
		func(p *Poll) { p.Questions = nil },
		func(p *Poll) { p.Mode = "secret" },
		func(p *Poll) { p.Deadline = time.Time{} },
		func(p *Poll) { p.Questions[0].Options = []string{"只有一个", "只有一个"} },
		func(p *Poll) { p.Questions[1].Kind = "essay" },
	}
	for i, mod := range bad {
		p := samplePoll(Anonymous)
		mod(&p)
		if _, err := s.Create(ctx, p); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: %v, want ErrInvalid", i, err)
		}
	}
	p, err := s.Create(ctx, samplePoll(Anonymous, "财务部", "财务部", "销售部"))
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(p.ID) || len(p.Departments) != 2 || p.Created != "2025-06-01" {
		t.Fatalf("poll %+v", p)
	}
}

func TestVoteOnceAudienceDeadline(t *testing.T) {
	clock := now
	st := diskStore(t)
	s := newService(t, st, &clock)
	ctx := context.Background()
	p, err := s.Create(ctx, samplePoll(Anonymous, "财务部", "销售部"))
	if err != nil {
		t.Fatal(err)
	}
	ans := []Answer{{Choices: []int{1}}, {Choices: []int{0, 2, 2}}, {Text: " 早点出发 "}}
	if err := s.Vote(ctx, p, finance, ans); err != nil {
		t.Fatal(err)
	}
	if err := s.Vote(ctx, p, finance, ans); !errors.Is(err, ErrVoted) {
		t.Fatalf("second vote: %v", err)
	}
	if err := s.Vote(ctx, p, tech, ans); !errors.Is(err, ErrNotInAudience) {
		t.Fatalf("outside the audience: %v", err)
	}
	for i, a := range [][]Answer{
		{{Choices: []int{0, 1}}, {Choices: []int{0}}, {Text: "x"}}, // two choices on single
		{{Choices: []int{3}}, {Choices: []int{0}}, {Text: "x"}},    // no option 3
		{{Choices: []int{0}}, {}, {Text: "x"}},                     // unanswered
		{{Choices: []int{0}}, {Choices: []int{0}}},                 // missing answer
		{{Choices: []int{0}}, {Choices: []int{0}}, {Text: strings.Repeat("字", MaxText+1)}},
	} {
		if err := s.Vote(ctx, p, sales, a); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad answers %d: %v", i, err)
		}
	}
	voted, err := s.HasVoted(ctx, p, finance.ID)
	if err != nil || !voted {
		t.Fatalf("HasVoted finance: %v %v", voted, err)
	}
	if voted, _ := s.HasVoted(ctx, p, sales.ID); voted {
		t.Fatal("sales has not voted")
	}
	clock = p.Deadline
	if err := s.Vote(ctx, p, sales, ans); !errors.Is(err, ErrClosed) {
		t.Fatalf("at the deadline: %v", err)
	}
	// The anonymous vote holds no user, and its name is not the user ID.
	for obj, err := range st.List(ctx, votesPrefix(p.ID)) {
		if err != nil {
			t.Fatal(err)
		}
		rc, _, err := st.Get(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{finance.ID, "wangmin", finance.Name} {
			if strings.Contains(obj.Key, bad) || strings.Contains(string(b), bad) {
				t.Errorf("vote %s holds %q: %s", obj.Key, bad, b)
			}
		}
	}
}

func TestResults(t *testing.T) {
	ctx := context.Background()
	st := diskStore(t)
	s := newService(t, st, &now)
	users := auth.NewUsers(st, func() time.Time { return now })
	for _, u := range []auth.User{finance, sales, tech, {ID: "dev:x", Department: "销售部"}, {ID: "dev:y", Department: "销售部"}} {
		if _, err := users.Touch(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := users.AddPost(ctx, sales.ID, auth.Post{Kind: "pack", Ref: "a", Title: "A"}); err != nil {
		t.Fatal(err) // a post marker under users/ must not count as a member
	}
	for _, mode := range []Mode{Anonymous, Named} {
		p, err := s.Create(ctx, samplePoll(mode))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Vote(ctx, p, finance, []Answer{{Choices: []int{1}}, {Choices: []int{0, 2}}, {Text: "早点出发"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Vote(ctx, p, sales, []Answer{{Choices: []int{1}}, {Choices: []int{2}}, {Text: "带上家属"}}); err != nil {
			t.Fatal(err)
		}
		r, err := s.Results(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Votes != 2 || r.Questions[0].Counts[1] != 2 || r.Questions[1].Counts[2] != 2 || r.Questions[1].Counts[0] != 1 {
			t.Fatalf("%s: counts %+v", mode, r.Questions)
		}
		texts := r.Questions[2].Texts
		if len(texts) != 2 || texts[0].Text != "带上家属" {
			t.Fatalf("%s: texts %+v", mode, texts)
		}
		named := texts[0].Name != "" || texts[1].Name != ""
		if named != (mode == Named) {
			t.Fatalf("%s: names in texts %+v", mode, texts)
		}
		want := map[string]DeptCount{
			"财务部": {"财务部", 1, 1, 0}, "销售部": {"销售部", 3, 1, 2}, "技术部": {"技术部", 1, 0, 1},
		}
		if len(r.Depts) != 3 {
			t.Fatalf("depts %+v", r.Depts)
		}
		for _, d := range r.Depts {
			if d != want[d.Department] {
				t.Errorf("%s: %+v, want %+v", mode, d, want[d.Department])
			}
		}
	}
}

func TestChartSVG(t *testing.T) {
	q := Question{Text: `<script>alert("x")</script> & 地点`, Kind: Single, Options: []string{"爬山", "海边 & <沙滩>", strings.Repeat("很长的选项", 10)}}
	svg := ChartSVG(q, []int{3, 1, 0})
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var rects, texts int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "rect":
				rects++
			case "text":
				texts++
			case "script":
				t.Fatal("a script element")
			}
		}
	}
	if rects != 3 || texts != 6 {
		t.Fatalf("%d bars, %d labels", rects, texts)
	}
	if !bytes.Contains(svg, []byte("3 (75%)")) || !bytes.Contains(svg, []byte("0 (0%)")) {
		t.Fatalf("counts missing: %s", svg)
	}
	// No votes at all still draws.
	if _, err := xml.NewDecoder(bytes.NewReader(ChartSVG(q, nil))).Token(); err != nil {
		t.Fatal(err)
	}
}

// TestDoubleVoteRaceMinIO races 20 votes of one user on real MinIO:
// the create-once write lets exactly one through.
func TestDoubleVoteRaceMinIO(t *testing.T) {
	ctx := context.Background()
	st, err := store.NewS3(ctx, miniotest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, st, &now)
	p, err := s.Create(ctx, samplePoll(Anonymous))
	if err != nil {
		t.Fatal(err)
	}
	const racers = 20
	var wg sync.WaitGroup
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = s.Vote(ctx, p, finance, []Answer{{Choices: []int{i % 3}}, {Choices: []int{0}}, {Text: "x"}})
		})
	}
	close(start)
	wg.Wait()
	ok, voted := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrVoted):
			voted++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || voted != racers-1 {
		t.Fatalf("%d votes accepted, %d refused as double", ok, voted)
	}
	r, err := s.Results(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Votes != 1 {
		t.Fatalf("%d votes stored", r.Votes)
	}
}
