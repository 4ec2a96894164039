package wecom

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Member status values of the address book (user/list "status").
const (
	StatusActive    = 1 // 已激活
	StatusDisabled  = 2 // 已禁用
	StatusInactive  = 4 // 未激活
	StatusLeft      = 5 // 退出企业
	statusUnknown   = 0 // user/simplelist does not say: treated as active
	keepLeftFor     = 180 * 24 * time.Hour
	cacheFresh      = 30 * time.Second
	maxSnapshot     = 64 << 20
	shrinkGuardMin  = 10 // below this many people, any change is believed
	snapshotKey     = "directory/snapshot.json"
	mappingKey      = "directory/mapping.json"
	syncStatusKey   = "directory/sync.json"
	updateAttempts  = 5
	maxDeptNameRune = 64
)

// Department is one WeCom department and the portal department it maps to.
type Department struct {
	ID       int    `json:"id"`
	ParentID int    `json:"parentid"`
	Name     string `json:"name"`
	Portal   string `json:"-"` // the portal department: a mapping, else Name
	Members  int    `json:"-"` // active members whose main department this is
}

// Person is one member of the address book.
type Person struct {
	UserID      string    `json:"userid"`
	Name        string    `json:"name"`
	Departments []int     `json:"departments"`
	Main        int       `json:"main"`
	Status      int       `json:"status"`
	LeftAt      time.Time `json:"left_at,omitzero"`
	Department  string    `json:"-"` // the portal department of Main
}

// Active reports whether p is a current member (active or not yet activated).
func (p *Person) Active() bool {
	return p.Status != StatusLeft && p.Status != StatusDisabled && p.LeftAt.IsZero()
}

// snapshot is the stored address book as of the last sync.
type snapshot struct {
	SyncedAt    time.Time    `json:"synced_at"`
	Departments []Department `json:"departments"`
	People      []Person     `json:"people"`
}

// SyncStatus is the outcome of the last sync, for the admin page.
type SyncStatus struct {
	At          time.Time `json:"at"`
	OK          bool      `json:"ok"`
	Error       string    `json:"error,omitempty"`
	Departments int       `json:"departments"`
	People      int       `json:"people"`  // active members
	Left        []string  `json:"left"`    // names of the people marked as left by this sync
	Joined      int       `json:"joined"`  // people new since the last sync
	Limited     bool      `json:"limited"` // user/list was refused: names only (simplelist)
}

// ErrNotSynced means the address book was never synced.
var ErrNotSynced = errors.New("wecom: directory not synced yet")

// ErrShrunk means a sync saw far fewer people than the last one: more likely
// a narrowed visible range of the app than half the company leaving, so
// nobody is marked as left.
var ErrShrunk = errors.New("wecom: directory shrank by more than half; not applied")

// DirectoryAPI is what a sync reads from WeCom (*Client).
type DirectoryAPI interface {
	Departments(ctx context.Context) ([]Department, error)
	DepartmentMembers(ctx context.Context, id int, detail bool) ([]Person, error)
}

var _ DirectoryAPI = (*Client)(nil)

// Departments lists the departments the app can see (department/list).
func (c *Client) Departments(ctx context.Context) ([]Department, error) {
	var ans struct {
		Department []Department `json:"department"`
	}
	if err := c.call(ctx, http.MethodGet, "/cgi-bin/department/list", nil, nil, &ans); err != nil {
		return nil, err
	}
	return ans.Department, nil
}

// DepartmentMembers lists the members of one department, without its
// sub-departments: with detail from user/list (status, main department),
// else from user/simplelist (userid, name, departments).
func (c *Client) DepartmentMembers(ctx context.Context, id int, detail bool) ([]Person, error) {
	path := "/cgi-bin/user/simplelist"
	if detail {
		path = "/cgi-bin/user/list"
	}
	var ans struct {
		UserList []struct {
			UserID         string `json:"userid"`
			Name           string `json:"name"`
			Department     []int  `json:"department"`
			MainDepartment int    `json:"main_department"`
			Status         int    `json:"status"`
		} `json:"userlist"`
	}
	q := url.Values{"department_id": {strconv.Itoa(id)}}
	if err := c.call(ctx, http.MethodGet, path, q, nil, &ans); err != nil {
		return nil, err
	}
	out := make([]Person, 0, len(ans.UserList))
	for _, u := range ans.UserList {
		p := Person{UserID: u.UserID, Name: u.Name, Departments: u.Department, Main: u.MainDepartment, Status: u.Status}
		if p.Main == 0 && len(p.Departments) > 0 {
			p.Main = p.Departments[0]
		}
		out = append(out, p)
	}
	return out, nil
}

// DirectoryOptions tune a Directory.
type DirectoryOptions struct {
	// OnLeft is called once for each person a sync marks as left (their
	// packs pass to the department's editors); errors are logged.
	OnLeft func(ctx context.Context, p Person) error
	Now    func() time.Time
	Log    *slog.Logger
}

// Directory is the address book synced from WeCom into the store: WeCom
// departments mapped to portal departments, and members with name,
// department and status. Lookups read one cached object. It is safe for
// concurrent use.
type Directory struct {
	st   store.Store
	api  DirectoryAPI
	opts DirectoryOptions
	log  *slog.Logger

	mu      sync.Mutex
	syncing sync.Mutex
	cached  *view
}

// view is the loaded snapshot with the mapping applied and indexes built.
type view struct {
	snapETag, mapETag string
	checked           time.Time
	snap              snapshot
	mapping           map[string]string // WeCom id → portal department
	byUser            map[string]*Person
	byID              map[int]*Department
	children          map[int][]int
}

// NewDirectory returns the directory kept in st, synced through api.
func NewDirectory(st store.Store, api DirectoryAPI, opts DirectoryOptions) *Directory {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Directory{st: st, api: api, opts: opts, log: log}
}

// Sync reads every visible department and its members from WeCom and stores
// the result, marking as left the people who are gone (or whose status is
// 退出企业) since the last sync. One sync runs at a time per process; a
// concurrent sync in another process loses the conditional write and
// leaves the winner's result.
func (d *Directory) Sync(ctx context.Context) (SyncStatus, error) {
	d.syncing.Lock()
	defer d.syncing.Unlock()
	st, err := d.sync(ctx)
	st.At = d.opts.Now().UTC()
	st.OK = err == nil
	if err != nil {
		st.Error = err.Error()
	}
	if _, werr := record.Write(ctx, d.st, syncStatusKey, st, store.PutOptions{}); werr != nil {
		d.log.Warn("could not store the directory sync status", "err", werr)
	}
	return st, err
}

func (d *Directory) sync(ctx context.Context) (SyncStatus, error) {
	var st SyncStatus
	depts, err := d.api.Departments(ctx)
	if err != nil {
		return st, fmt.Errorf("directory sync: departments: %w", err)
	}
	detail := true
	people := map[string]*Person{}
	for _, dep := range depts {
		members, err := d.api.DepartmentMembers(ctx, dep.ID, detail)
		var ae *APIError
		if detail && errors.As(err, &ae) && (ae.Code == CodeAPIForbidden || ae.Code == CodeNoPrivilege) {
			// The app may not read member details: names and departments only.
			detail, st.Limited = false, true
			members, err = d.api.DepartmentMembers(ctx, dep.ID, false)
		}
		if err != nil {
			return st, fmt.Errorf("directory sync: members of department %d: %w", dep.ID, err)
		}
		for _, m := range members {
			if m.UserID == "" {
				continue
			}
			if p, ok := people[m.UserID]; ok {
				p.Departments = sortedUnion(p.Departments, m.Departments)
				continue
			}
			m.Departments = sortedUnion(nil, m.Departments)
			people[m.UserID] = &m
		}
	}
	old, oldETag, err := d.readSnapshot(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	now := d.opts.Now().UTC()
	next := snapshot{SyncedAt: now, Departments: depts}
	active := 0
	for _, p := range people {
		if p.Status == statusUnknown {
			p.Status = StatusActive
		}
		if p.Active() {
			active++
		}
	}
	oldActive := 0
	for i := range old.People {
		if old.People[i].Active() {
			oldActive++
		}
	}
	if oldActive >= shrinkGuardMin && active*2 < oldActive {
		return st, fmt.Errorf("%w: %d active members now, %d before", ErrShrunk, active, oldActive)
	}
	var left []Person
	seen := map[string]bool{}
	for i := range old.People {
		op := old.People[i]
		seen[op.UserID] = true
		np, still := people[op.UserID]
		switch {
		case !still && op.LeftAt.IsZero():
			op.LeftAt, op.Status = now, StatusLeft
			left = append(left, op)
			next.People = append(next.People, op)
		case !still:
			if now.Sub(op.LeftAt) < keepLeftFor {
				next.People = append(next.People, op)
			}
		default:
			if np.Status == StatusLeft {
				np.LeftAt = op.LeftAt
				if np.LeftAt.IsZero() {
					np.LeftAt = now
					left = append(left, *np)
				}
			}
			next.People = append(next.People, *np)
		}
	}
	for id, p := range people {
		if seen[id] {
			continue
		}
		st.Joined++
		if p.Status == StatusLeft {
			p.LeftAt = now
		}
		next.People = append(next.People, *p)
	}
	slices.SortFunc(next.People, func(a, b Person) int { return cmp.Compare(a.UserID, b.UserID) })
	slices.SortFunc(next.Departments, func(a, b Department) int { return cmp.Compare(a.ID, b.ID) })
	opts := store.PutOptions{IfNoneMatch: true}
	if oldETag != "" {
		opts = store.PutOptions{IfMatch: oldETag}
	}
	if _, err := record.Write(ctx, d.st, snapshotKey, next, opts); err != nil {
		return st, fmt.Errorf("directory sync: store: %w", err)
	}
	d.mu.Lock()
	d.cached = nil
	d.mu.Unlock()
	st.Departments, st.People = len(depts), active
	v, err := d.load(ctx)
	if err != nil {
		return st, err
	}
	for _, p := range left {
		st.Left = append(st.Left, p.Name)
		if d.opts.OnLeft == nil {
			continue
		}
		if lp, ok := v.byUser[p.UserID]; ok {
			p.Department = lp.Department
		}
		if err := d.opts.OnLeft(ctx, p); err != nil {
			d.log.Error("handing over the work of a person who left failed", "user", p.UserID, "err", err)
		}
	}
	return st, nil
}

func sortedUnion(a, b []int) []int {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func (d *Directory) readSnapshot(ctx context.Context) (snapshot, string, error) {
	var s snapshot
	etag, err := record.Read(ctx, d.st, snapshotKey, &s, maxSnapshot)
	if err != nil {
		return snapshot{}, "", fmt.Errorf("directory: %w", err)
	}
	return s, etag, nil
}

// load returns the current view, re-reading the snapshot and mapping only
// when their ETags changed (checked at most every cacheFresh).
func (d *Directory) load(ctx context.Context) (*view, error) {
	d.mu.Lock()
	cur := d.cached
	d.mu.Unlock()
	now := d.opts.Now()
	if cur != nil && now.Sub(cur.checked) < cacheFresh {
		return cur, nil
	}
	sObj, err := d.st.Stat(ctx, snapshotKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotSynced
	}
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	mETag := ""
	mObj, err := d.st.Stat(ctx, mappingKey)
	switch {
	case err == nil:
		mETag = mObj.ETag
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("directory: %w", err)
	}
	if cur != nil && cur.snapETag == sObj.ETag && cur.mapETag == mETag {
		d.mu.Lock()
		cur.checked = now
		d.mu.Unlock()
		return cur, nil
	}
	v := &view{checked: now, mapping: map[string]string{}}
	if v.snap, v.snapETag, err = d.readSnapshot(ctx); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotSynced
		}
		return nil, err
	}
	if mETag != "" {
		if v.mapETag, err = record.Read(ctx, d.st, mappingKey, &v.mapping, 1<<20); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("directory: mapping: %w", err)
		}
	}
	v.index()
	d.mu.Lock()
	d.cached = v
	d.mu.Unlock()
	return v, nil
}

func (v *view) index() {
	v.byID = map[int]*Department{}
	v.children = map[int][]int{}
	for i := range v.snap.Departments {
		dep := &v.snap.Departments[i]
		dep.Portal = dep.Name
		if m := v.mapping[strconv.Itoa(dep.ID)]; m != "" {
			dep.Portal = m
		}
		v.byID[dep.ID] = dep
		v.children[dep.ParentID] = append(v.children[dep.ParentID], dep.ID)
	}
	v.byUser = map[string]*Person{}
	for i := range v.snap.People {
		p := &v.snap.People[i]
		if dep, ok := v.byID[p.Main]; ok {
			p.Department = dep.Portal
			if p.Active() {
				dep.Members++
			}
		}
		v.byUser[p.UserID] = p
	}
}

// Lookup returns the person with WeCom userid id; ok is false when the
// directory does not know them (or was never synced).
func (d *Directory) Lookup(ctx context.Context, id string) (Person, bool, error) {
	v, err := d.load(ctx)
	if errors.Is(err, ErrNotSynced) {
		return Person{}, false, nil
	}
	if err != nil {
		return Person{}, false, err
	}
	p, ok := v.byUser[id]
	if !ok {
		return Person{}, false, nil
	}
	return *p, true, nil
}

// Members counts the current members of each portal department (by main
// department): the denominator of "not yet voted" and of reading-path
// completion, counting people who never signed in too. ErrNotSynced when
// the directory was never synced.
func (d *Directory) Members(ctx context.Context) (map[string]int, error) {
	v, err := d.load(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for i := range v.snap.People {
		if p := &v.snap.People[i]; p.Active() && p.Department != "" {
			out[p.Department]++
		}
	}
	return out, nil
}

// Parties returns the WeCom department ids that map to the portal
// departments names (for toparty), and the names no department maps to.
func (d *Directory) Parties(ctx context.Context, names []string) (ids []string, missing []string, err error) {
	v, err := d.load(ctx)
	if errors.Is(err, ErrNotSynced) {
		return nil, names, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		found := false
		for i := range v.snap.Departments {
			if dep := &v.snap.Departments[i]; dep.Portal == n {
				ids = append(ids, strconv.Itoa(dep.ID))
				found = true
			}
		}
		if !found {
			missing = append(missing, n)
		}
	}
	return ids, missing, nil
}

// UsersIn returns the userids of the current members of the WeCom
// departments ids and their sub-departments (whom toparty reaches).
func (d *Directory) UsersIn(ctx context.Context, ids []string) ([]string, error) {
	v, err := d.load(ctx)
	if err != nil {
		return nil, err
	}
	in := map[int]bool{}
	var walk func(int)
	walk = func(id int) {
		if in[id] {
			return
		}
		in[id] = true
		for _, c := range v.children[id] {
			walk(c)
		}
	}
	for _, s := range ids {
		if id, err := strconv.Atoi(s); err == nil {
			walk(id)
		}
	}
	var out []string
	for i := range v.snap.People {
		p := &v.snap.People[i]
		if p.Active() && slices.ContainsFunc(p.Departments, func(id int) bool { return in[id] }) {
			out = append(out, p.UserID)
		}
	}
	return out, nil
}

// DepartmentList returns the synced WeCom departments with their portal
// mapping and member counts, and when the last sync ran.
func (d *Directory) DepartmentList(ctx context.Context) ([]Department, time.Time, error) {
	v, err := d.load(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	return slices.Clone(v.snap.Departments), v.snap.SyncedAt, nil
}

// LastSync returns the outcome of the last sync; ErrNotSynced when none ran.
func (d *Directory) LastSync(ctx context.Context) (SyncStatus, error) {
	var s SyncStatus
	if _, err := record.Read(ctx, d.st, syncStatusKey, &s, 1<<20); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s, ErrNotSynced
		}
		return s, fmt.Errorf("directory: %w", err)
	}
	return s, nil
}

// ErrBadMapping means a mapping names a department badly.
var ErrBadMapping = errors.New("wecom: invalid department mapping")

// SetMapping maps WeCom department id to the portal department portal
// ("" removes the mapping: the WeCom name is used).
func (d *Directory) SetMapping(ctx context.Context, id int, portal string) error {
	if id <= 0 || len([]rune(portal)) > maxDeptNameRune {
		return ErrBadMapping
	}
	key := strconv.Itoa(id)
	err := record.Retry(ctx, updateAttempts, func(int) error {
		m := map[string]string{}
		etag, err := record.Read(ctx, d.st, mappingKey, &m, 1<<20)
		opts := store.PutOptions{IfMatch: etag}
		if errors.Is(err, store.ErrNotFound) {
			opts = store.PutOptions{IfNoneMatch: true}
		} else if err != nil {
			return fmt.Errorf("directory: mapping: %w", err)
		}
		if portal == "" {
			delete(m, key)
		} else {
			m[key] = portal
		}
		_, err = record.Write(ctx, d.st, mappingKey, m, opts)
		if errors.Is(err, store.ErrPrecondition) {
			return record.Conflict(err)
		}
		if err != nil {
			return fmt.Errorf("directory: mapping: %w", err)
		}
		d.mu.Lock()
		d.cached = nil
		d.mu.Unlock()
		return nil
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("directory: mapping: %w", err)
	}
	return err
}
