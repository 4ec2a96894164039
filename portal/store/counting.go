package store

import (
	"context"
	"io"
	"iter"
	"sync/atomic"
)

// Counts is how many operations a Counting store has passed on, by kind.
// Listed is the number of objects Lists yielded; ListPages counts one S3
// LIST request per started page of MaxListPage keys, which is what a List
// costs against MinIO.
type Counts struct {
	Get, GetRange, Put, Delete, Stat, List, Ping int64
	Listed, ListPages                            int64
}

// MaxListPage is the number of keys one S3 LIST request returns.
const MaxListPage = 1000

// Ops is the number of backend requests the counts stand for: every Get,
// GetRange, Put, Delete and Stat, and every LIST page (an empty List is one
// page). Ping is left out: it is a health check, not page work.
func (c Counts) Ops() int64 {
	return c.Get + c.GetRange + c.Put + c.Delete + c.Stat + c.ListPages
}

// Sub is c minus d, to count what happened between two snapshots.
func (c Counts) Sub(d Counts) Counts {
	return Counts{
		Get: c.Get - d.Get, GetRange: c.GetRange - d.GetRange, Put: c.Put - d.Put,
		Delete: c.Delete - d.Delete, Stat: c.Stat - d.Stat, List: c.List - d.List,
		Ping: c.Ping - d.Ping, Listed: c.Listed - d.Listed, ListPages: c.ListPages - d.ListPages,
	}
}

// CountingStore is a Store that counts the operations it passes on to the
// store it wraps; for tests and benchmarks that bound the store work of a
// page view. It is safe for concurrent use.
type CountingStore struct {
	next                                      Store
	get, getRange, put, del, stat, list, ping atomic.Int64
	listed, listPages                         atomic.Int64
}

var _ Store = (*CountingStore)(nil)

// Counting wraps next in a CountingStore.
func Counting(next Store) *CountingStore { return &CountingStore{next: next} }

// Counts returns a snapshot of the counters.
func (s *CountingStore) Counts() Counts {
	return Counts{
		Get: s.get.Load(), GetRange: s.getRange.Load(), Put: s.put.Load(), Delete: s.del.Load(),
		Stat: s.stat.Load(), List: s.list.Load(), Ping: s.ping.Load(),
		Listed: s.listed.Load(), ListPages: s.listPages.Load(),
	}
}

// Reset sets every counter to zero.
func (s *CountingStore) Reset() {
	for _, c := range []*atomic.Int64{&s.get, &s.getRange, &s.put, &s.del, &s.stat, &s.list, &s.ping, &s.listed, &s.listPages} {
		c.Store(0)
	}
}

// Get counts and passes on.
func (s *CountingStore) Get(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	s.get.Add(1)
	return s.next.Get(ctx, key)
}

// GetRange counts and passes on.
func (s *CountingStore) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	s.getRange.Add(1)
	return s.next.GetRange(ctx, key, offset, length)
}

// Put counts and passes on.
func (s *CountingStore) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	s.put.Add(1)
	return s.next.Put(ctx, key, r, opts)
}

// Delete counts and passes on.
func (s *CountingStore) Delete(ctx context.Context, key string) error {
	s.del.Add(1)
	return s.next.Delete(ctx, key)
}

// Stat counts and passes on.
func (s *CountingStore) Stat(ctx context.Context, key string) (Object, error) {
	s.stat.Add(1)
	return s.next.Stat(ctx, key)
}

// Ping counts and passes on.
func (s *CountingStore) Ping(ctx context.Context) error {
	s.ping.Add(1)
	return s.next.Ping(ctx)
}

// List counts the call, the objects it yields and the LIST pages they
// take (one page for every MaxListPage objects started, at least one).
func (s *CountingStore) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		s.list.Add(1)
		s.listPages.Add(1)
		n := 0
		for obj, err := range s.next.List(ctx, prefix) {
			if err == nil {
				n++
				s.listed.Add(1)
				if n > MaxListPage && n%MaxListPage == 1 {
					s.listPages.Add(1)
				}
			}
			if !yield(obj, err) {
				return
			}
		}
	}
}
