package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jinnang/jinnang/portal/audit"
	wecomauth "github.com/jinnang/jinnang/portal/auth/wecom"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/web"
	"github.com/jinnang/jinnang/portal/wecom"
)

// Background cadence of the WeCom channel.
const (
	deliverEvery = 10 * time.Second // the outbox; a new item also kicks it
	sweepEvery   = time.Hour        // nonce and welcome markers
)

// channel is how the portal tells people things: notifications, and when
// the WeCom app is configured, application messages, group robots, the
// address book and the keyword bot.
type channel struct {
	log    *slog.Logger
	notify *notify.Service

	// outbox delivers application messages and group robot posts (robots
	// need no app, so it is always there).
	outbox *wecom.Outbox
	// The WeCom app's parts; nil when the app is not configured.
	tokens   *wecomauth.Tokens
	dir      *wecom.Directory
	bot      *wecom.Bot
	callback *wecom.Callback
	// jobs is the scheduler once background started; poke kicks the outbox job.
	jobs *jobs.Scheduler

	// Set once sign-in is wired: who the admins are, and the audit log.
	admins func() []string
	audit  *audit.Log

	// packs hands a leaver's packs to their department's editors.
	packs *packs.Service
}

// openChannel builds notifications and, with cfg's WeCom app, the WeCom
// client (on the sign-in provider's token cache, which newAuth shares),
// outbox, directory and callback.
func openChannel(cfg config.Config, st store.Store, pk *packs.Service, fl *files.Service, log *slog.Logger) (*channel, error) {
	ch := &channel{log: log, packs: pk}
	nopts := notify.Options{BaseURL: cfg.BaseURL, Log: log}
	var client *wecom.Client
	var err error
	if cfg.WeComApp() {
		if ch.tokens, err = wecomauth.NewTokens(cfg.WeComCorpID, cfg.WeComSecret, cfg.WeComAPIBase, nil, nil); err != nil {
			return nil, err
		}
		client, err = wecom.NewClient(wecom.Config{CorpID: cfg.WeComCorpID, AgentID: cfg.WeComAgentID, Tokens: ch.tokens, APIBase: cfg.WeComAPIBase})
	} else {
		client, err = wecom.NewHookClient(cfg.WeComAPIBase, nil) // group robots only
	}
	if err != nil {
		return nil, err
	}
	digest := ""
	if cfg.BaseURL != "" {
		digest = strings.TrimSuffix(cfg.BaseURL, "/") + "/notifications"
	}
	ch.outbox = wecom.NewOutbox(st, client, wecom.OutboxOptions{DigestURL: digest, Report: ch.report, Log: log})
	nopts.Groups = &groupPoster{ch: ch}
	nopts.CheckHook = client.CheckWebhook
	if cfg.WeComApp() {
		ch.dir = wecom.NewDirectory(st, client, wecom.DirectoryOptions{OnLeft: ch.onLeft, Log: log})
		nopts.Pusher = &wecomPusher{ch: ch}
		if cfg.WeComCallback() {
			crypto, err := wecom.NewCrypto(cfg.WeComToken, cfg.WeComAESKey, cfg.WeComCorpID)
			if err != nil {
				return nil, err
			}
			ask := &deptAsk{files: fl, dir: ch.dir}
			ch.bot, err = wecom.NewBot(wecom.BotOptions{
				Search: &botSearch{packs: pk, files: fl}, BaseURL: cfg.BaseURL, Ask: ask.department,
				Welcome: ask.welcome, Store: st, Log: log,
			})
			if err != nil {
				return nil, err
			}
			ch.callback = wecom.NewCallback(crypto, st, ch.bot, wecom.CallbackOptions{Log: log})
		}
	}
	ch.notify = notify.New(st, nopts)
	return ch, nil
}

// signIn is what the WeCom sign-in provider shares with the channel: the
// token cache, and the address book for names and departments.
func (ch *channel) signIn() wecomSignIn {
	if ch == nil || ch.tokens == nil {
		return wecomSignIn{}
	}
	return wecomSignIn{tokens: ch.tokens, directory: ch.lookup}
}

// lookup names a member from the synced address book.
func (ch *channel) lookup(ctx context.Context, userID string) (string, string, bool) {
	p, ok, err := ch.dir.Lookup(ctx, userID)
	if err != nil {
		ch.log.Warn("directory lookup at sign-in", "err", err)
		return "", "", false
	}
	if !ok || !p.Active() {
		return "", "", false
	}
	return p.Name, p.Department, true
}

// members counts everyone of each department for polls' "not yet voted":
// the synced address book when there is one, else the people who signed in.
func (ch *channel) members(st store.Store) polls.Members {
	profiles := polls.ProfileMembers(st)
	return func(ctx context.Context) (map[string]int, error) {
		if ch.dir != nil {
			m, err := ch.dir.Members(ctx)
			if err == nil {
				return m, nil
			}
			if !errors.Is(err, wecom.ErrNotSynced) {
				return nil, err
			}
		}
		return profiles(ctx)
	}
}

// webOptions fills the channel's part of the HTTP layer's options.
func (ch *channel) webOptions(o *web.Options) {
	o.Notify = ch.notify
	if ch.callback != nil {
		o.WeComCallback = ch.callback
	}
	if ch.dir != nil {
		o.WeComAdmin = wecomAdmin{ch}
	}
}

// background registers the channel's jobs with the scheduler: outbox
// delivery (every deliverEvery, and at once when something is queued),
// directory sync (at once when the portal never synced, then every
// WeComSyncInterval) and the sweep of callback nonces and welcome markers.
func (ch *channel) background(ctx context.Context, cfg config.Config, s *jobs.Scheduler) {
	if ch.outbox != nil {
		s.Register(jobWeComOutbox, deliverEvery, 2*time.Minute, ch.deliver)
	}
	if ch.dir != nil {
		s.Register(jobDirectorySync, max(cfg.WeComSyncInterval, 0), 15*time.Minute, ch.syncDirectory)
		go func() {
			// A portal that never synced does so at once; later syncs follow the schedule.
			if _, err := ch.dir.LastSync(ctx); errors.Is(err, wecom.ErrNotSynced) {
				if _, err := s.RunNow(ctx, jobDirectorySync); err != nil && ctx.Err() == nil {
					ch.log.Warn("directory sync failed; will retry", "err", err)
				}
			}
		}()
	}
	if ch.callback != nil {
		s.Register(jobWeComSweep, sweepEvery, 10*time.Minute, ch.sweep)
	}
	ch.jobs = s
}

// deliver sends what the outbox holds (a job).
func (ch *channel) deliver(ctx context.Context) error {
	d, err := ch.outbox.Deliver(ctx)
	if d != (wecom.Delivery{}) {
		ch.log.Info("wecom outbox", "sent", d.Sent, "retried", d.Retried, "deferred", d.Deferred, "failed", d.Failed, "digested", d.Digested)
	}
	return err
}

// syncDirectory syncs the address book (a job).
func (ch *channel) syncDirectory(ctx context.Context) error {
	st, err := ch.dir.Sync(ctx)
	if err == nil {
		ch.log.Info("directory synced", "departments", st.Departments, "people", st.People, "joined", st.Joined, "left", len(st.Left))
	}
	return err
}

// sweep deletes expired callback nonces and welcome markers (a job).
func (ch *channel) sweep(ctx context.Context) error {
	_, err := ch.callback.Sweep(ctx)
	_, berr := ch.bot.Sweep(ctx)
	return errors.Join(err, berr)
}

// poke asks for an outbox delivery soon (non-blocking). Before the
// scheduler starts (or in another process) the next tick delivers.
func (ch *channel) poke() {
	if ch.jobs != nil {
		ch.jobs.Kick(jobWeComOutbox)
	}
}

// report tells the admins what WeCom refused (on the 消息 page; /admin/wecom lists them too).
func (ch *channel) report(ctx context.Context, p wecom.Problem) {
	if ch.admins == nil || ch.notify == nil {
		return
	}
	body := p.Detail
	if len(p.IDs) > 0 {
		body = p.Kind + ": " + strings.Join(p.IDs, ", ")
	}
	n := notify.Note{Kind: notify.KindWeComProblem, ActorID: "wecom", Ref: p.Kind + ":" + p.Subject, Title: p.Subject, Body: body, URL: "/admin/wecom"}
	if err := ch.notify.EmitAll(ctx, ch.admins(), n); err != nil {
		ch.log.Warn("telling admins about a WeCom problem failed", "err", err)
	}
}

// onLeft runs for each person a directory sync marks as left. It records
// the fact and hands their packs to their department's editors
// (packs.Service.OwnerLeft, the same as an admin's "mark as left").
func (ch *channel) onLeft(ctx context.Context, p wecom.Person) error {
	ch.log.Info("member left the company", "user", p.UserID, "department", p.Department)
	detail := p.Name + " " + p.Department
	if ch.packs != nil {
		moved, err := ch.packs.OwnerLeft(ctx, "wecom:"+p.UserID)
		if err != nil {
			return fmt.Errorf("hand over the packs of %s: %w", p.UserID, err)
		}
		if len(moved) > 0 {
			detail += fmt.Sprintf("; %d packs to department editors", len(moved))
		}
	}
	if ch.audit == nil {
		return nil
	}
	return ch.audit.Record(ctx, audit.Entry{Actor: "directory", Action: "directory.left", Target: "user:wecom:" + p.UserID,
		Detail: detail})
}

// wecomPusher is notify's WeCom channel: it queues cards and robot posts in
// the outbox, mapping portal users and departments to WeCom ids.
type wecomPusher struct{ ch *channel }

var _ notify.Pusher = (*wecomPusher)(nil)

// wecomUser is the WeCom userid of a portal user signed in through WeCom.
func wecomUser(userID string) (string, bool) {
	return strings.CutPrefix(userID, "wecom:")
}

// PushUser queues a card for a member signed in through WeCom.
func (p *wecomPusher) PushUser(ctx context.Context, userID string, c notify.Card, key string) error {
	id, ok := wecomUser(userID)
	if !ok {
		return nil // signed in another way: WeCom cannot reach them by id
	}
	if err := p.ch.outbox.Enqueue(ctx, key, wecom.Message{ToUsers: []string{id}, Card: card(c)}); err != nil {
		return err
	}
	p.ch.poke()
	return nil
}

// PushAudience sends to the departments' WeCom parties, or to @all. When
// some members chose not to be pushed, the parties are expanded into their
// members (from the address book) without them.
func (p *wecomPusher) PushAudience(ctx context.Context, everyone bool, depts, except []string, c notify.Card, key string) error {
	var skip []string
	for _, e := range except {
		if id, ok := wecomUser(e); ok {
			skip = append(skip, id)
		}
	}
	m := wecom.Message{Card: card(c)}
	var parties []string
	if everyone {
		m.All = true
	} else {
		var missing []string
		var err error
		if parties, missing, err = p.ch.dir.Parties(ctx, depts); err != nil {
			return err
		}
		if len(missing) > 0 {
			p.ch.log.Warn("departments without a WeCom department: not pushed (sync the directory or map them on /admin/wecom)", "departments", missing)
		}
		if len(parties) == 0 {
			return nil
		}
		m.ToParties = parties
	}
	if len(skip) > 0 {
		var members []string
		var err error
		if everyone {
			members, err = p.ch.dir.UsersIn(ctx, []string{"1"}) // the root department holds everyone
		} else {
			members, err = p.ch.dir.UsersIn(ctx, parties)
		}
		switch {
		case err == nil && slices.ContainsFunc(members, func(u string) bool { return slices.Contains(skip, u) }):
			members = slices.DeleteFunc(members, func(u string) bool { return slices.Contains(skip, u) })
			m = wecom.Message{ToUsers: members, Card: m.Card}
			if len(members) == 0 {
				return nil
			}
		case err != nil && !errors.Is(err, wecom.ErrNotSynced):
			return err
		}
	}
	if err := p.ch.outbox.Enqueue(ctx, key, m); err != nil {
		return err
	}
	p.ch.poke()
	return nil
}

// groupPoster is notify's group robot channel, through the same outbox.
type groupPoster struct{ ch *channel }

var _ notify.GroupPoster = (*groupPoster)(nil)

// PostGroup queues a markdown post to a department's group robot.
func (p *groupPoster) PostGroup(ctx context.Context, dept, webhook, markdown, key string) error {
	if err := p.ch.outbox.EnqueueHook(ctx, key, wecom.HookPost{Department: dept, URL: webhook, Markdown: markdown}); err != nil {
		return err
	}
	p.ch.poke()
	return nil
}

func card(c notify.Card) wecom.Card {
	return wecom.Card{Title: c.Title, Description: c.Description, URL: c.URL}
}

// wecomAdmin is the admin page's view of the directory and the outbox.
type wecomAdmin struct{ ch *channel }

var _ web.WeComAdmin = wecomAdmin{}

// Sync syncs the address book now.
func (w wecomAdmin) Sync(ctx context.Context) (wecom.SyncStatus, error) { return w.ch.dir.Sync(ctx) }

// LastSync is the outcome of the last sync.
func (w wecomAdmin) LastSync(ctx context.Context) (wecom.SyncStatus, error) {
	return w.ch.dir.LastSync(ctx)
}

// DepartmentList lists the synced WeCom departments.
func (w wecomAdmin) DepartmentList(ctx context.Context) ([]wecom.Department, time.Time, error) {
	return w.ch.dir.DepartmentList(ctx)
}

// SetMapping maps a WeCom department to a portal department.
func (w wecomAdmin) SetMapping(ctx context.Context, id int, portal string) error {
	return w.ch.dir.SetMapping(ctx, id, portal)
}

// OutboxStatus counts waiting messages and lists problems.
func (w wecomAdmin) OutboxStatus(ctx context.Context, limit int) (wecom.Status, error) {
	return w.ch.outbox.Status(ctx, limit)
}

// botSearch is the keyword bot's search: today's pack and file search,
// merged by score (packs first on a tie).
type botSearch struct {
	packs *packs.Service
	files *files.Service
}

// Search finds packs and files for the bot.
func (b *botSearch) Search(ctx context.Context, text string, limit int) ([]wecom.Hit, error) {
	q := index.Query{Text: text, Limit: limit}
	pr, err := b.packs.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	fr, err := b.files.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	type scored struct {
		hit   wecom.Hit
		score float64
		order int
	}
	var all []scored
	for i, h := range append(pr.Hits, fr.Hits...) {
		summary := h.Doc.Summary
		if summary == "" {
			var sb strings.Builder
			for _, sp := range h.Snippet {
				sb.WriteString(sp.Text)
			}
			summary = sb.String()
		}
		u := h.Doc.URL
		if u == "" {
			u = "/packs/" + url.PathEscape(h.Doc.ID)
		}
		all = append(all, scored{hit: wecom.Hit{Kind: h.Doc.Kind, Title: h.Doc.Title, Summary: summary, URL: u, Department: h.Doc.Department},
			score: h.Score, order: i})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.order, b.order)) })
	out := make([]wecom.Hit, 0, min(limit, len(all)))
	for _, s := range all[:min(limit, len(all))] {
		out = append(out, s.hit)
	}
	return out, nil
}

// deptAsk picks the department to ask when the bot finds nothing: the one
// whose name or intro shares the most two-character pieces with the
// question (intros list what each department answers).
type deptAsk struct {
	files *files.Service
	dir   *wecom.Directory
}

func (d *deptAsk) department(ctx context.Context, text, _ string) string {
	depts, err := d.files.Departments(ctx)
	if err != nil {
		return ""
	}
	grams := bigrams(text)
	best, bestScore := "", 0
	for _, dep := range depts {
		score := 0
		if strings.Contains(text, dep.Name) {
			score += 10
		}
		for _, g := range grams {
			if strings.Contains(dep.Name+dep.Intro, g) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = dep.Name, score
		}
	}
	return best
}

// welcome adds the member's department space to the welcome card (the
// reading path joins here once it exists).
func (d *deptAsk) welcome(ctx context.Context, userID string) []wecom.Article {
	p, ok, err := d.dir.Lookup(ctx, userID)
	if err != nil || !ok || p.Department == "" {
		return nil
	}
	base := "/departments/" + url.PathEscape(p.Department)
	return []wecom.Article{{Title: fmt.Sprintf("%s的模板、资料和公告", p.Department), Description: "本部门的锦囊、常用资料和最新公告。", URL: base}}
}

// bigrams are the two-rune pieces of the letters and digits of s.
func bigrams(s string) []string {
	var rs []rune
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		if g := string(rs[i : i+2]); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
