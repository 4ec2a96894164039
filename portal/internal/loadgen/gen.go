package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
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
	Stories, LikesPer, CommentsPer             int
	Announcements, Suggestions, Polls, VotesPP int // VotesPP: votes per poll
	Audit                                      int
}

// Sizes are the steps of issue 10 (S: 200 stories, 50 announcements, 100
// suggestions, 1k audit entries, 500 profiles; M ×10; L ×50).
var Sizes = map[string]Size{
	"S": {Name: "S", People: 500, Depts: 8, Stories: 200, LikesPer: 10, CommentsPer: 3, Announcements: 50, Suggestions: 100, Polls: 4, VotesPP: 250, Audit: 1000},
	"M": {Name: "M", People: 5000, Depts: 20, Stories: 2000, LikesPer: 10, CommentsPer: 3, Announcements: 500, Suggestions: 1000, Polls: 40, VotesPP: 250, Audit: 10000},
	"L": {Name: "L", People: 5000, Depts: 30, Stories: 10000, LikesPer: 10, CommentsPer: 3, Announcements: 2500, Suggestions: 5000, Polls: 200, VotesPP: 250, Audit: 50000},
}

// Services are the portal's services over one store and index, as the
// generator and the benchmark use them.
type Services struct {
	Store    store.Store
	Users    *auth.Users
	People   *people.Directory
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
	return &Services{Store: st, Users: auth.NewUsers(st, nil), People: people.New(st, nil),
		Stories: stories.New(st, ix, log, stories.Options{}), Announce: ann, Suggest: sg, Polls: pl, Audit: audit.New(st, nil)}, nil
}

// Company is what Generate made, for the benchmark to visit.
type Company struct {
	People    []auth.User
	Admin     auth.User
	BusyStory string // the story with the most comments
	Poll      string // a poll with votes
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
// functions, with a fixed seed so runs are comparable. progress, when not
// nil, is told each phase.
func Generate(ctx context.Context, sv *Services, z Size, progress func(string)) (*Company, error) {
	if progress == nil {
		progress = func(string) {}
	}
	r := rand.New(rand.NewPCG(10, uint64(z.People)))
	co := &Company{}
	progress(fmt.Sprintf("%d people in %d departments", z.People, z.Depts))
	for i := range z.People {
		u := auth.User{ID: fmt.Sprintf("dev:gen%05d", i), Department: depts[i%z.Depts],
			Name: string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))]) + string(given[r.IntN(len(given))])}
		if i == 0 {
			u.Department, u.Admin = "人力资源部", true
			co.Admin = u
		}
		if _, err := sv.Users.Touch(ctx, u); err != nil {
			return nil, err
		}
		if err := sv.People.Join(ctx, u.ID, u.Name, u.Department); err != nil {
			return nil, err
		}
		co.People = append(co.People, u)
	}
	// The directory is complete: mark it as a portal's start-up would.
	if _, err := sv.People.Backfill(ctx, func(func(people.Profile, error) bool) {}); err != nil {
		return nil, err
	}
	pick := func() auth.User { return co.People[r.IntN(len(co.People))] }
	progress(fmt.Sprintf("%d stories, %d likes and %d comments each", z.Stories, z.LikesPer, z.CommentsPer))
	busy := 0
	for i := range z.Stories {
		a := pick()
		st, err := sv.Stories.Create(ctx, stories.NewStory{Author: stories.Author{ID: a.ID, Name: a.Name, Department: a.Department}, Text: text(r, 1+r.IntN(4))})
		if err != nil {
			return nil, err
		}
		for range z.LikesPer {
			if _, err := sv.Stories.Like(ctx, st.ID, pick().ID); err != nil {
				return nil, err
			}
		}
		n := z.CommentsPer
		if i == 0 {
			n, co.BusyStory = 300, st.ID // one story people talked about
		}
		for range n {
			c := pick()
			if _, err := sv.Stories.AddComment(ctx, st.ID, stories.Author{ID: c.ID, Name: c.Name}, phrases[r.IntN(len(phrases))]); err != nil {
				return nil, err
			}
		}
		busy = max(busy, n)
	}
	progress(fmt.Sprintf("%d announcements", z.Announcements))
	for i := range z.Announcements {
		in := announce.Input{Title: fmt.Sprintf("通知 %d：%s", i, phrases[r.IntN(len(phrases))]), Body: text(r, 6), By: co.Admin.ID, ByName: co.Admin.Name}
		if i%3 == 0 {
			in.Everyone = true
		} else {
			in.Targets = []string{depts[r.IntN(z.Depts)]}
		}
		if _, err := sv.Announce.Create(ctx, in); err != nil {
			return nil, err
		}
	}
	progress(fmt.Sprintf("%d suggestions", z.Suggestions))
	box, err := sv.Suggest.CreateBox(ctx, "意见箱", "有话直说", []string{"食堂", "办公环境", "流程"})
	if err != nil {
		return nil, err
	}
	for range z.Suggestions {
		if _, _, err := sv.Suggest.Submit(ctx, box.ID, "", text(r, 2)); err != nil {
			return nil, err
		}
	}
	progress(fmt.Sprintf("%d polls with %d votes each", z.Polls, z.VotesPP))
	for i := range z.Polls {
		p, err := sv.Polls.Create(ctx, polls.Poll{Title: fmt.Sprintf("投票 %d", i), Mode: polls.Anonymous, Deadline: time.Now().Add(30 * 24 * time.Hour),
			Owner: co.Admin.ID, OwnerDept: co.Admin.Department,
			Questions: []polls.Question{{Text: "团建去哪", Kind: polls.Single, Options: []string{"山", "海", "城里"}}}})
		if err != nil {
			return nil, err
		}
		co.Poll = p.ID
		for j := range min(z.VotesPP, len(co.People)) {
			if err := sv.Polls.Vote(ctx, p, co.People[j], []polls.Answer{{Choices: []int{r.IntN(3)}}}); err != nil {
				return nil, err
			}
		}
	}
	progress(fmt.Sprintf("%d audit entries", z.Audit))
	now := time.Now()
	for i := range z.Audit {
		u := pick()
		e := audit.Entry{At: now.Add(-time.Duration(i) * 17 * time.Minute), Actor: u.ID, ActorName: u.Name, Action: []string{"auth.login", "pack.save", "story.create", "story.comment"}[i%4], Target: fmt.Sprintf("n%d", i)}
		if err := sv.Audit.Record(ctx, e); err != nil {
			return nil, err
		}
	}
	return co, nil
}
