package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Profile is the small record kept per user: who they are as of their last
// sign-in, and their language.
type Profile struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Lang       string    `json:"lang"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// Post marks something the user published, for their "my posts" list.
type Post struct {
	Kind  string    `json:"kind"`  // "pack", …: lowercase letters and digits
	Ref   string    `json:"ref"`   // the item's slug or id: letters, digits, '.', '_', '-'
	Title string    `json:"title"` // as shown in the list
	At    time.Time `json:"at"`    // when first posted; zero means now
}

// Users keeps profiles and post markers in the store, under
// users/<first 32 hex of sha256(user ID)>.json and
// users/<same>/posts/<kind>-<ref>.json (hashed, so keys carry no names and
// any ID is a valid key). It is safe for concurrent use.
type Users struct {
	st    store.Store
	clock Clock
	// locks serialise updates of one profile within the process, so
	// concurrent sign-ins of one person (several tabs, a double tap) merge
	// in turn; other processes are handled by the conditional write's retry.
	locks [64]sync.Mutex
}

// ErrInvalidPost means a Post's Kind or Ref does not fit a store key.
var ErrInvalidPost = errors.New("auth: invalid post")

// usersPrefix is where profiles live in the store.
const usersPrefix = "users/"

// Langs a profile may hold ("" means not chosen: follow the browser).
var langs = []string{"", "zh", "en"}

var (
	postKindRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)
	postRefRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

// NewUsers returns the users kept in st; a nil clock means time.Now.
func NewUsers(st store.Store, clock Clock) *Users {
	return &Users{st: st, clock: orNow(clock)}
}

// Touch creates or updates the profile of user at sign-in: name and
// department as of now, LastSeen now, FirstSeen and Lang kept.
func (u *Users) Touch(ctx context.Context, user User) (*Profile, error) {
	if user.ID == "" {
		return nil, errors.New("auth: touch user: empty user ID")
	}
	now := u.clock()
	p, err := u.modify(ctx, user.ID, true, func(p *Profile) {
		if p.FirstSeen.IsZero() || now.Before(p.FirstSeen) {
			p.FirstSeen = now
		}
		p.Name = user.Name
		p.Department = user.Department
		if now.After(p.LastSeen) { // a concurrent sign-in may have written a later time
			p.LastSeen = now
		}
	})
	if err != nil {
		return nil, fmt.Errorf("auth: touch user %s: %w", user.ID, err)
	}
	return p, nil
}

// Get returns the profile of userID; an error wrapping store.ErrNotFound
// when the user never signed in.
func (u *Users) Get(ctx context.Context, userID string) (*Profile, error) {
	var p Profile
	if _, err := readJSON(ctx, u.st, profileKey(userID), &p); err != nil {
		return nil, fmt.Errorf("auth: user %s: %w", userID, err)
	}
	return &p, nil
}

// SetLang stores the user's language: "zh", "en", or "" (follow the
// browser). The profile must exist (store.ErrNotFound otherwise).
func (u *Users) SetLang(ctx context.Context, userID, lang string) error {
	if !slices.Contains(langs, lang) {
		return fmt.Errorf("auth: set language of %s: unsupported language %q", userID, lang)
	}
	if _, err := u.modify(ctx, userID, false, func(p *Profile) { p.Lang = lang }); err != nil {
		return fmt.Errorf("auth: set language of %s: %w", userID, err)
	}
	return nil
}

// AddPost records that userID posted p. It is idempotent per (Kind, Ref): a
// second call keeps the first time and only updates the title.
func (u *Users) AddPost(ctx context.Context, userID string, p Post) error {
	if !postKindRE.MatchString(p.Kind) || !postRefRE.MatchString(p.Ref) {
		return fmt.Errorf("%w: kind %q, ref %q", ErrInvalidPost, p.Kind, p.Ref)
	}
	if p.At.IsZero() {
		p.At = u.clock()
	}
	key := postKey(userID, p.Kind, p.Ref)
	err := record.Retry(ctx, updateAttempts, func(int) error {
		_, err := writeJSON(ctx, u.st, key, p, store.PutOptions{IfNoneMatch: true})
		if !errors.Is(err, store.ErrPrecondition) {
			if err != nil {
				return fmt.Errorf("auth: add post of %s: %w", userID, err)
			}
			return nil
		}
		var cur Post
		etag, err := readJSON(ctx, u.st, key, &cur)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return record.Conflict(err) // removed meanwhile: create again
		case err != nil:
			return fmt.Errorf("auth: add post of %s: %w", userID, err)
		case cur.Title == p.Title:
			return nil
		}
		cur.Title = p.Title
		_, err = writeJSON(ctx, u.st, key, cur, store.PutOptions{IfMatch: etag})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrPrecondition), errors.Is(err, store.ErrNotFound):
			return record.Conflict(err)
		default:
			return fmt.Errorf("auth: add post of %s: %w", userID, err)
		}
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("auth: add post of %s: %w", userID, err)
	}
	return err
}

// Posts returns what userID posted, newest first (ties by kind and ref).
func (u *Users) Posts(ctx context.Context, userID string) ([]Post, error) {
	posts := []Post{}
	for obj, err := range u.st.List(ctx, postsPrefix(userID)) {
		if err != nil {
			return nil, fmt.Errorf("auth: posts of %s: %w", userID, err)
		}
		var p Post
		_, err := readJSON(ctx, u.st, obj.Key, &p)
		switch {
		case record.Skip(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("auth: posts of %s: %w", userID, err)
		}
		posts = append(posts, p)
	}
	slices.SortFunc(posts, func(a, b Post) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Ref, b.Ref))
	})
	return posts, nil
}

// modify applies change to the profile of userID with a conditional
// read-modify-write, retried when a concurrent write wins. With create, a
// missing profile starts empty; without, it is an error wrapping
// store.ErrNotFound.
//
// A profile that cannot be read (corrupt) is rebuilt when create is set:
// sign-in must never be blocked by a broken record; the name and
// department come back from the identity, only the language is lost.
// Concurrent updates of one profile are merged: each retry re-reads the
// current record and applies change to it, after a short random pause that
// spreads out writers in other processes.
func (u *Users) modify(ctx context.Context, userID string, create bool, change func(*Profile)) (*Profile, error) {
	key := profileKey(userID)
	mu := &u.locks[fnv32(userID)%uint32(len(u.locks))]
	mu.Lock()
	defer mu.Unlock()
	for attempt := range profileAttempts {
		if attempt > 0 {
			if err := pause(ctx, attempt); err != nil {
				return nil, err
			}
		}
		var p Profile
		etag, err := readJSON(ctx, u.st, key, &p)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound) && create:
			p = Profile{}
			opts = store.PutOptions{IfNoneMatch: true}
		case errors.Is(err, errCorrupt) && create && etag != "":
			p = Profile{} // rebuild exactly the broken version
		case err != nil:
			return nil, err
		}
		change(&p)
		p.ID = userID
		_, err = writeJSON(ctx, u.st, key, &p, opts)
		switch {
		case err == nil:
			return &p, nil
		case errors.Is(err, store.ErrPrecondition):
			continue
		case errors.Is(err, store.ErrNotFound) && create:
			continue // deleted between read and write: create it
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("%d concurrent writes in a row: %w", profileAttempts, store.ErrPrecondition)
}

// profileAttempts bounds the retries of a profile update that keeps losing
// to concurrent writers (other portal processes).
const profileAttempts = 12

// pause waits a random 5–40 ms times attempt, or until ctx ends.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(attempt) * (5*time.Millisecond + time.Duration(rand.Int64N(int64(35*time.Millisecond))))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s)) // hash.Hash.Write never fails
	return h.Sum32()
}

// userDir is the hashed store name of a user.
func userDir(userID string) string { return usersPrefix + hashHex(userID)[:32] }

// profileKey is the store key of a user's profile.
func profileKey(userID string) string { return userDir(userID) + ".json" }

// postsPrefix is the store prefix of a user's post markers.
func postsPrefix(userID string) string { return userDir(userID) + "/posts/" }

// postKey is the store key of one post marker.
func postKey(userID, kind, ref string) string {
	return postsPrefix(userID) + kind + "-" + ref + ".json"
}
