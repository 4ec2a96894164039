package announce

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

var backends = []backend{
	{"disk", func(t *testing.T) store.Store {
		st, err := store.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"minio", func(t *testing.T) store.Store {
		st, err := store.NewS3(context.Background(), miniotest.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// titles lists the titles of a result in order.
func titles(r Result) []string {
	var out []string
	for _, a := range r.Items {
		out = append(out, a.Title)
	}
	return out
}

func TestCreateGetUpdateDelete(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			s := New(st, markdown.New(), nil)
			ctx := context.Background()

			a, err := s.Create(ctx, Input{Title: " 报销系统维护 ", Body: "周五 **18:00** 起停机。\r\n", Targets: []string{"财务部", "财务部"},
				Expires: time.Date(2025, 6, 30, 15, 4, 5, 0, time.FixedZone("CST", 8*3600)), By: "dev:wangmin", ByName: "王敏"})
			if err != nil {
				t.Fatal(err)
			}
			if !ValidID(a.ID) || a.ETag == "" || a.Title != "报销系统维护" || a.Body != "周五 **18:00** 起停机。" ||
				!slices.Equal(a.Targets, []string{"财务部"}) || a.Department() != "财务部" || !a.Expires.Equal(day(2025, 6, 30)) ||
				a.AuthorID != "dev:wangmin" || a.AuthorName != "王敏" || a.Created.IsZero() || !strings.Contains(string(a.HTML), "<strong>18:00</strong>") {
				t.Fatalf("created %+v", a)
			}
			// The object is a readable JSON record under the sortable key.
			rc, obj, err := st.Get(ctx, key(a.ID))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if obj.ETag != a.ETag || obj.ContentType != "application/json" || !strings.Contains(string(raw), `"title": "报销系统维护"`) ||
				strings.Contains(string(raw), "<strong>") {
				t.Errorf("stored %s (%+v)", raw, obj)
			}
			// Keys are create-once: writing the same key again is refused by the store.
			if err := s.put(ctx, &Announcement{ID: a.ID, Title: "覆盖", Targets: []string{"技术部"}}, store.PutOptions{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
				t.Errorf("second create-once write: %v", err)
			}

			got, err := s.Get(ctx, a.ID)
			if err != nil || got.Title != a.Title || got.ETag != a.ETag || got.HTML != a.HTML {
				t.Fatalf("get: %+v %v", got, err)
			}

			// If-Match: the loaded version wins once, stale and empty versions lose.
			upd, err := s.Update(ctx, a.ID, Input{Title: "报销系统维护（改期）", Body: "改到周六。", Targets: []string{"财务部"}, Pinned: true, By: "dev:zhangwei"}, a.ETag)
			if err != nil {
				t.Fatal(err)
			}
			if upd.ETag == a.ETag || upd.AuthorID != "dev:wangmin" || !upd.Created.Equal(a.Created) || upd.UpdatedBy != "dev:zhangwei" ||
				upd.Updated.IsZero() || !upd.Pinned || !upd.Expires.IsZero() {
				t.Errorf("updated %+v", upd)
			}
			if _, err := s.Update(ctx, a.ID, Input{Title: "旧版本的编辑", Targets: []string{"财务部"}, By: "dev:wangmin"}, a.ETag); !errors.Is(err, store.ErrPrecondition) {
				t.Errorf("stale update: %v", err)
			}
			if _, err := s.Update(ctx, a.ID, Input{Title: "盲写", Targets: []string{"财务部"}, By: "dev:wangmin"}, ""); !errors.Is(err, store.ErrPrecondition) {
				t.Errorf("update without version: %v", err)
			}
			if got, err := s.Get(ctx, a.ID); err != nil || got.Title != "报销系统维护（改期）" {
				t.Errorf("after refused updates: %+v %v", got, err)
			}

			if err := s.Delete(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("get after delete: %v", err)
			}
			if err := s.Delete(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("second delete: %v", err)
			}
			if _, err := s.Update(ctx, a.ID, Input{Title: "x", Targets: []string{"财务部"}, By: "u"}, upd.ETag); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("update after delete: %v", err)
			}
			for _, id := range []string{"", "../x", "00000000000000000000-zzzzzzzz", strings.Repeat("1", 20) + "-abc"} {
				if _, err := s.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("get %q: %v", id, err)
				}
			}
		})
	}
}

func TestListOrderTargetsExpiry(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			s := New(st, markdown.New(), nil)
			ctx := context.Background()
			mk := func(title string, in Input) *Announcement {
				t.Helper()
				in.Title, in.By = title, "dev:zhangwei"
				a, err := s.Create(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			mk("财务一", Input{Targets: []string{"财务部"}})
			mk("全员一", Input{Everyone: true})
			mk("技术一", Input{Targets: []string{"技术部"}})
			mk("过期", Input{Targets: []string{"财务部"}, Expires: day(2025, 5, 31)})
			mk("今天到期", Input{Targets: []string{"财务部", "技术部"}, Expires: day(2025, 6, 1)})
			mk("置顶旧", Input{Targets: []string{"财务部"}, Pinned: true})
			mk("财务二", Input{Targets: []string{"财务部"}})

			now := time.Date(2025, 6, 1, 23, 0, 0, 0, time.UTC)
			res, err := s.List(ctx, Query{Departments: []string{"财务部"}, Everyone: true, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"置顶旧", "财务二", "今天到期", "全员一", "财务一"}; !slices.Equal(titles(res), want) || res.Total != 5 {
				t.Errorf("财务部 + everyone = %q (total %d), want %q", titles(res), res.Total, want)
			}
			res, err = s.List(ctx, Query{Departments: []string{"技术部"}, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"今天到期", "技术一"}; !slices.Equal(titles(res), want) {
				t.Errorf("技术部 = %q, want %q", titles(res), want)
			}
			// A day later the expiring one is gone; with no Now expired ones show.
			res, err = s.List(ctx, Query{Any: true, Now: now.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"置顶旧", "财务二", "技术一", "全员一", "财务一"}; !slices.Equal(titles(res), want) {
				t.Errorf("any, next day = %q, want %q", titles(res), want)
			}
			res, err = s.List(ctx, Query{Any: true, Offset: 2, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"今天到期", "过期", "技术一"}; !slices.Equal(titles(res), want) || res.Total != 7 {
				t.Errorf("any, page = %q (total %d), want %q", titles(res), res.Total, want)
			}
			res, err = s.List(ctx, Query{Any: true, Offset: 100, Limit: 3})
			if err != nil || len(res.Items) != 0 || res.Total != 7 {
				t.Errorf("past the end: %+v %v", res, err)
			}
			// A second service (another portal process) sees the same list,
			// and an edit made through it shows in the first one's cached list.
			other := New(st, markdown.New(), nil)
			res, err = other.List(ctx, Query{Departments: []string{"技术部"}, Now: now})
			if err != nil || len(res.Items) != 2 {
				t.Fatalf("other process: %+v %v", res, err)
			}
			tech := res.Items[1]
			if _, err := other.Update(ctx, tech.ID, Input{Title: "技术一（改）", Targets: []string{"技术部"}, By: "dev:liuyang"}, tech.ETag); err != nil {
				t.Fatal(err)
			}
			res, err = s.List(ctx, Query{Departments: []string{"技术部"}, Now: now})
			if err != nil || !slices.Equal(titles(res), []string{"今天到期", "技术一（改）"}) {
				t.Errorf("after an edit elsewhere: %q %v", titles(res), err)
			}
			// Callers cannot change cached records.
			res.Items[0].Targets[0] = "篡改"
			res, err = s.List(ctx, Query{Departments: []string{"技术部"}, Now: now})
			if err != nil || len(res.Items) != 2 || res.Items[0].Targets[0] == "篡改" {
				t.Errorf("cache was changed through a result: %+v %v", res.Items, err)
			}
		})
	}
}

func TestCreateConcurrentKeysAreUniqueAndOrdered(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fixed := day(2025, 6, 1)
	s := New(st, markdown.New(), func() time.Time { return fixed }) // every create at the same instant
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := s.Create(ctx, Input{Title: "并发", Everyone: true, By: "dev:zhangwei"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.List(ctx, Query{Any: true})
	if err != nil || res.Total != 20 {
		t.Fatalf("list: %d, %v", res.Total, err)
	}
	a, err := s.Create(ctx, Input{Title: "最新", Everyone: true, By: "dev:zhangwei"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.List(ctx, Query{Any: true, Limit: 1})
	if err != nil || len(res.Items) != 1 || res.Items[0].ID != a.ID {
		t.Errorf("newest first at an equal clock: %+v %v", res.Items, err)
	}
}

func TestInvalidInput(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, markdown.New(), nil)
	ctx := context.Background()
	for name, in := range map[string]Input{
		"no title":          {Title: " \x07 ", Everyone: true},
		"long title":        {Title: strings.Repeat("标", MaxTitle+1), Everyone: true},
		"long body":         {Title: "t", Body: strings.Repeat("字", MaxBody+1), Everyone: true},
		"no targets":        {Title: "t"},
		"everyone and dept": {Title: "t", Everyone: true, Targets: []string{"财务部"}},
		"bad dept":          {Title: "t", Targets: []string{"财务\x00部"}},
		"too many depts": {Title: "t", Targets: func() []string {
			var d []string
			for i := range MaxTargets + 1 {
				d = append(d, "部门"+strings.Repeat("一", i+1))
			}
			return d
		}()},
		"complex body": {Title: "t", Body: strings.Repeat(">", 3000), Everyone: true},
	} {
		in.By = "dev:zhangwei"
		if _, err := s.Create(ctx, in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.Create(ctx, Input{Title: "无作者", Everyone: true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no author: %v", err)
	}
	// Exactly at the limits is fine.
	if _, err := s.Create(ctx, Input{Title: strings.Repeat("标", MaxTitle), Body: strings.Repeat("字", MaxBody), Everyone: true, By: "u"}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	res, err := s.List(ctx, Query{Any: true})
	if err != nil || res.Total != 1 {
		t.Errorf("only the valid one was stored: %d %v", res.Total, err)
	}
}

func TestLive(t *testing.T) {
	a := Announcement{Expires: day(2025, 6, 1)}
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2025, 6, 1, 23, 59, 59, 0, shanghai), true},
		{time.Date(2025, 6, 2, 0, 0, 0, 0, shanghai), false}, // still June 1 in UTC, but the day is local
		{time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := a.Live(tc.now); got != tc.want {
			t.Errorf("Live(%s) = %v, want %v", tc.now, got, tc.want)
		}
	}
	if !(&Announcement{}).Live(time.Now()) {
		t.Error("no expiry should always be live")
	}
	if !(&Announcement{Everyone: true}).For("任何部门") || (&Announcement{Targets: []string{"财务部"}}).For("技术部") ||
		!(&Announcement{Targets: []string{"财务部"}}).For("财务部") || (&Announcement{Targets: []string{"财务部"}}).For("") {
		t.Error("For")
	}
	if (&Announcement{Targets: []string{"a", "b"}}).Department() != "" || (&Announcement{Everyone: true}).Department() != "" {
		t.Error("Department of a multi-target or everyone announcement should be empty")
	}
}
