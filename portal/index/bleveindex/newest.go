package bleveindex

import (
	"context"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
)

// newestSmall is the list size up to which a newest-first page sorts every
// match: reading a few thousand date doc values costs less than the extra
// counting searches of a window. A variable so a test can force windows.
var newestSmall = 3000

// newestSpans are the date spans, back from now, that newestPage tries in
// turn, from a minute to about 8 years, each four times the last: a span
// that holds the page holds at most about four times the page's documents
// where they were written at a steady pace, however busy (a migration that
// wrote 50,000 stories in a quarter of an hour included), and counting
// the matches of a span that is too short reads no doc values.
var newestSpans = func() []time.Duration {
	var out []time.Duration
	for d := time.Minute; d < 9*365*24*time.Hour; d *= 4 {
		out = append(out, d)
	}
	return out
}()

// newestPage answers a list page sorted newest first (no text) without
// reading the date of every match: bleve's sort visits the doc values of
// each matching document, so page 20 of 50,000 stories read 50,000 dates
// (75 ms at L) where it needs the newest 200. It counts the matches dated
// within a span back from now and, once a span holds offset+limit of them,
// sorts only that span: every document inside ranks above every one
// outside (dates are the first sort key, and the undated sort last), so the
// page is the one the full sort gives. Lists that are small, or pages no
// span holds, take the full sort. ok is false when the full sort is due.
func (x *Index) newestPage(ctx context.Context, bq query.Query, sortBy, fields []string, offset, limit int) (res *bleve.SearchResult, total int, ok bool, err error) {
	// bq is a list's query (its filters lead, see search), so a span's
	// conjunction is led by whichever of the filters and the date range
	// selects fewer documents.
	count := func(q query.Query) (int, error) {
		req := bleve.NewSearchRequestOptions(q, 0, 0, false)
		req.Score = "none"
		r, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return 0, err
		}
		return int(r.Total), nil
	}
	total, err = count(bq)
	if err != nil || total <= newestSmall || offset+limit > total {
		return nil, total, false, err
	}
	now := time.Now().UTC()
	for _, span := range newestSpans {
		from := now.Add(-span)
		inclusive := true
		dr := query.NewDateRangeInclusiveQuery(from, time.Time{}, &inclusive, nil)
		dr.SetField(fDate)
		within := query.NewConjunctionQuery([]query.Query{bq, dr})
		n, err := count(within)
		if err != nil {
			return nil, total, false, err
		}
		if n < offset+limit {
			continue
		}
		req := bleve.NewSearchRequestOptions(within, limit, offset, false)
		req.Score = "none"
		req.Fields = fields
		req.SortBy(sortBy)
		res, err = x.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, total, false, err
		}
		return res, total, true, nil
	}
	return nil, total, false, nil
}

// searchNewest is a newest-first list page: from a date span when one
// holds it (newestPage), else one full sort.
func (x *Index) searchNewest(ctx context.Context, bq query.Query, sortBy, fields []string, offset, limit int) (index.Result, error) {
	res, total, ok, err := x.newestPage(ctx, bq, sortBy, fields, offset, limit)
	if err != nil {
		return index.Result{}, err
	}
	if !ok {
		return x.searchPage(ctx, bq, sortBy, fields, offset, limit, false, nil)
	}
	out := index.Result{Total: total, Hits: make([]index.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit, err := toHit(h.ID, h.Score, h.Fields, nil)
		if err != nil {
			return index.Result{}, err
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}
