package points

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// The stored tally: a derived copy of the contributions, kept so a board
// reads a fixed number of objects whatever the history holds.
//
//	points/tally/<YYYY-MM>/<shard>.json  the month's contributions, sharded
//	                                     by contribution ref (TallyShards)
//	points/people/<sha256(user)[:32]>.json  one person's contributions (badges)
//	points/tally-built.json              the tally was built from the truth
//
// Each record is a set keyed by the contribution's ref ("pack-<ref>",
// "story-<id>"), so recording the same contribution twice is harmless and
// removing it is deleting a key. Writers merge with If-Match / If-None-Match
// and retry. RebuildTally recomputes everything from the Sources; reindex
// runs it.
const (
	// TallyShards is how many objects hold one month (one read each per board).
	TallyShards  = 8
	tallyPrefix  = "points/tally/"
	peoplePrefix = "points/people/"
	builtKey     = "points/tally-built.json"
	tallyMax     = 32 << 20
	tallyTries   = 10
)

type tallySet struct {
	Items map[string]Contribution `json:"items"`
}

func monthKey(t time.Time) string { return t.UTC().Format("2006-01") }

func shardOf(ref string) int {
	h := fnv.New32a()
	h.Write([]byte(ref))
	return int(h.Sum32() % TallyShards)
}

func shardKey(month time.Time, shard int) string {
	return fmt.Sprintf("%s%s/%d.json", tallyPrefix, monthKey(month), shard)
}

func personKey(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return peoplePrefix + hex.EncodeToString(sum[:16]) + ".json"
}

// mergeSet applies change to the set under key with a conditional write,
// creating it when missing; retried when another writer wins.
func mergeSet(ctx context.Context, st store.Store, key string, change func(map[string]Contribution) bool) error {
	err := record.Retry(ctx, tallyTries, func(int) error {
		var set tallySet
		etag, err := record.Read(ctx, st, key, &set, tallyMax)
		missing := errors.Is(err, store.ErrNotFound)
		if err != nil && !missing {
			return err
		}
		if set.Items == nil {
			set.Items = map[string]Contribution{}
		}
		if !change(set.Items) {
			return nil
		}
		opts := store.PutOptions{IfMatch: etag}
		if missing {
			opts = store.PutOptions{IfNoneMatch: true}
		}
		_, err = record.Write(ctx, st, key, set, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("points: update %s: %w", key, err)
	}
	return err
}

// tally is the Service's stored side.
type tally struct {
	st store.Store

	mu      sync.Mutex
	built   bool
	boards  map[string]cachedBoard
	shards  map[string]shardCopy   // decoded shards by key, checked by ETag
	merged  map[string]mergedMonth // a month's merged shards and ranking, by the shards' ETags
	ranked  int                    // boards ranked from the tally (tests)
	rebuild sync.Mutex             // one RebuildTally at a time in this process
}

// maxShards bounds the decoded shards a process keeps.
const maxShards = 64

// mergedMonth is a month's contributions merged from its shards and the
// board ranked from them, as of the shards' ETags: when a cached read runs
// out (every CacheFor) and no shard changed, in this process or another,
// the board is the same and is neither merged nor ranked again (at L that
// was most of a recompute: 50,000 contributions merged and ranked).
type mergedMonth struct {
	etags []string
	all   []Contribution
	board *Board
}

// shardCopy is a decoded shard as of one ETag.
type shardCopy struct {
	etag  string
	items []Contribution
}

// shard returns the contributions in the shard under key: it asks the
// store for the shard's ETag and decodes the shard only when it changed
// since this process last read it (a month's shards can hold megabytes of
// JSON; decoding them was the leaderboard's once-a-minute cost).
func (s *Service) shard(ctx context.Context, t *tally, key string) ([]Contribution, string, error) {
	t.mu.Lock()
	c, ok := t.shards[key]
	t.mu.Unlock()
	if ok { // one Stat; the shard is read again only when it changed
		obj, err := t.st.Stat(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("points: %w", err)
		}
		if c.etag == obj.ETag {
			return c.items, c.etag, nil
		}
	}
	var set tallySet
	etag, err := record.Read(ctx, t.st, key, &set, tallyMax)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("points: %w", err)
	}
	items := make([]Contribution, 0, len(set.Items))
	for _, c := range set.Items {
		items = append(items, c)
	}
	slices.SortFunc(items, func(a, b Contribution) int { return cmp.Compare(a.Ref, b.Ref) })
	t.mu.Lock()
	if t.shards == nil || len(t.shards) >= maxShards {
		t.shards = map[string]shardCopy{}
	}
	t.shards[key] = shardCopy{etag: etag, items: items}
	t.mu.Unlock()
	return items, etag, nil
}

type cachedBoard struct {
	all   []Contribution
	at    time.Time
	board *Board // s.board(all, month), made on first use
}

// monthBoard is the ranking of month from the stored tally, ranked once
// per cached read of the shards (a month can hold tens of thousands of
// contributions; /me asks for it on every view for the star badge).
func (s *Service) monthBoard(ctx context.Context, t *tally, month time.Time) (*Board, error) {
	all, err := s.monthContributions(ctx, t, month)
	if err != nil {
		return nil, err
	}
	mk := monthKey(month)
	t.mu.Lock()
	c, ok := t.boards[mk]
	var b *Board
	if ok && c.board != nil && sameSlice(c.all, all) {
		b = c.board
	}
	t.mu.Unlock()
	if b == nil {
		b = s.board(all, month)
		t.mu.Lock()
		t.ranked++
		if c, ok := t.boards[mk]; ok && sameSlice(c.all, all) {
			c.board = b
			t.boards[mk] = c
		}
		if m, ok := t.merged[mk]; ok && sameSlice(m.all, all) {
			m.board = b
			t.merged[mk] = m
		}
		t.mu.Unlock()
	}
	cp := *b
	cp.Entries = slices.Clone(b.Entries)
	return &cp, nil
}

// mergeByRef merges runs each sorted by Ref into one new slice sorted by Ref.
func mergeByRef(runs [][]Contribution) []Contribution {
	n := 0
	for _, r := range runs {
		n += len(r)
	}
	out := make([]Contribution, 0, n)
	pos := make([]int, len(runs))
	for len(out) < n {
		best := -1
		for i, r := range runs {
			if pos[i] < len(r) && (best < 0 || r[pos[i]].Ref < runs[best][pos[best]].Ref) {
				best = i
			}
		}
		out = append(out, runs[best][pos[best]])
		pos[best]++
	}
	return out
}

// sameSlice reports whether a and b are the same cached slice.
func sameSlice(a, b []Contribution) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// UseStore makes the Service keep and read the stored tally in st instead
// of recomputing every contribution for a board.
func (s *Service) UseStore(st store.Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tally = &tally{st: st, boards: map[string]cachedBoard{}}
}

// Record adds (on) or removes (!on) the contribution ref in the stored
// tally: its month's shard and its author's record. Called by the code
// that publishes or hides a contribution; it is idempotent per ref.
func (s *Service) Record(ctx context.Context, ref string, c Contribution, on bool) error {
	s.mu.Lock()
	t := s.tally
	s.mu.Unlock()
	if t == nil || ref == "" || c.UserID == "" {
		return nil
	}
	c.At = c.At.UTC()
	c.Ref = ref
	// The person's record goes first: a ref recorded before keeps its first
	// time (as auth.Users.AddPost does), so editing a pack does not move it
	// to this month.
	var prev time.Time
	err := mergeSet(ctx, t.st, personKey(c.UserID), func(items map[string]Contribution) bool {
		old, had := items[ref]
		if !on {
			delete(items, ref)
			prev = old.At
			return had
		}
		if had {
			c.At, prev = old.At, old.At
		}
		if had && old == c {
			return false
		}
		items[ref] = c
		return true
	})
	if err == nil {
		change := func(items map[string]Contribution) bool {
			old, had := items[ref]
			if !on {
				delete(items, ref)
				return had
			}
			if had && old == c {
				return false
			}
			items[ref] = c
			return true
		}
		err = mergeSet(ctx, t.st, shardKey(c.At, shardOf(ref)), change)
		if err == nil && !on && !prev.IsZero() && monthKey(prev) != monthKey(c.At) {
			err = mergeSet(ctx, t.st, shardKey(prev, shardOf(ref)), change)
		}
	}
	t.mu.Lock()
	t.boards = map[string]cachedBoard{}
	t.mu.Unlock()
	if err != nil {
		return fmt.Errorf("points: record %s: %w", ref, err)
	}
	return nil
}

// ensureBuilt builds the tally once per store from the truth.
func (s *Service) ensureBuilt(ctx context.Context, t *tally) error {
	t.mu.Lock()
	built := t.built
	t.mu.Unlock()
	if built {
		return nil
	}
	// One builder in this process; requests that waited find it built.
	t.rebuild.Lock()
	defer t.rebuild.Unlock()
	t.mu.Lock()
	built = t.built
	t.mu.Unlock()
	if built {
		return nil
	}
	_, err := t.st.Stat(ctx, builtKey)
	if errors.Is(err, store.ErrNotFound) {
		_, err = s.rebuildTally(ctx, t)
	}
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.built = true
	t.mu.Unlock()
	return nil
}

// monthContributions reads the month's shards (cached for CacheFor).
func (s *Service) monthContributions(ctx context.Context, t *tally, month time.Time) ([]Contribution, error) {
	if err := s.ensureBuilt(ctx, t); err != nil {
		return nil, err
	}
	mk := monthKey(month)
	now := s.now()
	t.mu.Lock()
	if c, ok := t.boards[mk]; ok && now.Sub(c.at) < CacheFor && now.Sub(c.at) >= 0 {
		t.mu.Unlock()
		return c.all, nil
	}
	t.mu.Unlock()
	var runs [][]Contribution // each sorted by ref
	etags := make([]string, 0, TallyShards)
	for i := range TallyShards {
		items, etag, err := s.shard(ctx, t, shardKey(month, i))
		if err != nil {
			return nil, err
		}
		runs = append(runs, items)
		etags = append(etags, etag)
	}
	t.mu.Lock()
	m, ok := t.merged[mk]
	t.mu.Unlock()
	if !ok || !slices.Equal(m.etags, etags) {
		m = mergedMonth{etags: etags, all: mergeByRef(runs)}
	}
	t.mu.Lock()
	if t.merged == nil || len(t.merged) >= maxShards {
		t.merged = map[string]mergedMonth{}
	}
	t.merged[mk] = m
	t.boards[mk] = cachedBoard{all: m.all, at: s.now(), board: m.board}
	t.mu.Unlock()
	return m.all, nil
}

// RebuildTally recomputes the stored tally from the Sources (the truth):
// every month shard and person record is rewritten and ones no longer
// backed by a contribution are removed. It returns the contributions counted.
func (s *Service) RebuildTally(ctx context.Context) (int, error) {
	s.mu.Lock()
	t := s.tally
	s.mu.Unlock()
	if t == nil {
		return 0, nil
	}
	t.rebuild.Lock()
	defer t.rebuild.Unlock()
	return s.rebuildTally(ctx, t)
}

// rebuildTally is RebuildTally with t.rebuild held.
func (s *Service) rebuildTally(ctx context.Context, t *tally) (int, error) {
	s.mu.Lock()
	sources := slices.Clone(s.sources)
	s.mu.Unlock()
	var all []Contribution
	for _, src := range sources {
		cs, err := src(ctx)
		if err != nil {
			return 0, fmt.Errorf("points: rebuild tally: %w", err)
		}
		all = append(all, cs...)
	}
	sets := map[string]map[string]Contribution{}
	put := func(key, ref string, c Contribution) {
		if sets[key] == nil {
			sets[key] = map[string]Contribution{}
		}
		sets[key][ref] = c
	}
	for i, c := range all {
		if s.weights[c.Kind] == 0 || c.UserID == "" {
			continue
		}
		if c.Ref == "" {
			c.Ref = fmt.Sprintf("%s-%d", c.Kind, i)
		}
		c.At = c.At.UTC()
		put(shardKey(c.At, shardOf(c.Ref)), c.Ref, c)
		put(personKey(c.UserID), c.Ref, c)
	}
	for key, items := range sets {
		if _, err := record.Write(ctx, t.st, key, tallySet{Items: items}, store.PutOptions{}); err != nil {
			return 0, fmt.Errorf("points: rebuild tally: %w", err)
		}
	}
	for _, prefix := range []string{tallyPrefix, peoplePrefix} {
		for obj, err := range t.st.List(ctx, prefix) {
			if err != nil {
				return 0, fmt.Errorf("points: rebuild tally: %w", err)
			}
			if _, ok := sets[obj.Key]; !ok && strings.HasSuffix(obj.Key, ".json") {
				if err := t.st.Delete(ctx, obj.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
					return 0, fmt.Errorf("points: rebuild tally: %w", err)
				}
			}
		}
	}
	if _, err := record.Write(ctx, t.st, builtKey, map[string]any{"built": s.now().UTC()}, store.PutOptions{}); err != nil {
		return 0, fmt.Errorf("points: rebuild tally: %w", err)
	}
	t.mu.Lock()
	t.built, t.boards = true, map[string]cachedBoard{}
	t.mu.Unlock()
	return len(all), nil
}

// personContributions reads one person's record.
func (s *Service) personContributions(ctx context.Context, t *tally, userID string) ([]Contribution, error) {
	if err := s.ensureBuilt(ctx, t); err != nil {
		return nil, err
	}
	var set tallySet
	_, err := record.Read(ctx, t.st, personKey(userID), &set, tallyMax)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("points: %w", err)
	}
	out := make([]Contribution, 0, len(set.Items))
	for _, c := range set.Items {
		out = append(out, c)
	}
	return out, nil
}
