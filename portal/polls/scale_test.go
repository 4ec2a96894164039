package polls

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
)

// scalePoll is a poll with n votes, on a counting disk store; members is a
// fixed count so that only the poll's own records are counted.
func scalePoll(tb testing.TB, n int) (*Service, *store.CountingStore, *Poll) {
	tb.Helper()
	disk, err := store.NewDisk(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	st := store.Counting(disk)
	clock := now
	members := func(context.Context) (map[string]int, error) {
		return map[string]int{"财务部": n, "销售部": n, "技术部": n}, nil
	}
	s, err := New(st, make([]byte, 32), members, func() time.Time { return clock })
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	p, err := s.Create(ctx, samplePoll(Anonymous))
	if err != nil {
		tb.Fatal(err)
	}
	depts := []string{"财务部", "销售部", "技术部"}
	for i := range n {
		u := auth.User{ID: fmt.Sprintf("dev:u%04d", i), Name: "某", Department: depts[i%3]}
		a := []Answer{{Choices: []int{i % 3}}, {Choices: []int{0, 1 + i%2}}, {Text: fmt.Sprintf("建议 %d", i%7)}}
		if err := s.Vote(ctx, p, u, a); err != nil {
			tb.Fatal(err)
		}
	}
	return s, st, p
}

// BenchmarkResults reports the store operations and the time of one view
// of a poll's results (the results page and each chart read the same).
func BenchmarkResults(b *testing.B) {
	for _, n := range []int{30, 300, 3000} {
		b.Run(fmt.Sprintf("votes=%d", n), func(b *testing.B) {
			s, st, p := scalePoll(b, n)
			ctx := context.Background()
			st.Reset()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Results(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Counts().Ops())/float64(b.N), "ops/view")
		})
	}
}

// TestResultsReadBoundedRecords: a view of the results of a poll with 300
// votes takes at most 20 store operations (reading every vote took 301),
// and the tally kept with the votes matches a recount from the votes.
func TestResultsReadBoundedRecords(t *testing.T) {
	s, st, p := scalePoll(t, 300)
	ctx := context.Background()
	st.Reset()
	r, err := s.Results(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if ops := st.Counts().Ops(); ops > 20 {
		t.Errorf("one results view took %d store operations (%+v); want at most 20", ops, st.Counts())
	}
	if r.Votes != 300 || r.Questions[0].Counts[0] != 100 || r.Questions[1].Counts[0] != 300 || r.Questions[2].Answered != 300 {
		t.Errorf("results %+v", r.Questions)
	}
	if n, err := s.RebuildTallies(ctx); err != nil || n != 1 {
		t.Fatalf("rebuilt %d tallies: %v", n, err)
	}
	again, err := s.Results(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(r) {
		t.Errorf("the tally kept with the votes differs from a recount:\n%v\n%v", r, again)
	}
	// The tally of an anonymous poll names nobody.
	rc, _, err := st.Get(ctx, tallyKey(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if strings.Contains(string(b), "dev:u") || strings.Contains(string(b), "某") {
		t.Errorf("anonymous tally names a voter: %s", b)
	}
}

// TestResultsRebuildWhenTallyMissing: without a tally record (a poll from
// before tallies, or one removed after a failed update) Results recounts.
func TestResultsRebuildWhenTallyMissing(t *testing.T) {
	s, st, p := scalePoll(t, 12)
	ctx := context.Background()
	if err := st.Delete(ctx, tallyKey(p.ID)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Results(ctx, p)
	if err != nil || r.Votes != 12 {
		t.Fatalf("results %+v %v", r, err)
	}
	if err := s.Vote(ctx, p, auth.User{ID: "dev:late", Department: "技术部"}, []Answer{{Choices: []int{1}}, {Choices: []int{2}}, {Text: "晚到"}}); err != nil {
		t.Fatal(err)
	}
	if r, _ = s.Results(ctx, p); r.Votes != 13 || r.Questions[2].Texts[len(r.Questions[2].Texts)-1].Text != "晚到" {
		t.Errorf("after a vote: %+v", r)
	}
}
