package bleveindex

import (
	"context"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// located is where the document ids[i] is in a reader: its internal id
// and, on a scorch snapshot, its segment and number in it.
type located struct {
	i   int
	iid bindex.IndexInternalID
	seg *scorch.SegmentSnapshot // nil when r is not a scorch snapshot
	num uint64
}

// locate finds the documents ids in r; a document that is not there is
// left out. On a scorch snapshot it looks each id up in each segment's id
// dictionary, reusing one postings list per segment, where
// IndexReader.InternalID opens a term reader over every segment per id
// (which cost more than the facet values it was for).
func locate(r bindex.IndexReader, ids []string) ([]located, error) {
	docs := make([]located, 0, len(ids))
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		for i, id := range ids {
			iid, err := r.InternalID(id)
			if err != nil {
				return nil, fmt.Errorf("id %s: %w", id, err)
			}
			if iid != nil {
				docs = append(docs, located{i: i, iid: iid})
			}
		}
		return docs, nil
	}
	left := make([]int, len(ids)) // the i not found yet
	for i := range left {
		left[i] = i
	}
	// A snapshot numbers its documents segment after segment: a
	// document's internal id is the sizes of the segments before its own
	// plus its number in its segment (IndexSnapshot.offsets).
	var offset uint64
	for _, ss := range snap.Segments() {
		if len(left) == 0 {
			break
		}
		seg := ss.Segment()
		dict, err := seg.Dictionary("_id")
		if err != nil {
			return nil, fmt.Errorf("id dictionary: %w", err)
		}
		deleted := ss.Deleted()
		pl, err := dict.PostingsList(nil, deleted, nil) // empty, to reuse
		if err != nil {
			return nil, fmt.Errorf("id postings: %w", err)
		}
		it := pl.Iterator(false, false, false, nil)
		kept := left[:0]
		for _, i := range left {
			if pl, err = dict.PostingsList([]byte(ids[i]), deleted, pl); err != nil {
				return nil, fmt.Errorf("id %s: %w", ids[i], err)
			}
			it = pl.Iterator(false, false, false, it)
			p, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("id %s: %w", ids[i], err)
			}
			if p == nil {
				kept = append(kept, i)
				continue
			}
			docs = append(docs, located{i: i, iid: bindex.NewIndexInternalID(nil, offset+p.Number()), seg: ss, num: p.Number()})
		}
		left = kept
		offset += seg.Count()
	}
	return docs, nil
}

// storedFields reads the stored fields of the documents ids, by id (a
// document that is gone is left out). On a scorch snapshot each value is
// copied once out of the document's stored chunk; a search for the ids
// with Fields builds a whole bleve document per hit (every stored field,
// copied twice) after looking each id up again.
func (x *Index) storedFields(ctx context.Context, ids, fields []string) (out map[string]map[string]interface{}, err error) {
	out = make(map[string]map[string]interface{}, len(ids))
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if _, ok := r.(*scorch.IndexSnapshot); !ok {
		req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
		req.Score = "none"
		req.Fields = fields
		res, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			out[h.ID] = h.Fields
		}
		return out, nil
	}
	docs, err := locate(r, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := make(map[string]interface{}, len(fields))
		err := d.seg.VisitDocument(d.num, func(field string, typ byte, value []byte, _ []uint64) bool {
			if typ == 't' && slices.Contains(fields, field) {
				f[field] = string(value)
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("stored fields of %s: %w", ids[d.i], err)
		}
		out[ids[d.i]] = f
	}
	return out, nil
}
