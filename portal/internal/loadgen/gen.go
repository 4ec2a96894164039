package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// Size is the shape of a generated company. S is the small step;
// M is ten times it and L fifty times.
type Size struct {
	Name                                       string
	People, Depts                              int
	Packs                                      int
	Stories, LikesPer, CommentsPer             int
	Announcements, Suggestions, Polls, VotesPP int // VotesPP: votes per poll
	Audit                                      int
}

// Sizes are the steps of issue 10. S is its small step (200 stories, 50
// announcements, 100 suggestions, 1k audit entries, 500 profiles) and M ten
// times it. L is the company of the "What to build": 5,000 people
// in 30 departments, 20,000 packs, 50,000 stories with 500,000 likes and
// 150,000 comments (plus 297 more on the one busy story), 5,000
// announcements, 10,000 suggestions, 200 polls with 50,000 votes and
// 200,000 audit entries.
var Sizes = map[string]Size{
	"S": {Name: "S", People: 500, Depts: 8, Packs: 400, Stories: 200, LikesPer: 10, CommentsPer: 3, Announcements: 50, Suggestions: 100, Polls: 4, VotesPP: 250, Audit: 1000},
	"M": {Name: "M", People: 5000, Depts: 20, Packs: 4000, Stories: 2000, LikesPer: 10, CommentsPer: 3, Announcements: 500, Suggestions: 1000, Polls: 40, VotesPP: 250, Audit: 10000},
	"L": {Name: "L", People: 5000, Depts: 30, Packs: 20000, Stories: 50000, LikesPer: 10, CommentsPer: 3, Announcements: 5000, Suggestions: 10000, Polls: 200, VotesPP: 250, Audit: 200000},
}

// Scaled is z with every count except people and departments multiplied
// by f (at least 1 of each), for measuring how fast a size generates.
func (z Size) Scaled(f float64) Size {
	n := func(v int) int { return max(1, int(float64(v)*f)) }
	z.Name = fmt.Sprintf("%s×%g", z.Name, f)
	z.Packs, z.Stories, z.Announcements, z.Suggestions, z.Polls, z.Audit = n(z.Packs), n(z.Stories), n(z.Announcements), n(z.Suggestions), n(z.Polls), n(z.Audit)
	return z
}

// Services are the portal's services over one store and index, as the
// generator and the benchmark use them.
type Services struct {
	Store    store.Store
	Index    index.Index
	Users    *auth.Users
	People   *people.Directory
	Packs    *packs.Service
	Stories  *stories.Service
	Announce *announce.Service
	Suggest  *suggest.Service
	Polls    *polls.Service
	Audit    *audit.Log
}

// suggestKey is the generator's server key of the suggestion boxes; a
// portal serving the generated data must run with the same key to look
// receipts up (the inbox does not need it).
var suggestKey = bytes.Repeat([]byte{7}, 32)

// NewServices builds the services over st and ix.
func NewServices(st store.Store, ix index.Index) (*Services, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sg, err := suggest.New(st, suggestKey, suggest.Options{KDF: suggest.KDF{Time: 1, Memory: 1024, Threads: 1}})
	if err != nil {
		return nil, err
	}
	pl, err := polls.New(st, bytes.Repeat([]byte{8}, 32), polls.ProfileMembers(st), nil)
	if err != nil {
		return nil, err
	}
	ann := announce.New(st, markdown.New(), nil)
	ann.UseIndex(ix, log)
	return &Services{Store: st, Index: ix, Users: auth.NewUsers(st, nil), People: people.New(st, nil), Packs: packs.New(st, ix, markdown.New(), log),
		Stories: stories.New(st, ix, log, stories.Options{}), Announce: ann, Suggest: sg, Polls: pl, Audit: audit.New(st, nil)}, nil
}

// Company is what Generate made, for the benchmark to visit. The generator
// command saves it as company.json in the data directory.
type Company struct {
	Size      string
	People    []auth.User `json:"-"`
	Admin     auth.User
	BusyStory string // the story with the most comments
	Poll      string // a poll with votes
	Pack      string // a pack's slug
}

// Workers is how many goroutines Generate creates items with. The services
// are safe for concurrent use (the portal serves many requests at once);
// more than one keeps both cores busy while another waits for the disk.
var Workers = 4

// each runs fn(i, r) for i in [0, n) on Workers goroutines, r seeded by
// (seed, i) so an item's content does not depend on the schedule. It stops
// at the first error; tick, when not nil, is told every 1% done.
func each(ctx context.Context, n int, seed uint64, tick func(done int), fn func(i int, r *rand.Rand) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		first      error
		wg         sync.WaitGroup
	)
	step := int64(max(1, n/100))
	for range min(Workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := fn(int(i), rand.New(rand.NewPCG(seed, uint64(i)))); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
				if d := done.Add(1); tick != nil && d%step == 0 {
					tick(int(d))
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂")
	depts    = []string{"人力资源部", "财务部", "技术部", "销售部", "市场部", "行政部", "法务部", "采购部", "客服部", "质量部", "生产部", "物流部", "研发一部", "研发二部", "研发三部", "产品部", "设计部", "运营部", "审计部", "战略部", "华东区", "华南区", "华北区", "西南区", "西北区", "东北区", "海外部", "培训部", "安全部", "工会"}
	phrases  = []string{"今天团队一起完成了季度目标，大家辛苦了。", "食堂的新菜很好吃，推荐大家去试试。", "新同事入职第一周，感谢导师的耐心指导。", "年假怎么算？问了人事才知道要按司龄。", "报销流程比以前快多了，三天就到账。", "周末的志愿活动很有意义，下次还想参加。", "会议室预订系统上线了，终于不用抢了。", "值班表排好了，春节期间大家注意安全。"}
)

func text(r *rand.Rand, n int) string {
	var b bytes.Buffer
	for range n {
		b.WriteString(phrases[r.IntN(len(phrases))])
	}
	return b.String()
}

// Generate creates a company of size z through the services' own create
// functions, with fixed seeds so runs are comparable. Packs go in through
// ImportFS (the import command's path: parallel store writes, batched index
// writes); every other item through its service's create, Workers at a
// time. progress, when not nil, is told each phase and every 1% of it.
func Generate(ctx context.Context, sv *Services, z Size, progress func(string)) (*Company, error) {
	if progress == nil {
		progress = func(string) {}
	}
	phase := func(what string, n int) func(int) {
		progress(what)
		return func(d int) { // called every 1%: say every 10%
			if (d/max(1, n/100))%10 == 0 {
				progress(fmt.Sprintf("  %d/%d", d, n))
			}
		}
	}
	r := rand.New(rand.NewPCG(10, uint64(z.People)))
	co := &Company{Size: z.Name}
	for i := range z.People {
		u := auth.User{ID: fmt.Sprintf("dev:gen%05d", i), Department: depts[i%z.Depts],
			Name: string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))]) + string(given[r.IntN(len(given))])}
		if i == 0 {
			u.Department, u.Admin = "人力资源部", true
			co.Admin = u
		}
		co.People = append(co.People, u)
	}
	tick := phase(fmt.Sprintf("%d people in %d departments", z.People, z.Depts), z.People)
	if err := each(ctx, z.People, 1, tick, func(i int, _ *rand.Rand) error {
		u := co.People[i]
		if _, err := sv.Users.Touch(ctx, u); err != nil {
			return err
		}
		return sv.People.Join(ctx, u.ID, u.Name, u.Department)
	}); err != nil {
		return nil, err
	}
	// The directory is complete: mark it as a portal's start-up would.
	if _, err := sv.People.Backfill(ctx, func(func(people.Profile, error) bool) {}); err != nil {
		return nil, err
	}
	pick := func(r *rand.Rand) auth.User { return co.People[r.IntN(len(co.People))] }

	progress(fmt.Sprintf("%d packs (import)", z.Packs))
	fsys := fstest.MapFS{}
	for i := range z.Packs {
		r := rand.New(rand.NewPCG(2, uint64(i)))
		a := pick(r)
		src := fmt.Sprintf("---\ntitle: 锦囊 %d：%s\nsummary: %s\ndepartment: %s\ntags: [%s, %s]\nauthor: %s（%s）\naudience: [new-hire, all]\ndate: %s\n---\n\n%s\n\n## 怎么做\n\n%s\n\n## 常见问题\n\n%s\n",
			i, phrases[r.IntN(len(phrases))], phrases[r.IntN(len(phrases))], depts[r.IntN(z.Depts)],
			[]string{"年假", "报销", "入职", "值班", "食堂", "会议室"}[r.IntN(6)], []string{"流程", "制度", "经验"}[r.IntN(3)],
			a.Name, a.Department, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(2500)).Format(time.DateOnly),
			text(r, 3+r.IntN(5)), text(r, 4+r.IntN(8)), text(r, 2+r.IntN(4)))
		slug := fmt.Sprintf("gen-pack-%05d", i)
		fsys["packs/"+slug+".md"] = &fstest.MapFile{Data: []byte(src)}
		co.Pack = slug
	}
	if z.Packs > 0 {
		step := max(1, z.Packs/10)
		if _, err := sv.Packs.ImportFS(ctx, fsys, "packs", func(done, total int) {
			if done%step < 250 || done == total {
				progress(fmt.Sprintf("  packs: %d/%d", done, total))
			}
		}); err != nil {
			return nil, err
		}
	}

	tick = phase(fmt.Sprintf("%d stories, %d likes and %d comments each", z.Stories, z.LikesPer, z.CommentsPer), z.Stories)
	var busyID sync.Once
	if err := each(ctx, z.Stories, 3, tick, func(i int, r *rand.Rand) error {
		a := pick(r)
		st, err := sv.Stories.Create(ctx, stories.NewStory{Author: stories.Author{ID: a.ID, Name: a.Name, Department: a.Department}, Text: text(r, 1+r.IntN(4))})
		if err != nil {
			return err
		}
		from := r.IntN(len(co.People)) // LikesPer different people
		for k := range min(z.LikesPer, len(co.People)) {
			if _, err := sv.Stories.Like(ctx, st.ID, co.People[(from+k)%len(co.People)].ID); err != nil {
				return err
			}
		}
		n := z.CommentsPer
		if i == 0 {
			n = 300 // one story people talked about
			busyID.Do(func() { co.BusyStory = st.ID })
		}
		for range n {
			c := pick(r)
			if _, err := sv.Stories.AddComment(ctx, st.ID, stories.Author{ID: c.ID, Name: c.Name}, phrases[r.IntN(len(phrases))]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}

	tick = phase(fmt.Sprintf("%d announcements", z.Announcements), z.Announcements)
	if err := each(ctx, z.Announcements, 4, tick, func(i int, r *rand.Rand) error {
		in := announce.Input{Title: fmt.Sprintf("通知 %d：%s", i, phrases[r.IntN(len(phrases))]), Body: text(r, 6), By: co.Admin.ID, ByName: co.Admin.Name}
		if i%3 == 0 {
			in.Everyone = true
		} else {
			in.Targets = []string{depts[r.IntN(z.Depts)]}
		}
		_, err := sv.Announce.Create(ctx, in)
		return err
	}); err != nil {
		return nil, err
	}

	tick = phase(fmt.Sprintf("%d suggestions", z.Suggestions), z.Suggestions)
	box, err := sv.Suggest.CreateBox(ctx, "意见箱", "有话直说", []string{"食堂", "办公环境", "流程"})
	if err != nil {
		return nil, err
	}
	if err := each(ctx, z.Suggestions, 5, tick, func(_ int, r *rand.Rand) error {
		_, _, err := sv.Suggest.Submit(ctx, box.ID, "", text(r, 2))
		return err
	}); err != nil {
		return nil, err
	}

	votes := min(z.VotesPP, len(co.People))
	tick = phase(fmt.Sprintf("%d polls with %d votes each", z.Polls, votes), z.Polls*votes)
	var ps []*polls.Poll
	for i := range z.Polls {
		p, err := sv.Polls.Create(ctx, polls.Poll{Title: fmt.Sprintf("投票 %d", i), Mode: polls.Anonymous, Deadline: time.Now().Add(30 * 24 * time.Hour),
			Owner: co.Admin.ID, OwnerDept: co.Admin.Department,
			Questions: []polls.Question{{Text: "团建去哪", Kind: polls.Single, Options: []string{"山", "海", "城里"}}}})
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
		co.Poll = p.ID
	}
	if err := each(ctx, z.Polls*votes, 6, tick, func(i int, r *rand.Rand) error {
		return sv.Polls.Vote(ctx, ps[i/votes], co.People[i%votes], []polls.Answer{{Choices: []int{r.IntN(3)}}})
	}); err != nil {
		return nil, err
	}

	tick = phase(fmt.Sprintf("%d audit entries", z.Audit), z.Audit)
	now := time.Now()
	if err := each(ctx, z.Audit, 7, tick, func(i int, r *rand.Rand) error {
		u := pick(r)
		e := audit.Entry{At: now.Add(-time.Duration(i) * 17 * time.Minute), Actor: u.ID, ActorName: u.Name, Action: []string{"auth.login", "pack.save", "story.create", "story.comment"}[i%4], Target: fmt.Sprintf("n%d", i)}
		return sv.Audit.Record(ctx, e)
	}); err != nil {
		return nil, err
	}
	return co, nil
}
