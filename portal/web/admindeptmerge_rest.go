package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jinnang/jinnang/portal/wecom"
)

// The optional movers of a department merge, each implemented by the
// domain service (polls, reports, notify, people, auth); a service that
// does not implement one (a test fake) is skipped.
type (
	pollsDeptMover interface {
		MoveDepartment(ctx context.Context, from, to string) (int, error)
	}
	reportsDeptMover interface {
		MoveDepartment(ctx context.Context, from, to string) (int, error)
	}
	groupHookMover interface {
		MoveGroupHook(ctx context.Context, from, to string) (bool, error)
	}
	peopleDeptMover interface {
		MoveDepartment(ctx context.Context, from, to string) (int, error)
	}
)

// moveDepartmentRest is the part of a merge after packs, announcements and
// grants and before the files and the record (whose removal ends the
// merge): polls (audience, owner, votes, tally), 一线上报 reports, the
// group robot, the WeCom department mapping, people's profiles and the
// directory. Every step moves only what still names from, so posting the
// merge again finishes it. It returns what moved, for the audit entry.
func (s *server) moveDepartmentRest(ctx context.Context, from, into string) (string, error) {
	var nPolls, nReports, nHooks, nMapped, nProfiles, nPeople int
	counts := func() string {
		return " polls=" + strconv.Itoa(nPolls) + " reports=" + strconv.Itoa(nReports) + " groups=" + strconv.Itoa(nHooks) +
			" wecom=" + strconv.Itoa(nMapped) + " profiles=" + strconv.Itoa(nProfiles) + " people=" + strconv.Itoa(nPeople)
	}
	var err error
	if m, ok := s.polls.(pollsDeptMover); ok && s.polls != nil {
		if nPolls, err = m.MoveDepartment(ctx, from, into); err != nil {
			return counts(), fmt.Errorf("merge: polls: %w", err)
		}
	}
	if m, ok := s.reports.(reportsDeptMover); ok && s.reports != nil {
		if nReports, err = m.MoveDepartment(ctx, from, into); err != nil {
			return counts(), fmt.Errorf("merge: reports: %w", err)
		}
	}
	if m, ok := s.notify.(groupHookMover); ok && s.notify != nil {
		moved, err := m.MoveGroupHook(ctx, from, into)
		if err != nil {
			return counts(), fmt.Errorf("merge: group robot: %w", err)
		}
		if moved {
			nHooks = 1
		}
	}
	if s.wecomAdmin != nil {
		// Sync and sign-in take the department from the WeCom mapping:
		// point from's WeCom departments at into, or they bring from back.
		deps, _, err := s.wecomAdmin.DepartmentList(ctx)
		if errors.Is(err, wecom.ErrNotSynced) {
			deps, err = nil, nil // no address book yet: nothing maps to from
		}
		if err != nil {
			return counts(), fmt.Errorf("merge: WeCom departments: %w", err)
		}
		for _, d := range deps {
			if d.Portal != from {
				continue
			}
			if err := s.wecomAdmin.SetMapping(ctx, d.ID, into); err != nil {
				return counts(), fmt.Errorf("merge: WeCom department %d: %w", d.ID, err)
			}
			nMapped++
		}
	}
	if s.people != nil {
		// Profiles before the directory: the directory's roster of from
		// names the people whose profiles still say from.
		members, err := s.people.Members(ctx, from)
		if err != nil {
			return counts(), fmt.Errorf("merge: people: %w", err)
		}
		if s.auth.Users != nil {
			for _, m := range members {
				changed, err := s.auth.Users.MoveDepartment(ctx, m.ID, from, into)
				if err != nil {
					return counts(), fmt.Errorf("merge: profiles: %w", err)
				}
				if changed {
					nProfiles++
				}
			}
		}
		if m, ok := s.people.(peopleDeptMover); ok {
			if nPeople, err = m.MoveDepartment(ctx, from, into); err != nil {
				return counts(), fmt.Errorf("merge: people: %w", err)
			}
		}
	}
	return counts(), nil
}
