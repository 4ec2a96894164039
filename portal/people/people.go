// Package people is the company directory Jinnang knows: who is in which
// department. For now it learns from sign-ins (Join); directory sync (WeCom)
// will fill the same records. Reading paths and announcement read receipts
// use it to name who has not read or confirmed yet.
//
// Store layout: one roster per department, so a report reads one object per
// department, never a listing that grows with the company:
//
//	people/dept/<hash of department>.json   {department, members: {id: member}}
//	people/person/<hash of user id>.json     {id, department}: where a person is listed
//	people/departments.json                  the department names
//	people/counts.json                       members per department (derived; counts.go)
package people

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

const (
	prefix    = "people/"
	deptsKey  = prefix + "departments.json"
	maxRoster = 8 << 20
	maxPerson = 4 << 10
	attempts  = 8
	noDept    = "" // people without a department are listed under ""
)

// Member is one person in a department's roster.
type Member struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Joined     time.Time `json:"joined"` // first seen
}

type roster struct {
	Department string            `json:"department"`
	Members    map[string]Member `json:"members"`
}

type person struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Name       string    `json:"name"`
	Joined     time.Time `json:"joined"`
}

// Directory keeps the rosters in a store. It is safe for concurrent use.
type Directory struct {
	st    store.Store
	clock func() time.Time
}

// New returns the directory kept in st (nil clock: time.Now).
func New(st store.Store, clock func() time.Time) *Directory {
	if clock == nil {
		clock = time.Now
	}
	return &Directory{st: st, clock: clock}
}

func hashName(s string) string     { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:16]) }
func rosterKey(dept string) string { return prefix + "dept/" + hashName(dept) + ".json" }
func personKey(id string) string   { return prefix + "person/" + hashName(id) + ".json" }

// Join records that id (named name) is in dept, as of a sign-in. It reads one
// small record and writes only when something changed; a move between
// departments updates both rosters.
func (d *Directory) Join(ctx context.Context, id, name, dept string) error {
	if id == "" {
		return errors.New("people: join: empty id")
	}
	var p person
	_, err := record.Read(ctx, d.st, personKey(id), &p, maxPerson)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p = person{ID: id, Joined: d.clock().UTC(), Department: "\x00"}
	case err != nil:
		return err
	case p.Department == dept && p.Name == name:
		return nil
	}
	old := p.Department
	m := Member{ID: id, Name: name, Department: dept, Joined: p.Joined}
	if err := d.upsert(ctx, rosterKey(dept), dept, func(r *roster) { r.Members[id] = m }); err != nil {
		return err
	}
	if old != "\x00" && old != dept {
		if err := d.upsert(ctx, rosterKey(old), old, func(r *roster) { delete(r.Members, id) }); err != nil {
			return err
		}
	}
	if old == "\x00" || old != dept {
		if err := d.addDepartment(ctx, dept); err != nil {
			return err
		}
	}
	p.Department, p.Name = dept, name
	_, err = record.Write(ctx, d.st, personKey(id), &p, store.PutOptions{})
	return err
}

// Leave removes id from the directory (a person who left the company).
func (d *Directory) Leave(ctx context.Context, id string) error {
	var p person
	_, err := record.Read(ctx, d.st, personKey(id), &p, maxPerson)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.upsert(ctx, rosterKey(p.Department), p.Department, func(r *roster) { delete(r.Members, id) }); err != nil {
		return err
	}
	return d.st.Delete(ctx, personKey(id))
}

// Members lists a department's members by name.
func (d *Directory) Members(ctx context.Context, dept string) ([]Member, error) {
	var r roster
	_, err := record.Read(ctx, d.st, rosterKey(dept), &r, maxRoster)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("people: members of %q: %w", dept, err)
	}
	out := make([]Member, 0, len(r.Members))
	for _, m := range r.Members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
	return out, nil
}

// Departments lists the departments that have (or had) members, sorted.
func (d *Directory) Departments(ctx context.Context) ([]string, error) {
	var names []string
	_, err := record.Read(ctx, d.st, deptsKey, &names, maxPerson*64)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return names, err
}

func (d *Directory) addDepartment(ctx context.Context, dept string) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var names []string
		etag, err := record.Read(ctx, d.st, deptsKey, &names, maxPerson*64)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			opts = store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		}
		if slices.Contains(names, dept) {
			return nil
		}
		names = append(names, dept)
		slices.Sort(names)
		_, err = record.Write(ctx, d.st, deptsKey, names, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("people: departments: %w", err)
	}
	return err
}

func (d *Directory) upsert(ctx context.Context, key, dept string, change func(*roster)) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var r roster
		etag, err := record.Read(ctx, d.st, key, &r, maxRoster)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			opts = store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		}
		if r.Members == nil {
			r.Members = map[string]Member{}
		}
		r.Department = dept
		change(&r)
		_, err = record.Write(ctx, d.st, key, &r, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		if err == nil {
			d.keepCount(ctx, dept) // counts.go
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("people: roster %q: %w", dept, err)
	}
	return err
}

// Profile is what Backfill needs of a signed-in user's profile.
type Profile struct{ ID, Name, Department string }

// backfillMarker says Backfill has run on this store.
const backfillMarker = prefix + "backfilled.json"

// Backfill adds the people of profiles (everyone who signed in before the
// directory existed) once per store; later sign-ins keep it current.
func (d *Directory) Backfill(ctx context.Context, profiles func(yield func(Profile, error) bool)) (int, error) {
	if _, err := d.st.Stat(ctx, backfillMarker); err == nil {
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	n := 0
	for p, err := range profiles {
		if err != nil {
			return n, err
		}
		if err := d.Join(ctx, p.ID, p.Name, p.Department); err != nil {
			return n, err
		}
		n++
	}
	_, err := record.Write(ctx, d.st, backfillMarker, map[string]time.Time{"at": d.clock().UTC()}, store.PutOptions{})
	return n, err
}
