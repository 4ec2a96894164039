package announce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jinnang/jinnang/portal/store"
)

// bucketCuts are where an id's digits are cut into the directories of its
// key (see the package comment). The id is the inverted creation time, so
// the first level changes every 10^16 ns (about 116 days: a few dozen names
// over a decade) and each level below holds at most 100 names; the leaf,
// 0.1 s of creation time, holds the announcements made within it. A listing
// that stops after a page therefore reads a handful of small directories
// on the disk store (which reads a whole directory per level) however many
// announcements there are, and one LIST page on S3.
var bucketCuts = []int{4, 6, 8, 10, 12}

// layoutKey marks a store whose announcements are in the bucketed layout.
// Stores made before it keep their announcements under
// announcements/<id>.json; the first process that finds the marker missing
// moves them once (migrateLayout) and then writes it. Ids do not change, so
// links, the pinned record, receipts, comments and the index stay valid.
const layoutKey = "announcements-layout.json"

// migrateWorkers bounds the moves running at once during the migration.
const migrateWorkers = 8

// layout is the per-process state of the migration check.
type layout struct {
	mu   sync.Mutex // held while checking or migrating
	done bool
}

// ensureLayout makes sure the store's announcements are in the bucketed
// layout, migrating them once per store. After the first success in a
// process it costs nothing; before it, one Stat.
func (s *Service) ensureLayout(ctx context.Context) error {
	s.layout.mu.Lock()
	defer s.layout.mu.Unlock()
	if s.layout.done {
		return nil
	}
	_, err := s.store.Stat(ctx, layoutKey)
	if err == nil {
		s.layout.done = true
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("announce: check layout: %w", err)
	}
	n, err := s.migrateLayout(ctx)
	if err != nil {
		return fmt.Errorf("announce: move announcements to the bucketed layout: %w", err)
	}
	b := []byte(`{"layout":"bucketed","cuts":[4,6,8,10,12]}` + "\n")
	_, err = s.store.Put(ctx, layoutKey, bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b)), IfNoneMatch: true})
	if err != nil && !errors.Is(err, store.ErrPrecondition) { // precondition: another process finished first
		return fmt.Errorf("announce: mark layout: %w", err)
	}
	if n > 0 && s.log != nil {
		s.log.Info("announcements moved to the bucketed key layout", "moved", n)
	}
	s.layout.done = true
	return nil
}

// migrateLayout moves every announcement under a flat key to its bucketed
// key (create-once, so a concurrent migration in another process or a
// newer edit under the new key wins) and deletes the flat key. It returns
// how many it moved.
func (s *Service) migrateLayout(ctx context.Context) (int, error) {
	var ids []string
	for obj, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return 0, err
		}
		if id, ok := keyID(obj.Key); ok && obj.Key == flatKey(id) {
			ids = append(ids, id)
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		moved int
		next  = make(chan string)
	)
	for range min(migrateWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				err := s.moveFlat(ctx, id)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if err == nil {
					moved++
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return moved, first
}

// moveFlat copies the announcement under flatKey(id) to key(id) and
// deletes the flat one.
func (s *Service) moveFlat(ctx context.Context, id string) error {
	from := flatKey(id)
	rc, obj, err := s.store.Get(ctx, from)
	if errors.Is(err, store.ErrNotFound) {
		return nil // moved by another process meanwhile
	}
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxObject+1))
	rc.Close()
	if err != nil {
		return err
	}
	ct := obj.ContentType
	if ct == "" {
		ct = "application/json"
	}
	_, err = s.store.Put(ctx, key(id), bytes.NewReader(b), store.PutOptions{ContentType: ct, Size: int64(len(b)), IfNoneMatch: true})
	if err != nil && !errors.Is(err, store.ErrPrecondition) {
		return err
	}
	if err := s.store.Delete(ctx, from); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
