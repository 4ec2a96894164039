package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"maps"
	"slices"
	"sync"
	"time"
)

// deptNamesTTL is how long a process trusts its table of department
// display names; a rename in this process clears it at once, one in
// another process shows here within the TTL.
const deptNamesTTL = 30 * time.Second

// deptNamesTimeout bounds the read of the department records.
const deptNamesTimeout = 2 * time.Second

// deptNameCache maps department ids to the display names given by a
// rename (files.Department.Display). Departments are few (one record
// each), so the whole table is read at once and kept for deptNamesTTL.
// Past the TTL the old table is still served while one goroutine reads the
// new one (at most deptNamesTimeout), so renders do not queue behind a read.
type deptNameCache struct {
	mu         sync.Mutex
	at         time.Time
	names      map[string]string // id → display name, renamed departments only
	gen        string            // names the table's content (part of the page-cache key)
	epoch      uint64            // bumped by forgetDeptNames: an older refresh is not kept
	refreshing bool              // a goroutine is reading the table
}

// deptNameTable returns the current table. A stale one is returned as is
// while a background read replaces it; without a table (at start, after a
// rename here) it is read at once. A failed read keeps the last table and
// is tried again after the TTL.
func (s *server) deptNameTable() map[string]string {
	dc := &s.deptNames
	dc.mu.Lock()
	now := s.now()
	if dc.names != nil {
		names := dc.names
		if now.Sub(dc.at) >= deptNamesTTL && !dc.refreshing {
			dc.refreshing = true
			go s.refreshDeptNames(dc.epoch, now)
		}
		dc.mu.Unlock()
		return names
	}
	defer dc.mu.Unlock()
	dc.at = now
	names, err := s.readDeptNames()
	if err != nil {
		s.log.Warn("department display names", "err", err)
		return map[string]string{}
	}
	dc.names, dc.gen = names, namesGen(names)
	return names
}

// refreshDeptNames reads the table in the background and keeps it, unless
// it was forgotten meanwhile (the next call then reads it afresh). The table
// is dated when the refresh began (now, taken by the caller): the goroutine
// does not read the server's clock, which tests move from their own goroutine.
func (s *server) refreshDeptNames(epoch uint64, now time.Time) {
	names, err := s.readDeptNames()
	dc := &s.deptNames
	dc.mu.Lock()
	defer dc.mu.Unlock()
	dc.refreshing = false
	if dc.epoch != epoch {
		return
	}
	dc.at = now
	if err != nil {
		s.log.Warn("department display names", "err", err)
		return
	}
	dc.names, dc.gen = names, namesGen(names)
}

// readDeptNames reads the display names from the department records.
func (s *server) readDeptNames() (map[string]string, error) {
	if s.files == nil {
		return map[string]string{}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), deptNamesTimeout)
	defer cancel()
	ds, err := s.files.Departments(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(ds))
	for _, d := range ds {
		if shown := d.Shown(); shown != d.Name {
			names[d.Name] = shown
		}
	}
	return names, nil
}

// namesGen is a short hash of a display-name table.
func namesGen(names map[string]string) string {
	ids := slices.Sorted(maps.Keys(names))
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id + "\x00" + names[id] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// deptNamesGen names the current display-name table: cached pages that
// show department names are keyed by it, so a rename renders them again.
func (s *server) deptNamesGen() string {
	s.deptNameTable()
	s.deptNames.mu.Lock()
	defer s.deptNames.mu.Unlock()
	return s.deptNames.gen
}

// deptShown is the name department id is shown by: its display name after
// a rename, else the id itself. Templates call it as deptName.
func (s *server) deptShown(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := s.deptNameTable()[id]; ok {
		return n
	}
	return id
}

// forgetDeptNames drops the table after a rename or merge in this process.
func (s *server) forgetDeptNames() {
	s.deptNames.mu.Lock()
	s.deptNames.names = nil
	s.deptNames.epoch++
	s.deptNames.mu.Unlock()
}

// templateFuncs are the template funcs that need the server.
func (s *server) templateFuncs() template.FuncMap {
	return template.FuncMap{"deptName": s.deptShown}
}
