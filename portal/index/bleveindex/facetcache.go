package bleveindex

import (
	"fmt"
	"slices"
	"sync"

	"github.com/jinnang/jinnang/portal/index"
)

// facetCacheSize bounds the documents whose facet values are kept: an
// entry is an id and a few shared strings (about 200 bytes), so 50,000
// documents cost a few MB. When it is full it starts again.
const facetCacheSize = 50_000

// Facet sizes: how many values of each facet a result lists (the most
// frequent; ties by value), as the facet requests of a list ask bleve.
const (
	facetKinds       = 10
	facetDepartments = 50
	facetTags        = 100
)

// docFacets is what one document adds to the facets: its kind, department
// and tags as their doc values hold them.
type docFacets struct {
	kinds, departments, tags []string
}

// facetCache keeps the facet values of documents by external id, so that
// the facets of a text query's window (index.FacetWindow documents) are
// counted from memory for the documents an earlier query has read, where
// bleve decodes a doc-value chunk for each. Internal ids change when
// segments merge, so the key is the external id. A write forgets the
// documents it touches (Reset forgets all) and moves the generation on,
// so values read from a snapshot older than the write are not stored.
type facetCache struct {
	mu     sync.Mutex
	gen    uint64
	max    int
	docs   map[string]docFacets
	intern map[string]string // the few distinct values, shared by entries
}

func newFacetCache(max int) *facetCache {
	return &facetCache{max: max, docs: map[string]docFacets{}, intern: map[string]string{}}
}

// generation is the current generation: read it before opening the reader
// the values are read from.
func (c *facetCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// forget drops the entries of ids (all of them when ids is nil); writers
// call it once their change is visible to searches.
func (c *facetCache) forget(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if ids == nil {
		clear(c.docs)
		clear(c.intern)
		return
	}
	for _, id := range ids {
		delete(c.docs, id)
	}
}

// lookup fills found[i] for each of ids it holds and returns the indexes
// of the rest.
func (c *facetCache) lookup(ids []string, found []docFacets) (missing []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, id := range ids {
		if f, ok := c.docs[id]; ok {
			found[i] = f
		} else {
			missing = append(missing, i)
		}
	}
	return missing
}

// put stores the values read at generation gen; they are dropped when a
// write has come since.
func (c *facetCache) put(gen uint64, ids []string, fs []docFacets) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.docs)+len(ids) > c.max {
		clear(c.docs)
		clear(c.intern)
	}
	in := func(s string) string {
		if v, ok := c.intern[s]; ok {
			return v
		}
		c.intern[s] = s
		return s
	}
	for i, id := range ids {
		f := fs[i]
		for _, vs := range [][]string{f.kinds, f.departments, f.tags} {
			for j, v := range vs {
				vs[j] = in(v)
			}
		}
		c.docs[id] = f
	}
}

// facetsOf counts the kind, department and tag facets of the documents
// ids, as a facet request over a query for exactly them does (see
// addFacets and facetCounts): a document that is gone is not counted.
func (x *Index) facetsOf(ids []string) (map[string][]index.FacetCount, error) {
	fs := make([]docFacets, len(ids))
	present := make([]bool, len(ids))
	gen := x.facets.generation()
	missing := x.facets.lookup(ids, fs)
	for i := range ids {
		present[i] = true
	}
	if len(missing) > 0 {
		read, ok, err := x.readFacets(ids, missing)
		if err != nil {
			return nil, err
		}
		var putIDs []string
		var putFs []docFacets
		for k, i := range missing {
			fs[i], present[i] = read[k], ok[k]
			if ok[k] {
				putIDs = append(putIDs, ids[i])
				putFs = append(putFs, read[k])
			}
		}
		x.facets.put(gen, putIDs, putFs)
	}
	kinds, depts, tags := map[string]int{}, map[string]int{}, map[string]int{}
	for i, f := range fs {
		if !present[i] {
			continue
		}
		for _, v := range f.kinds {
			kinds[v]++
		}
		for _, v := range f.departments {
			depts[v]++
		}
		for _, v := range f.tags {
			tags[v]++
		}
	}
	return map[string][]index.FacetCount{
		"kind":       topFacets(kinds, facetKinds),
		"department": topFacets(depts, facetDepartments),
		"tag":        topFacets(tags, facetTags),
	}, nil
}

// readFacets reads the facet values of ids[missing[k]] from the index's
// doc values, in the order of the internal ids (a doc-value chunk is then
// decoded once for the documents it holds); ok[k] is false for a document
// that is not in the index.
func (x *Index) readFacets(ids []string, missing []int) (fs []docFacets, ok []bool, err error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("facets: %w", cerr)
		}
	}()
	want := make([]string, len(missing))
	for k, i := range missing {
		want[k] = ids[i]
	}
	docs, err := locate(r, want)
	if err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	slices.SortFunc(docs, func(a, b located) int { return a.iid.Compare(b.iid) })
	dvr, err := r.DocValueReader([]string{fKind, fDepartment, fTags})
	if err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	fs, ok = make([]docFacets, len(missing)), make([]bool, len(missing))
	// The documents share a few values: one string each (the lookup of
	// string(term) does not allocate).
	values := map[string]string{}
	value := func(term []byte) string {
		if v, ok := values[string(term)]; ok {
			return v
		}
		v := string(term)
		values[v] = v
		return v
	}
	for _, d := range docs {
		f := &fs[d.i]
		err := dvr.VisitDocValues(d.iid, func(field string, term []byte) {
			switch field {
			case fKind:
				f.kinds = append(f.kinds, value(term))
			case fDepartment:
				f.departments = append(f.departments, value(term))
			case fTags:
				f.tags = append(f.tags, value(term))
			}
		})
		if err != nil {
			return nil, nil, fmt.Errorf("facets: doc values of %s: %w", want[d.i], err)
		}
		ok[d.i] = true
	}
	return fs, ok, nil
}

// topFacets is the n most frequent values of counts, most frequent first
// and ties by value, as bleve's terms facet lists them.
func topFacets(counts map[string]int, n int) []index.FacetCount {
	out := make([]index.FacetCount, 0, len(counts))
	for v, c := range counts {
		out = append(out, index.FacetCount{Value: v, Count: c})
	}
	index.SortFacets(out)
	return out[:min(n, len(out))]
}
