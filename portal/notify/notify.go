// Package notify tells people what happened to them and for them: comments
// and likes on their stories, moderation of their stories, replies to their
// comments, new announcements and polls for their department, and the
// moderation queue. Each notification is a record in the store, shown on
// the portal's 消息 page and, by each person's choice per kind, pushed as a
// WeCom application message; announcements also reach departments' group
// robots. Nothing on the anonymous suggestion path ever calls it.
//
// Store layout (readable by a person; user ids are hashed in keys):
//
//	notify/inbox/<user>/<inverted nanos>-<rand>.json      one personal notification, newest first
//	notify/state/<user>.json                              read marks and channel choices
//	notify/batch/<user>/<kind>-<item>.json                the open batch of a batched kind (likes)
//	notify/broadcast/<inverted month>/<inverted nanos>-<rand>.json  one announcement or poll notice
//	notify/sent/<kind>-<item>.json                        a broadcast went out (once per item)
//	notify/optout/<kind>/<user>.json                      who does not want a broadcast kind pushed
//	notify/groups/<department>.json                       a department's group robot webhook
//
// Listing reads at most inboxKeep personal and broadcastScan broadcast keys
// (the inbox is pruned to inboxKeep), so a page costs the same for a
// newcomer and for someone with years of history.
package notify

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Bounds.
const (
	inboxKeep      = 200 // personal notifications kept per person
	pruneBatch     = 50  // deletions one listing may do
	broadcastScan  = 200 // newest broadcasts a listing considers
	maxRead        = 300 // read marks kept beyond the watermark
	maxUnread      = 99  // the badge shows 99+ beyond
	maxRecord      = 64 << 10
	maxText        = 200 // runes of a title or body kept in a notification
	maxActors      = 3   // names kept in a batch
	updateAttempts = 5
	idDigits       = 20
	cacheMax       = 2000
	// badgeFresh is how long an unread count is reused in one process.
	badgeFresh = 10 * time.Second
	// broadcastFresh is how long an announcement or poll counts as new.
	broadcastFresh = 30 * 24 * time.Hour

	inboxPrefix     = "notify/inbox/"
	statePrefix     = "notify/state/"
	batchPrefix     = "notify/batch/"
	broadcastPrefix = "notify/broadcast/"
	sentPrefix      = "notify/sent/"
	optoutPrefix    = "notify/optout/"
	groupsPrefix    = "notify/groups/"
)

// Errors.
var (
	// ErrInvalid means a notification or a choice is malformed.
	ErrInvalid = errors.New("notify: invalid")
	// ErrNotFound means no such notification for this person.
	ErrNotFound = errors.New("notify: not found")
)

// Note is one notification.
type Note struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// To is the recipient's user id (personal notes).
	To string `json:"to,omitempty"`
	// Everyone and Departments address a broadcast.
	Everyone    bool     `json:"everyone,omitempty"`
	Departments []string `json:"departments,omitempty"`
	// Ref names the item (story id, announcement id): batching and
	// once-per-item broadcasts key on it.
	Ref string `json:"ref"`
	// Action refines the kind: hidden, restored, warned for a moderated story.
	Action string `json:"action,omitempty"`
	// ActorID and Actor are who did it (the actor is never notified).
	ActorID string `json:"actor_id,omitempty"`
	Actor   string `json:"actor,omitempty"`
	// Actors and Count describe a batch: the first few names and how many.
	Actors []string `json:"actors,omitempty"`
	Count  int      `json:"count,omitempty"`
	// Title is the item's title; Body a short excerpt (the comment, the note).
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	// URL is the item's portal path.
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated,omitzero"`

	// Unread is set by List for the reader.
	Unread bool `json:"-"`
}

// Card is a WeCom text card for a notification.
type Card struct {
	Title       string
	Description string
	URL         string // absolute
}

// Pusher is the WeCom channel: application messages and group robots.
// Calls only queue (an outbox delivers), so they are fast and survive a
// WeCom outage.
type Pusher interface {
	// PushUser queues a card for one portal user; users WeCom cannot reach
	// (not signed in through WeCom) are skipped without error.
	PushUser(ctx context.Context, userID string, c Card, key string) error
	// PushAudience queues a card for the members of the departments (or
	// everyone), leaving out the users in except where it can.
	PushAudience(ctx context.Context, everyone bool, departments, except []string, c Card, key string) error
}

// GroupPoster is the group robot channel (群机器人): it needs no WeCom app,
// only the webhook an admin pasted.
type GroupPoster interface {
	// PostGroup queues a markdown post to a group robot.
	PostGroup(ctx context.Context, department, webhook, markdown, key string) error
}

// Options configure a Service.
type Options struct {
	// Pusher is the WeCom channel; nil means portal only (choices of WeCom
	// push then behave as portal).
	Pusher Pusher
	// Groups posts to departments' group robots; nil turns robots off.
	Groups GroupPoster
	// BaseURL is the portal's absolute address, for links in pushes.
	BaseURL string
	// CheckHook validates a group robot webhook an admin pastes.
	CheckHook func(string) error
	Now       func() time.Time
	Log       *slog.Logger
}

// Service keeps and delivers notifications. It is safe for concurrent use.
type Service struct {
	st   store.Store
	opts Options
	base string
	log  *slog.Logger

	mu        sync.Mutex
	lastNanos int64
	cache     map[string]*Note // broadcast key → record (create-once, so never stale)
	badges    map[string]badge // user → recent unread count
}

// New returns the notifications kept in st.
func New(st store.Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, opts: opts, base: strings.TrimRight(opts.BaseURL, "/"), log: log, cache: map[string]*Note{}, badges: map[string]badge{}}
}

// PushOn reports whether WeCom pushes are configured.
func (s *Service) PushOn() bool { return s.opts.Pusher != nil }

// Reader is the person reading their notifications.
type Reader struct {
	ID         string
	Department string
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func inboxDir(userID string) string { return inboxPrefix + hashOf(userID) + "/" }
func stateKey(userID string) string { return statePrefix + hashOf(userID) + ".json" }

// newID is a fresh note id: inverted nanoseconds (newest sorts first),
// strictly decreasing within the process, and a random suffix.
func (s *Service) newID(t time.Time) string {
	s.mu.Lock()
	n := max(t.UnixNano(), s.lastNanos+1)
	s.lastNanos = n
	s.mu.Unlock()
	r := make([]byte, 4)
	_, _ = rand.Read(r) // crypto/rand.Read never fails
	return fmt.Sprintf("%0*d-%s", idDigits, math.MaxInt64-n, hex.EncodeToString(r))
}

// idAt is the id prefix of instant t: every note created after t has a
// smaller id (a watermark).
func idAt(t time.Time) string { return fmt.Sprintf("%0*d", idDigits, math.MaxInt64-t.UnixNano()) }

// timeOf is when note id was created.
func timeOf(id string) (time.Time, bool) {
	digits, _, ok := strings.Cut(id, "-")
	if !ok || len(digits) != idDigits {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	return time.Unix(0, math.MaxInt64-n).UTC(), true
}

// ValidID reports whether id has the shape of a note id.
func ValidID(id string) bool {
	_, rnd, _ := strings.Cut(id, "-")
	if _, ok := timeOf(id); !ok || len(rnd) != 8 {
		return false
	}
	_, err := hex.DecodeString(rnd)
	return err == nil
}

// broadcastDir is the month folder of broadcasts created at t (newest
// month first).
func broadcastDir(t time.Time) string {
	return fmt.Sprintf("%s%06d/", broadcastPrefix, 999999-(t.UTC().Year()*100+int(t.UTC().Month())))
}

func clip(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if utf8.RuneCountInString(s) > maxText {
		return string([]rune(s)[:maxText]) + "…"
	}
	return s
}

// state is a person's read marks and choices.
type state struct {
	// SeenUntil is the id watermark of "mark all read": notes with a
	// larger id (older) are read.
	SeenUntil string `json:"seen_until,omitempty"`
	// Read are the ids opened one by one since.
	Read  []string         `json:"read,omitempty"`
	Prefs map[Kind]Channel `json:"prefs,omitempty"`
}

func (st *state) unread(id string) bool {
	return (st.SeenUntil == "" || id < st.SeenUntil) && !slices.Contains(st.Read, id)
}

func (s *Service) readState(ctx context.Context, userID string) (state, string, error) {
	var st state
	etag, err := record.Read(ctx, s.st, stateKey(userID), &st, maxRecord)
	if errors.Is(err, store.ErrNotFound) {
		return state{}, "", nil
	}
	if err != nil {
		return state{}, "", fmt.Errorf("notify: state: %w", err)
	}
	return st, etag, nil
}

// modifyState applies change to a person's state (created when missing).
func (s *Service) modifyState(ctx context.Context, userID string, change func(*state)) error {
	err := record.Retry(ctx, updateAttempts, func(int) error {
		st, etag, err := s.readState(ctx, userID)
		if err != nil {
			return err
		}
		change(&st)
		opts := store.PutOptions{IfMatch: etag}
		if etag == "" {
			opts = store.PutOptions{IfNoneMatch: true}
		}
		_, err = record.Write(ctx, s.st, stateKey(userID), st, opts)
		if errors.Is(err, store.ErrPrecondition) || (errors.Is(err, store.ErrNotFound) && etag != "") {
			return record.Conflict(err)
		}
		if err != nil {
			return fmt.Errorf("notify: state: %w", err)
		}
		return nil
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("notify: state of %s: %w", userID, err)
	}
	return err
}

// channel is the person's channel for kind.
func (s *Service) channel(st state, ki KindInfo) Channel {
	ch := ki.Default
	if c, ok := st.Prefs[ki.Kind]; ok && validChannel(c) {
		ch = c
	}
	if ch == ChannelWeCom && s.opts.Pusher == nil {
		ch = ChannelPortal
	}
	return ch
}

// Emit notifies n.To of a personal event. The actor is never notified of
// their own action; a person who turned the kind off gets nothing. Batched
// kinds fold into the open (unread) notification of the same item. With
// the WeCom channel chosen, a card is queued too (not for batch additions).
func (s *Service) Emit(ctx context.Context, n Note) error {
	ki, ok := Info(n.Kind)
	if !ok || ki.Broadcast || n.To == "" || n.URL == "" {
		return fmt.Errorf("%w: note %q to %q", ErrInvalid, n.Kind, n.To)
	}
	if n.To == n.ActorID {
		return nil
	}
	st, _, err := s.readState(ctx, n.To)
	if err != nil {
		return err
	}
	ch := s.channel(st, ki)
	if ch == ChannelOff {
		return nil
	}
	n.Title, n.Body, n.Actor = clip(n.Title), clip(n.Body), clip(n.Actor)
	now := s.opts.Now().UTC()
	if ki.Batch && n.Ref != "" {
		added, err := s.addToBatch(ctx, st, n, now)
		if err != nil || added {
			return err
		}
	}
	n.ID, n.Created = s.newID(now), now
	if ki.Batch {
		n.Count, n.Actors = 1, []string{n.Actor}
	}
	if _, err := record.Write(ctx, s.st, inboxDir(n.To)+n.ID+".json", n, store.PutOptions{IfNoneMatch: true}); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if ki.Batch && n.Ref != "" {
		if _, err := record.Write(ctx, s.st, s.batchKey(n), batchPointer{ID: n.ID}, store.PutOptions{}); err != nil {
			return fmt.Errorf("notify: batch: %w", err)
		}
	}
	s.forget(n.To)
	if n.ID[len(n.ID)-1] == '0' {
		s.prune(ctx, n.To) // one write in 16 (the id ends in a random hex digit)
	}
	if ch == ChannelWeCom {
		if err := s.opts.Pusher.PushUser(ctx, n.To, s.card(n), "note:"+n.To+":"+n.ID); err != nil {
			s.log.Warn("queueing a WeCom push failed", "kind", n.Kind, "to", n.To, "err", err)
		}
	}
	return nil
}

// EmitAll notifies each of recipients (e.g. the moderators) of n.
func (s *Service) EmitAll(ctx context.Context, recipients []string, n Note) error {
	var errs []error
	for _, to := range recipients {
		n.To = to
		if err := s.Emit(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type batchPointer struct {
	ID string `json:"id"`
}

func (s *Service) batchKey(n Note) string {
	return batchPrefix + hashOf(n.To) + "/" + string(n.Kind) + "-" + hashOf(n.Ref) + ".json"
}

// addToBatch adds n to the open batch of its item; false when there is
// none (no pointer, or the batch was read or pruned): then a new one starts.
func (s *Service) addToBatch(ctx context.Context, st state, n Note, now time.Time) (bool, error) {
	var p batchPointer
	_, err := record.Read(ctx, s.st, s.batchKey(n), &p, maxRecord)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !st.unread(p.ID)) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: batch: %w", err)
	}
	_, _, err = record.Modify(ctx, s.st, inboxDir(n.To)+p.ID+".json", maxRecord, updateAttempts, func(b *Note) error {
		b.Count++
		if !slices.Contains(b.Actors, n.Actor) && len(b.Actors) < maxActors {
			b.Actors = append(b.Actors, n.Actor)
		}
		b.Updated = now
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: batch: %w", err)
	}
	return true, nil
}

// Broadcast notifies the audience of n (n.Everyone or n.Departments) once
// per item (n.Kind, n.Ref): a record everyone in the audience sees on the
// 消息 page, a WeCom card to the departments (leaving out who chose
// otherwise), and for kinds with Group a post to the departments' robots.
func (s *Service) Broadcast(ctx context.Context, n Note) error {
	ki, ok := Info(n.Kind)
	if !ok || !ki.Broadcast || n.Ref == "" || n.URL == "" || (!n.Everyone && len(n.Departments) == 0) {
		return fmt.Errorf("%w: broadcast %q of %q", ErrInvalid, n.Kind, n.Ref)
	}
	sent := sentPrefix + string(n.Kind) + "-" + hashOf(n.Ref) + ".json"
	_, err := record.Write(ctx, s.st, sent, map[string]string{"ref": n.Ref}, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return nil // this item was announced already
	}
	if err != nil {
		return fmt.Errorf("notify: broadcast: %w", err)
	}
	now := s.opts.Now().UTC()
	n.To, n.ID, n.Created = "", s.newID(now), now
	n.Title, n.Body, n.Actor = clip(n.Title), clip(n.Body), clip(n.Actor)
	if n.Everyone {
		n.Departments = nil
	}
	if _, err := record.Write(ctx, s.st, broadcastDir(now)+n.ID+".json", n, store.PutOptions{IfNoneMatch: true}); err != nil {
		return fmt.Errorf("notify: broadcast: %w", err)
	}
	s.forget("")
	var errs []error
	if s.opts.Pusher != nil {
		except, err := s.optouts(ctx, n.Kind)
		if err != nil {
			errs = append(errs, err)
		}
		if n.ActorID != "" {
			except = append(except, n.ActorID)
		}
		if err := s.opts.Pusher.PushAudience(ctx, n.Everyone, n.Departments, except, s.card(n), "broadcast:"+string(n.Kind)+":"+n.Ref); err != nil {
			errs = append(errs, err)
		}
	}
	if ki.Group && s.opts.Groups != nil {
		hooks, err := s.GroupHooks(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, g := range hooks {
			if n.Everyone || slices.Contains(n.Departments, g.Department) {
				if err := s.opts.Groups.PostGroup(ctx, g.Department, g.URL, s.markdown(n), "group:"+g.Department+":"+string(n.Kind)+":"+n.Ref); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("queueing WeCom pushes of a broadcast failed", "kind", n.Kind, "ref", n.Ref, "err", err)
	}
	return nil
}

// optouts lists the people who do not want kind pushed.
func (s *Service) optouts(ctx context.Context, k Kind) ([]string, error) {
	var out []string
	for obj, err := range s.st.List(ctx, optoutPrefix+strings.ReplaceAll(string(k), "/", "_")+"/") {
		if err != nil {
			return out, fmt.Errorf("notify: opt-outs: %w", err)
		}
		var o struct {
			User string `json:"user"`
		}
		if _, err := record.Read(ctx, s.st, obj.Key, &o, maxRecord); err == nil && o.User != "" {
			out = append(out, o.User)
		}
	}
	return out, nil
}

// Page is one page of a person's notifications, newest first.
type Page struct {
	Notes []Note
	// Next is the cursor of the following page ("" at the end).
	Next string
}

// listed is a key found while listing: a personal or broadcast note.
type listed struct {
	id, key   string
	broadcast bool
}

// merged walks a person's newest personal keys (at most inboxKeep) and the
// newest broadcast keys (at most broadcastScan) together, newest first,
// reading keys only as the caller asks for them. Call stop when done.
func (s *Service) merged(ctx context.Context, userID string) (next func() (listed, bool, error), stop func(), full func() bool) {
	type source struct {
		next  func() (store.Object, error, bool)
		stop  func()
		head  *listed
		err   error
		left  int
		bcast bool
		done  bool
	}
	open := func(prefix string, limit int, bcast bool) *source {
		n, st := iter.Pull2(s.st.List(ctx, prefix))
		return &source{next: n, stop: st, left: limit, bcast: bcast}
	}
	srcs := []*source{open(inboxDir(userID), inboxKeep, false), open(broadcastPrefix, broadcastScan, true)}
	fill := func(src *source) {
		if src.head != nil || src.done {
			return
		}
		if src.left == 0 {
			src.done = true
			return
		}
		obj, err, ok := src.next()
		switch {
		case !ok:
			src.done = true
		case err != nil:
			src.err, src.done = err, true
		default:
			src.left--
			src.head = &listed{id: noteID(obj.Key), key: obj.Key, broadcast: src.bcast}
		}
	}
	next = func() (listed, bool, error) {
		var best *source
		for _, src := range srcs {
			fill(src)
			if src.err != nil {
				return listed{}, false, fmt.Errorf("notify: list: %w", src.err)
			}
			if src.head != nil && (best == nil || src.head.id < best.head.id) {
				best = src
			}
		}
		if best == nil {
			return listed{}, false, nil
		}
		l := *best.head
		best.head = nil
		return l, true, nil
	}
	stop = func() {
		for _, src := range srcs {
			src.stop()
		}
	}
	full = func() bool { return srcs[0].left == 0 }
	return next, stop, full
}

// prune deletes a person's oldest notifications beyond inboxKeep (at most
// pruneBatch a call).
func (s *Service) prune(ctx context.Context, userID string) {
	n, pruned := 0, 0
	for obj, err := range s.st.List(ctx, inboxDir(userID)) {
		if err != nil {
			s.log.Warn("pruning old notifications", "err", err)
			return
		}
		if n++; n <= inboxKeep {
			continue
		}
		if err := s.st.Delete(ctx, obj.Key); err != nil {
			s.log.Warn("pruning old notifications", "err", err)
			return
		}
		if pruned++; pruned >= pruneBatch {
			return
		}
	}
}

func noteID(key string) string {
	k := strings.TrimSuffix(key, ".json")
	return k[strings.LastIndexByte(k, '/')+1:]
}

// read returns the note under key (broadcasts from the cache).
func (s *Service) read(ctx context.Context, key string, broadcast bool) (*Note, error) {
	if broadcast {
		s.mu.Lock()
		n, ok := s.cache[key]
		s.mu.Unlock()
		if ok {
			c := *n
			return &c, nil
		}
	}
	var n Note
	if _, err := record.Read(ctx, s.st, key, &n, maxRecord); err != nil {
		return nil, err
	}
	if broadcast {
		s.mu.Lock()
		if len(s.cache) >= cacheMax {
			clear(s.cache)
		}
		c := n
		s.cache[key] = &c
		s.mu.Unlock()
	}
	return &n, nil
}

// visible reports whether r sees broadcast n, given their choices.
func (s *Service) visible(r Reader, st state, n *Note) bool {
	ki, ok := Info(n.Kind)
	if !ok || n.ActorID == r.ID || s.channel(st, ki) == ChannelOff {
		return false
	}
	return n.Everyone || (r.Department != "" && slices.Contains(n.Departments, r.Department))
}

// List returns r's notifications older than the cursor before ("" for the
// newest), at most limit, newest first, with Unread set.
func (s *Service) List(ctx context.Context, r Reader, before string, limit int) (Page, error) {
	if limit <= 0 {
		limit = 20
	}
	st, _, err := s.readState(ctx, r.ID)
	if err != nil {
		return Page{}, err
	}
	next, stop, full := s.merged(ctx, r.ID)
	defer stop()
	defer func() {
		if full() {
			s.prune(ctx, r.ID) // the reader reached the cap: there may be older ones to drop
		}
	}()
	var p Page
	for {
		k, ok, err := next()
		if err != nil {
			return Page{}, err
		}
		if !ok {
			break
		}
		if before != "" && k.id <= before {
			continue
		}
		n, err := s.read(ctx, k.key, k.broadcast)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if errors.Is(err, record.ErrCorrupt) {
			s.log.Warn("skipping a corrupt notification", "key", k.key, "err", err)
			continue
		}
		if err != nil {
			return Page{}, fmt.Errorf("notify: %w", err)
		}
		if k.broadcast && !s.visible(r, st, n) {
			continue
		}
		if len(p.Notes) == limit {
			p.Next = p.Notes[len(p.Notes)-1].ID
			break
		}
		n.ID = k.id
		n.Unread = st.unread(k.id)
		p.Notes = append(p.Notes, *n)
	}
	return p, nil
}

// Unread counts r's unread notifications, up to maxUnread+1 (the badge
// shows "99+" beyond 99). It stops at the "all read" watermark, and
// broadcasts older than broadcastFresh no longer count as new. Counts are
// kept for badgeFresh in this process (a change made here resets them).
func (s *Service) Unread(ctx context.Context, r Reader) (int, error) {
	now := s.opts.Now()
	s.mu.Lock()
	if b, ok := s.badges[r.ID]; ok && now.Sub(b.at) < badgeFresh && now.Sub(b.at) >= 0 && b.dept == r.Department {
		s.mu.Unlock()
		return b.n, nil
	}
	s.mu.Unlock()
	st, _, err := s.readState(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	oldest := idAt(now.Add(-broadcastFresh))
	next, stop, _ := s.merged(ctx, r.ID)
	defer stop()
	n := 0
	for {
		k, ok, err := next()
		if err != nil {
			return 0, err
		}
		if !ok || (st.SeenUntil != "" && k.id >= st.SeenUntil) {
			break // sorted: the rest are older than the watermark
		}
		if !st.unread(k.id) {
			continue
		}
		if k.broadcast {
			if k.id > oldest {
				continue
			}
			b, err := s.read(ctx, k.key, true)
			if err != nil || !s.visible(r, st, b) {
				continue
			}
		}
		if n++; n > maxUnread {
			break
		}
	}
	s.mu.Lock()
	if len(s.badges) >= cacheMax {
		clear(s.badges)
	}
	s.badges[r.ID] = badge{n: n, at: now, dept: r.Department}
	s.mu.Unlock()
	return n, nil
}

// badge is a cached unread count.
type badge struct {
	n    int
	at   time.Time
	dept string
}

// forget drops the cached badge of userID ("" for everyone).
func (s *Service) forget(userID string) {
	s.mu.Lock()
	if userID == "" {
		clear(s.badges)
	} else {
		delete(s.badges, userID)
	}
	s.mu.Unlock()
}

// Open returns r's notification id and marks it read.
func (s *Service) Open(ctx context.Context, r Reader, id string) (*Note, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	n, err := s.read(ctx, inboxDir(r.ID)+id+".json", false)
	if errors.Is(err, store.ErrNotFound) {
		t, _ := timeOf(id)
		var berr error
		n, berr = s.read(ctx, broadcastDir(t)+id+".json", true)
		if berr != nil || !n.Everyone && !slices.Contains(n.Departments, r.Department) {
			return nil, ErrNotFound
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("notify: open: %w", err)
	}
	n.ID = id
	s.forget(r.ID)
	err = s.modifyState(ctx, r.ID, func(st *state) {
		if !st.unread(id) {
			return
		}
		st.Read = append(st.Read, id)
		if len(st.Read) > maxRead {
			// Too many marks: the oldest becomes the watermark (it and
			// everything older count as read), so no mark is lost.
			slices.Sort(st.Read)
			drop := st.Read[maxRead-1:]
			if w := drop[0]; st.SeenUntil == "" || w < st.SeenUntil {
				st.SeenUntil = w
			}
			st.Read = slices.Clone(st.Read[:maxRead-1])
		}
	})
	return n, err
}

// MarkAllRead marks everything r has so far as read.
func (s *Service) MarkAllRead(ctx context.Context, r Reader) error {
	mark := idAt(s.opts.Now())
	s.forget(r.ID)
	return s.modifyState(ctx, r.ID, func(st *state) {
		st.SeenUntil, st.Read = mark, nil
	})
}

// Pref is one kind's channel for a person.
type Pref struct {
	KindInfo
	Channel Channel
}

// Prefs returns userID's channel for every kind.
func (s *Service) Prefs(ctx context.Context, userID string) ([]Pref, error) {
	st, _, err := s.readState(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []Pref
	for _, ki := range kinds {
		out = append(out, Pref{KindInfo: ki, Channel: s.channel(st, ki)})
	}
	return out, nil
}

// SetPrefs stores userID's channels for the kinds in choices.
func (s *Service) SetPrefs(ctx context.Context, userID string, choices map[Kind]Channel) error {
	for k, c := range choices {
		if _, ok := Info(k); !ok || !validChannel(c) {
			return fmt.Errorf("%w: %q for %q", ErrInvalid, c, k)
		}
	}
	if err := s.modifyState(ctx, userID, func(st *state) {
		if st.Prefs == nil {
			st.Prefs = map[Kind]Channel{}
		}
		for k, c := range choices {
			st.Prefs[k] = c
		}
	}); err != nil {
		return err
	}
	s.forget(userID)
	// Broadcast kinds keep an index of who does not want them pushed.
	for k, c := range choices {
		ki, _ := Info(k)
		if !ki.Broadcast {
			continue
		}
		key := optoutPrefix + strings.ReplaceAll(string(k), "/", "_") + "/" + hashOf(userID) + ".json"
		var err error
		if c == ChannelWeCom {
			err = s.st.Delete(ctx, key)
		} else {
			_, err = record.Write(ctx, s.st, key, map[string]string{"user": userID}, store.PutOptions{})
		}
		if err != nil {
			return fmt.Errorf("notify: opt-out: %w", err)
		}
	}
	return nil
}

// GroupHook is a department's group robot.
type GroupHook struct {
	Department string `json:"department"`
	URL        string `json:"url"`
}

// SetGroupHook stores dept's group robot webhook ("" removes it).
func (s *Service) SetGroupHook(ctx context.Context, dept, webhook string) error {
	dept = strings.TrimSpace(dept)
	if dept == "" || utf8.RuneCountInString(dept) > 64 {
		return fmt.Errorf("%w: department %q", ErrInvalid, dept)
	}
	key := groupsPrefix + hashOf(dept) + ".json"
	webhook = strings.TrimSpace(webhook)
	if webhook == "" {
		if err := s.st.Delete(ctx, key); err != nil {
			return fmt.Errorf("notify: group robot: %w", err)
		}
		return nil
	}
	if s.opts.CheckHook != nil {
		if err := s.opts.CheckHook(webhook); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	if _, err := record.Write(ctx, s.st, key, GroupHook{Department: dept, URL: webhook}, store.PutOptions{}); err != nil {
		return fmt.Errorf("notify: group robot: %w", err)
	}
	return nil
}

// GroupHooks lists the departments' group robots, by department.
func (s *Service) GroupHooks(ctx context.Context) ([]GroupHook, error) {
	var out []GroupHook
	for obj, err := range s.st.List(ctx, groupsPrefix) {
		if err != nil {
			return nil, fmt.Errorf("notify: group robots: %w", err)
		}
		var g GroupHook
		if _, err := record.Read(ctx, s.st, obj.Key, &g, maxRecord); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("notify: group robots: %w", err)
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b GroupHook) int { return cmp.Compare(a.Department, b.Department) })
	return out, nil
}
