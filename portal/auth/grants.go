package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// grantsKey is the object holding the roles administrators assign in the UI.
const grantsKey = "admin/roles.json"

// GrantSet is the roles administrators assign in the portal, on top of the
// roles file: moderators, editors per department, and the departments whose
// editors may announce to everyone. The roles file stays the bootstrap (its
// admins cannot be removed here); a GrantSet only adds roles.
type GrantSet struct {
	Moderators  []string            `json:"moderators,omitempty"`
	Editors     map[string][]string `json:"editors,omitempty"`      // department → user IDs
	AnnounceAll []string            `json:"announce_all,omitempty"` // departments whose editors address everyone
}

// Apply returns u with the granted roles added (EditorOf sorted, unique).
func (g GrantSet) Apply(u User) User {
	if slices.Contains(g.Moderators, u.ID) {
		u.Moderator = true
	}
	editorOf := slices.Clone(u.EditorOf)
	for dept, ids := range g.Editors {
		if slices.Contains(ids, u.ID) {
			editorOf = append(editorOf, dept)
		}
	}
	u.EditorOf = sortedUnique(editorOf)
	return u
}

// MayAnnounceAll reports whether u may address an announcement to everyone:
// administrators, and editors of a department with the permission.
func (g GrantSet) MayAnnounceAll(u *User) bool {
	if u == nil {
		return false
	}
	if u.Admin {
		return true
	}
	return slices.ContainsFunc(u.EditorOf, func(d string) bool { return slices.Contains(g.AnnounceAll, d) })
}

// EditorsOf lists the user IDs granted editing of department, sorted.
func (g GrantSet) EditorsOf(department string) []string {
	return sortedUnique(g.Editors[department])
}

// Grants keeps the GrantSet in the object store, updated with conditional
// writes so two administrators never lose each other's change.
//
// Load is called on every signed-in request, so it keeps the set it read
// for GrantsTTL: a change made through this Grants is seen at once (Update
// refreshes the copy), one made by another portal process within GrantsTTL.
type Grants struct {
	st    store.Store
	clock Clock

	mu     sync.Mutex
	cached *GrantSet
	at     time.Time
}

// GrantsTTL is how long Load trusts the set it last read.
const GrantsTTL = 3 * time.Second

// NewGrants returns the grants kept in st.
func NewGrants(st store.Store) *Grants { return &Grants{st: st, clock: time.Now} }

// Load reads the grant set; none stored yet is an empty set.
func (g *Grants) Load(ctx context.Context) (GrantSet, error) {
	if g == nil {
		return GrantSet{}, nil
	}
	g.mu.Lock()
	if g.cached != nil && g.clock().Sub(g.at) < GrantsTTL {
		set := *g.cached
		g.mu.Unlock()
		return set, nil
	}
	g.mu.Unlock()
	set, _, err := g.load(ctx)
	if err != nil {
		return GrantSet{}, err
	}
	g.remember(set)
	return set, nil
}

// remember keeps set as the cached copy. The copy is never modified: Update
// builds a new set from a fresh read.
func (g *Grants) remember(set GrantSet) {
	g.mu.Lock()
	g.cached, g.at = &set, g.clock()
	g.mu.Unlock()
}

func (g *Grants) load(ctx context.Context) (GrantSet, string, error) {
	if g == nil {
		return GrantSet{}, "", nil
	}
	var set GrantSet
	etag, err := readJSON(ctx, g.st, grantsKey, &set)
	if errors.Is(err, store.ErrNotFound) {
		return GrantSet{}, "", nil
	}
	if err != nil {
		return GrantSet{}, "", fmt.Errorf("auth: grants: %w", err)
	}
	return set, etag, nil
}

// ErrInvalidGrant is returned by Update for a malformed user ID or department.
var ErrInvalidGrant = errors.New("auth: invalid grant")

// Update changes the grant set with f and writes it conditionally on the
// version read, retrying with a short jittered pause when another writer
// won (enough attempts that every one of a dozen racing writers lands).
func (g *Grants) Update(ctx context.Context, f func(*GrantSet) error) error {
	err := record.Retry(ctx, 16, func(int) error {
		set, etag, err := g.load(ctx)
		if err != nil {
			return err
		}
		if err := f(&set); err != nil {
			return err
		}
		set.normalize()
		opts := store.PutOptions{ContentType: "application/json", IfMatch: etag, IfNoneMatch: etag == ""}
		_, err = writeJSON(ctx, g.st, grantsKey, set, opts)
		if errors.Is(err, store.ErrPrecondition) || (etag != "" && errors.Is(err, store.ErrNotFound)) {
			return record.Conflict(err)
		}
		if err != nil {
			return fmt.Errorf("auth: grants: write: %w", err)
		}
		g.remember(set)
		return nil
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("auth: grants: %w", err)
	}
	return err
}

// normalize sorts the lists and drops empty departments.
func (g *GrantSet) normalize() {
	g.Moderators = sortedUnique(g.Moderators)
	g.AnnounceAll = sortedUnique(g.AnnounceAll)
	for d, ids := range g.Editors {
		if ids = sortedUnique(ids); len(ids) == 0 {
			delete(g.Editors, d)
		} else {
			g.Editors[d] = ids
		}
	}
}

// CheckGrantID reports whether id is a valid user ID ("provider:subject").
func CheckGrantID(id string) error {
	provider, subject, _ := cutID(id)
	if !slices.Contains(providers, provider) || subject == "" || !printable(subject) {
		return fmt.Errorf("%w: user ID %q", ErrInvalidGrant, id)
	}
	return nil
}

// CheckGrantDepartment reports whether name can name a department.
func CheckGrantDepartment(name string) error {
	if !validDepartment(name) {
		return fmt.Errorf("%w: department %q", ErrInvalidGrant, name)
	}
	return nil
}

// IsFileAdmin reports whether the roles file names id as administrator.
func (r *Roles) IsFileAdmin(id string) bool { return r != nil && r.admins[id] }

// IsFileModerator reports whether the roles file names id as moderator.
func (r *Roles) IsFileModerator(id string) bool { return r != nil && r.moderators[id] }

// FileEditors returns the departments → editors of the roles file.
func (r *Roles) FileEditors() map[string][]string {
	out := map[string][]string{}
	if r == nil {
		return out
	}
	for id, depts := range r.editors {
		for _, d := range depts {
			out[d] = append(out[d], id)
		}
	}
	for d := range out {
		slices.Sort(out[d])
	}
	return out
}

func cutID(id string) (provider, subject string, ok bool) {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[:i], id[i+1:], true
		}
	}
	return id, "", false
}
