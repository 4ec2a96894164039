package wecom

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Store layout of the outbox (one JSON object each, readable by a person):
//
//	wecom/outbox/<sha256(key)[:32]>.json            a message waiting to be sent (create-once per key)
//	wecom/problems/<inverted nanos>-<rand>.json     what admins should know: invalid users or
//	                                                parties, messages given up on
const (
	outboxPrefix   = "wecom/outbox/"
	problemsPrefix = "wecom/problems/"
	maxEntry       = 1 << 20
)

// Outbox defaults.
const (
	// DefaultPerMinute and DefaultPerHour are WeCom's limits on messages
	// from one app to one member ("每应用对同一个成员不可超过30次/分钟，
	// 1000次/小时，超过部分会被丢弃不下发").
	DefaultPerMinute = 30
	DefaultPerHour   = 1000
	// hookPerMinute is a group robot's limit (20 messages a minute).
	hookPerMinute = 20
	// digestAt is how many waiting messages to one member become one
	// digest card ("你有 N 条新消息") instead of N cards.
	digestAt = 3
	// roundLimit bounds the entries one Deliver reads.
	roundLimit = 500
	// claimFor is how long a process owns an entry it is sending.
	claimFor = 2 * time.Minute
	// baseBackoff and maxBackoff shape the retry delays: 30 s, 1 min, 2 min … 1 h.
	baseBackoff = 30 * time.Second
	maxBackoff  = time.Hour
	// DefaultMaxAttempts gives up on a message after about a day of retries.
	DefaultMaxAttempts = 30
	// maxProblems is how many problem records are kept.
	maxProblems = 200
)

// HookPost is a markdown message for a department's group robot.
type HookPost struct {
	Department string `json:"department"`
	URL        string `json:"url"` // the webhook (holds the robot's key)
	Markdown   string `json:"markdown"`
}

// entry is one outbox object.
type entry struct {
	Key       string    `json:"key"`
	Created   time.Time `json:"created"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Claimed   time.Time `json:"claimed,omitzero"`
	App       *Message  `json:"app,omitempty"`
	Hook      *HookPost `json:"hook,omitempty"`

	etag  string
	store string // object key
}

// Problem is something an admin should fix or know: recipients WeCom did
// not accept, or a message given up on.
type Problem struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // ProblemInvalidUser, ProblemInvalidParty, ProblemFailed
	IDs     []string  `json:"ids,omitempty"`
	Subject string    `json:"subject"` // the card title or the department of a robot
	Detail  string    `json:"detail,omitempty"`
}

// The problem kinds.
const (
	ProblemInvalidUser  = "invaliduser"
	ProblemInvalidParty = "invalidparty"
	ProblemFailed       = "failed"
)

// OutboxOptions tune an Outbox.
type OutboxOptions struct {
	// PerMinute and PerHour bound messages to one member; defaults are WeCom's.
	PerMinute, PerHour int
	// MaxAttempts gives up on a message after so many failed tries.
	MaxAttempts int
	// DigestURL is where a digest card leads (the portal's 消息 page); ""
	// turns digests off.
	DigestURL string
	// Report is told about each new problem (e.g. to notify admins).
	Report func(context.Context, Problem)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Sender is what the outbox needs from a Client.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
	PostMarkdown(ctx context.Context, webhook, content string) error
}

var _ Sender = (*Client)(nil)

// Outbox keeps application messages and robot posts in the store until
// WeCom has taken them, so an outage loses nothing. Deliver sends what is
// due, within the per-member limits, retrying with exponential backoff.
// Any number of processes may call Deliver: each entry is claimed with a
// conditional write before it is sent.
type Outbox struct {
	st   store.Store
	send Sender
	opts OutboxOptions
	log  *slog.Logger

	mu    sync.Mutex
	sent  map[string][]time.Time // member or robot → recent send times (this process)
	round sync.Mutex             // one Deliver at a time in this process
}

// NewOutbox returns the outbox kept in st, sending through send.
func NewOutbox(st store.Store, send Sender, opts OutboxOptions) *Outbox {
	if opts.PerMinute <= 0 {
		opts.PerMinute = DefaultPerMinute
	}
	if opts.PerHour <= 0 {
		opts.PerHour = DefaultPerHour
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{st: st, send: send, opts: opts, log: log, sent: map[string][]time.Time{}}
}

// ErrEmpty means an enqueued item has nothing to send.
var ErrEmpty = errors.New("wecom: nothing to send")

// Enqueue queues an application message under key: one key is queued once
// (a second Enqueue with the same key while the first waits does nothing),
// so a retried hook cannot send twice. Messages beyond WeCom's per-request
// limits are split.
func (o *Outbox) Enqueue(ctx context.Context, key string, m Message) error {
	parts := m.Split()
	if len(parts) == 0 {
		return ErrEmpty
	}
	for i, p := range parts {
		k := key
		if len(parts) > 1 {
			k = fmt.Sprintf("%s#%d", key, i)
		}
		if err := o.put(ctx, &entry{Key: k, App: &p}); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueHook queues a group robot post under key.
func (o *Outbox) EnqueueHook(ctx context.Context, key string, h HookPost) error {
	if h.URL == "" || h.Markdown == "" {
		return ErrEmpty
	}
	return o.put(ctx, &entry{Key: key, Hook: &h})
}

func (o *Outbox) put(ctx context.Context, e *entry) error {
	e.Created = o.opts.Now().UTC()
	_, err := record.Write(ctx, o.st, entryKey(e.Key), e, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return nil // already queued
	}
	if err != nil {
		return fmt.Errorf("wecom outbox: %w", err)
	}
	return nil
}

func entryKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return outboxPrefix + hex.EncodeToString(sum[:16]) + ".json"
}

// Delivery counts what one Deliver did.
type Delivery struct {
	Sent, Retried, Failed, Deferred, Digested int
}

// Deliver sends the entries that are due. WeCom being unreachable stops the
// round (the rest wait for the next one without spending an attempt); a
// rate limit defers; a refusal for good is reported and dropped. It returns
// an error only when the store fails.
func (o *Outbox) Deliver(ctx context.Context) (Delivery, error) {
	o.round.Lock()
	defer o.round.Unlock()
	var d Delivery
	now := o.opts.Now()
	var due []*entry
	n := 0
	for obj, err := range o.st.List(ctx, outboxPrefix) {
		if err != nil {
			return d, fmt.Errorf("wecom outbox: list: %w", err)
		}
		if n++; n > roundLimit {
			break
		}
		var e entry
		etag, err := record.Read(ctx, o.st, obj.Key, &e, maxEntry)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case errors.Is(err, record.ErrCorrupt):
			o.log.Warn("dropping a corrupt WeCom outbox entry", "key", obj.Key, "err", err)
			_ = o.st.Delete(ctx, obj.Key) // best effort: a corrupt entry can never be sent
			continue
		case err != nil:
			return d, fmt.Errorf("wecom outbox: %w", err)
		}
		e.etag, e.store = etag, obj.Key
		if now.Before(e.NextAt) || now.Sub(e.Claimed) < claimFor {
			continue
		}
		due = append(due, &e)
	}
	slices.SortFunc(due, func(a, b *entry) int { return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Key, b.Key)) })
	due, err := o.digest(ctx, due, &d)
	if err != nil {
		return d, err
	}
	for _, e := range due {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		if who, wait := o.budget(e, now); wait > 0 {
			e.NextAt = now.Add(wait)
			if err := o.save(ctx, e); err != nil {
				return d, err
			}
			o.log.Debug("wecom message deferred by the rate limit", "to", who, "wait", wait)
			d.Deferred++
			continue
		}
		if ok, err := o.claim(ctx, e); err != nil || !ok {
			if err != nil {
				return d, err
			}
			continue // another process has it
		}
		stop, err := o.deliver(ctx, e, &d)
		if err != nil {
			return d, err
		}
		if stop {
			break
		}
	}
	return d, nil
}

// digest replaces the due single-member messages of a member who has
// digestAt or more waiting with one card leading to the portal's 消息 page.
func (o *Outbox) digest(ctx context.Context, due []*entry, d *Delivery) ([]*entry, error) {
	if o.opts.DigestURL == "" {
		return due, nil
	}
	per := map[string][]*entry{}
	for _, e := range due {
		if e.App != nil && !e.App.All && len(e.App.ToUsers) == 1 && len(e.App.ToParties)+len(e.App.ToTags) == 0 {
			per[e.App.ToUsers[0]] = append(per[e.App.ToUsers[0]], e)
		}
	}
	var out []*entry
	merged := map[*entry]bool{}
	for user, es := range per {
		if len(es) < digestAt {
			continue
		}
		var titles []string
		for _, e := range es {
			titles = append(titles, "· "+oneLine(e.App.Card.Title))
			merged[e] = true
		}
		first := es[0]
		dg := &entry{Key: "digest:" + user + ":" + first.Key, Created: first.Created,
			App: &Message{ToUsers: []string{user}, Card: Card{
				Title:       fmt.Sprintf("你有 %d 条新消息", len(es)),
				Description: strings.Join(titles, "\n"),
				URL:         o.opts.DigestURL, Button: "查看",
			}}}
		if _, err := record.Write(ctx, o.st, entryKey(dg.Key), dg, store.PutOptions{IfNoneMatch: true}); err != nil && !errors.Is(err, store.ErrPrecondition) {
			return nil, fmt.Errorf("wecom outbox: digest: %w", err)
		}
		var e2 entry
		etag, err := record.Read(ctx, o.st, entryKey(dg.Key), &e2, maxEntry)
		if err != nil {
			return nil, fmt.Errorf("wecom outbox: digest: %w", err)
		}
		e2.etag, e2.store = etag, entryKey(dg.Key)
		// The digest stands for the others: they leave the outbox now.
		for _, e := range es {
			if err := o.st.Delete(ctx, e.store); err != nil {
				return nil, fmt.Errorf("wecom outbox: digest: %w", err)
			}
		}
		d.Digested += len(es)
		out = append(out, &e2)
	}
	for _, e := range due {
		if !merged[e] {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Key, b.Key)) })
	return out, nil
}

// budget reports how long e must wait for the per-member (or per-robot)
// limit; 0 means it may go now.
func (o *Outbox) budget(e *entry, now time.Time) (string, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var who []string
	perMin, perHour := o.opts.PerMinute, o.opts.PerHour
	switch {
	case e.Hook != nil:
		who, perMin, perHour = []string{"hook:" + e.Hook.URL}, hookPerMinute, math.MaxInt
	case e.App != nil && !e.App.All:
		who = e.App.ToUsers
	}
	var wait time.Duration
	for _, w := range who {
		times := o.sent[w]
		keep := times[:0]
		for _, t := range times {
			if now.Sub(t) < time.Hour {
				keep = append(keep, t)
			}
		}
		o.sent[w] = keep
		inMinute := 0
		for _, t := range keep {
			if now.Sub(t) < time.Minute {
				inMinute++
			}
		}
		if inMinute >= perMin {
			wait = max(wait, time.Minute-now.Sub(keep[len(keep)-perMin]))
		}
		if len(keep) >= perHour {
			wait = max(wait, time.Hour-now.Sub(keep[len(keep)-perHour]))
		}
	}
	if wait > 0 {
		return strings.Join(who, ","), wait
	}
	return "", 0
}

// spend records a send to e's members (or robot).
func (o *Outbox) spend(e *entry, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case e.Hook != nil:
		o.sent["hook:"+e.Hook.URL] = append(o.sent["hook:"+e.Hook.URL], now)
	case e.App != nil && !e.App.All:
		for _, u := range e.App.ToUsers {
			o.sent[u] = append(o.sent[u], now)
		}
	}
}

// claim marks e as being sent by this process (If-Match), so a second
// process skips it.
func (o *Outbox) claim(ctx context.Context, e *entry) (bool, error) {
	e.Claimed = o.opts.Now().UTC()
	obj, err := record.Write(ctx, o.st, e.store, e, store.PutOptions{IfMatch: e.etag})
	if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("wecom outbox: claim: %w", err)
	}
	e.etag = obj.ETag
	return true, nil
}

// save writes e back (unclaimed) with If-Match.
func (o *Outbox) save(ctx context.Context, e *entry) error {
	e.Claimed = time.Time{}
	obj, err := record.Write(ctx, o.st, e.store, e, store.PutOptions{IfMatch: e.etag})
	if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
		return nil // changed or gone meanwhile: the other writer decides
	}
	if err != nil {
		return fmt.Errorf("wecom outbox: save: %w", err)
	}
	e.etag = obj.ETag
	return nil
}

// deliver sends one claimed entry and settles it; stop asks to end the round.
func (o *Outbox) deliver(ctx context.Context, e *entry, d *Delivery) (stop bool, err error) {
	now := o.opts.Now()
	var res Result
	var sendErr error
	subject := ""
	if e.Hook != nil {
		subject = e.Hook.Department
		sendErr = o.send.PostMarkdown(ctx, e.Hook.URL, e.Hook.Markdown)
	} else {
		subject = e.App.Card.Title
		res, sendErr = o.send.Send(ctx, *e.App)
	}
	o.spend(e, now)
	if len(res.InvalidUsers) > 0 {
		o.problem(ctx, Problem{Kind: ProblemInvalidUser, IDs: res.InvalidUsers, Subject: subject})
	}
	if len(res.InvalidParties) > 0 {
		o.problem(ctx, Problem{Kind: ProblemInvalidParty, IDs: res.InvalidParties, Subject: subject})
	}
	var ae *APIError
	switch {
	case sendErr == nil:
		d.Sent++
		return false, o.remove(ctx, e)
	case errors.Is(sendErr, context.Canceled):
		return true, o.save(ctx, e)
	case errors.As(sendErr, &ae) && ae.Code == CodeRateLimited:
		// 45009: a member's or the app's budget is spent. Wait a minute
		// without spending an attempt; a many-recipient message stops the round.
		e.NextAt, e.LastError = now.Add(time.Minute), sendErr.Error()
		d.Deferred++
		return e.App != nil && (e.App.All || e.App.Recipients() > 1), o.save(ctx, e)
	case Retryable(sendErr):
		e.Attempts++
		e.LastError = sendErr.Error()
		if e.Attempts >= o.opts.MaxAttempts {
			d.Failed++
			o.problem(ctx, Problem{Kind: ProblemFailed, Subject: subject,
				Detail: fmt.Sprintf("%d attempts: %s", e.Attempts, sendErr)})
			return false, o.remove(ctx, e)
		}
		e.NextAt = now.Add(backoff(e.Attempts))
		d.Retried++
		o.log.Warn("wecom delivery failed; will retry", "key", e.Key, "attempt", e.Attempts, "next", e.NextAt, "err", sendErr)
		// WeCom is likely down: the others wait for the next round.
		return !errors.As(sendErr, &ae), o.save(ctx, e)
	default:
		// Refused for good (81013 all recipients invalid, a bad webhook…).
		d.Failed++
		if !(errors.As(sendErr, &ae) && ae.Code == CodeAllInvalid) {
			o.problem(ctx, Problem{Kind: ProblemFailed, Subject: subject, Detail: sendErr.Error()})
		}
		o.log.Warn("wecom refused a message; dropped", "key", e.Key, "err", sendErr)
		return false, o.remove(ctx, e)
	}
}

func (o *Outbox) remove(ctx context.Context, e *entry) error {
	if err := o.st.Delete(ctx, e.store); err != nil {
		return fmt.Errorf("wecom outbox: clear: %w", err)
	}
	return nil
}

// backoff is the delay before attempt n+1: 30 s doubled per attempt up to an
// hour, less up to a fifth at random so retries of many entries spread out.
func backoff(attempts int) time.Duration {
	d := baseBackoff << min(attempts-1, 20)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(d/5)+1))
	if err != nil {
		return d
	}
	return d - time.Duration(j.Int64())
}

// problem stores p (newest first) and tells Report.
func (o *Outbox) problem(ctx context.Context, p Problem) {
	p.At = o.opts.Now().UTC()
	r := make([]byte, 4)
	_, _ = rand.Read(r) // crypto/rand.Read never fails
	key := fmt.Sprintf("%s%020d-%s.json", problemsPrefix, math.MaxInt64-p.At.UnixNano(), hex.EncodeToString(r))
	if _, err := record.Write(ctx, o.st, key, p, store.PutOptions{IfNoneMatch: true}); err != nil {
		o.log.Error("could not record a WeCom problem", "kind", p.Kind, "err", err)
	}
	o.log.Warn("wecom problem", "kind", p.Kind, "ids", p.IDs, "subject", p.Subject, "detail", p.Detail)
	if o.opts.Report != nil {
		o.opts.Report(ctx, p)
	}
}

// Status is what the admin page shows about the outbox.
type Status struct {
	Pending  int       // entries waiting (counted up to roundLimit)
	Problems []Problem // newest first
}

// Status counts the waiting entries and returns the newest problems (at
// most limit), pruning problems beyond the kept maximum.
func (o *Outbox) Status(ctx context.Context, limit int) (Status, error) {
	var s Status
	for _, err := range o.st.List(ctx, outboxPrefix) {
		if err != nil {
			return s, fmt.Errorf("wecom outbox: %w", err)
		}
		if s.Pending++; s.Pending >= roundLimit {
			break
		}
	}
	n := 0
	for obj, err := range o.st.List(ctx, problemsPrefix) {
		if err != nil {
			return s, fmt.Errorf("wecom problems: %w", err)
		}
		n++
		if n > maxProblems {
			_ = o.st.Delete(ctx, obj.Key) // pruning is best effort
			continue
		}
		if len(s.Problems) >= limit {
			continue
		}
		var p Problem
		if _, err := record.Read(ctx, o.st, obj.Key, &p, maxEntry); err != nil {
			continue // a vanished or corrupt problem record is not worth failing the page
		}
		s.Problems = append(s.Problems, p)
	}
	return s, nil
}
