package announce

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// Kind is the index kind of announcements.
const Kind = "announce"

// summaryRunes bounds the summary of an announcement in the index.
const summaryRunes = 120

func docID(id string) string { return Kind + "_" + id }

// Readers is the index Readers value of a department's employees: an
// announcement for departments is found by them only.
func Readers(dept string) string { return "dept:" + dept }

// ToDoc is the index document of an announcement: found by the employees
// it is addressed to, until the day it expires.
func ToDoc(a *Announcement) index.Doc {
	summary := []rune(strings.Join(strings.Fields(a.Body), " "))
	if len(summary) > summaryRunes {
		summary = append(summary[:summaryRunes], '…')
	}
	d := index.Doc{
		ID: docID(a.ID), Kind: Kind,
		Title: a.Title, Summary: string(summary), Body: a.Body,
		Department: a.Department(), Author: a.AuthorName,
		Date: a.Created, Expires: a.Expires, URL: "/announcements#a-" + a.ID,
	}
	if !a.Everyone {
		for _, t := range a.Targets {
			d.Readers = append(d.Readers, Readers(t))
		}
	}
	return d
}

// UseIndex makes the service keep announcements in the search index: each
// write and delete updates it (a failure is logged; reindex repairs it).
func (s *Service) UseIndex(ix index.Index, log *slog.Logger) {
	s.index, s.log = ix, log
}

func (s *Service) indexOne(ctx context.Context, a *Announcement) {
	if s.index == nil {
		return
	}
	if err := s.index.Upsert(ctx, ToDoc(a)); err != nil {
		s.log.Warn("index announcement failed; reindex will repair it", "announcement", a.ID, "err", err)
	}
}

func (s *Service) unindex(ctx context.Context, id string) {
	if s.index == nil {
		return
	}
	if err := s.index.Delete(ctx, docID(id)); err != nil {
		s.log.Warn("unindex announcement failed; reindex will repair it", "announcement", id, "err", err)
	}
}

// Reindex rebuilds the announcement entries of the index from the store.
func (s *Service) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	if s.index == nil {
		return 0, nil
	}
	res, err := s.listAll(ctx, Query{Any: true})
	if err != nil {
		return 0, err
	}
	p := pinnedRecord{IDs: []string{}}
	for _, a := range res.Items {
		if a.Pinned {
			p.IDs = append(p.IDs, a.ID)
		}
	}
	if err := s.writePinned(ctx, p, store.PutOptions{}); err != nil {
		return 0, fmt.Errorf("announce: rebuild %s: %w", pinnedKey, err)
	}
	byID := make(map[string]*Announcement, len(res.Items))
	ids := make([]string, 0, len(res.Items))
	for i := range res.Items {
		a := &res.Items[i]
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	return index.Rebuild(ctx, s.index, Kind, ids, docID, func(_ context.Context, id string) (index.Doc, bool, error) {
		return ToDoc(byID[id]), true, nil
	}, progress)
}
