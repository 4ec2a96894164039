package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// counterRetries is how often CountDownload retries a lost conditional write.
const counterRetries = 3

type counter struct {
	Count int64 `json:"count"`
}

func downloadsDir(id string) string { return fileDir(id) + "downloads/" }

// totalKey is the file's running download total, kept beside the day
// counters so a file page reads one object instead of one per day. It is
// created from the day counters on the first view that finds it missing
// (files counted before it existed) and incremented with each download.
func totalKey(id string) string { return fileDir(id) + "downloads-total.json" }

// CountDownload adds one to today's download counter of the file (days in
// the server's local time). It is best effort and never fails the download:
// after a few lost races with other processes, or on any store error, it
// logs at debug level and gives up. Within one process increments do not race.
func (s *Service) CountDownload(ctx context.Context, id string) {
	if !validID(id) {
		return
	}
	mu := s.lock(id)
	mu.Lock()
	defer mu.Unlock()
	if _, err := s.store.Stat(ctx, metaKey(id)); err != nil {
		s.log.Debug("download not counted", "file", id, "err", err)
		return
	}
	key := downloadsDir(id) + time.Now().Format(time.DateOnly) + ".json"
	// Retry backs off a little, at random, so racing processes spread out.
	err := record.Retry(ctx, counterRetries+1, func(int) error {
		return record.ConflictIf(s.increment(ctx, key))
	})
	if err != nil {
		s.log.Debug("download not counted", "file", id, "err", err)
		return
	}
	// The total only when it exists: a missing one is built from the day
	// counters (which include this download) by the next Downloads.
	err = record.Retry(ctx, counterRetries+1, func(int) error {
		return record.ConflictIf(s.incrementExisting(ctx, totalKey(id)))
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Debug("download total not counted", "file", id, "err", err)
	}
}

// incrementExisting adds one to the counter at key if it exists
// (store.ErrNotFound otherwise), with If-Match.
func (s *Service) incrementExisting(ctx context.Context, key string) error {
	c, etag, err := s.readCounter(ctx, key)
	if err != nil {
		return err
	}
	c.Count++
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.store.Put(ctx, key, bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b)), IfMatch: etag})
	return err
}

// increment reads the counter at key and writes it back plus one, on the
// condition that nobody wrote it in between (or created it, when missing).
func (s *Service) increment(ctx context.Context, key string) error {
	c, etag, err := s.readCounter(ctx, key)
	opts := store.PutOptions{ContentType: "application/json", IfMatch: etag}
	switch {
	case errors.Is(err, store.ErrNotFound):
		opts = store.PutOptions{ContentType: "application/json", IfNoneMatch: true}
	case err != nil:
		return err
	}
	c.Count++
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	opts.Size = int64(len(b))
	if _, err := s.store.Put(ctx, key, bytes.NewReader(b), opts); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Deleted between read and write (If-Match on a missing key): a race too.
			return fmt.Errorf("counter %q vanished: %w", key, store.ErrPrecondition)
		}
		return err
	}
	return nil
}

func (s *Service) readCounter(ctx context.Context, key string) (counter, string, error) {
	rc, obj, err := s.store.Get(ctx, key)
	if err != nil {
		return counter{}, "", err
	}
	defer rc.Close()
	b, err := readLimited(rc, 1<<10)
	if err != nil {
		return counter{}, "", fmt.Errorf("read counter %q: %w", key, err)
	}
	var c counter
	if err := json.Unmarshal(b, &c); err != nil {
		return counter{}, "", fmt.Errorf("decode counter %q: %w", key, err)
	}
	return c, obj.ETag, nil
}

// Downloads returns the file's download count over all days: the stored
// total (one read), or the sum of the day counters when there is none yet,
// which it then saves as the total. A missing file is store.ErrNotFound.
func (s *Service) Downloads(ctx context.Context, id string) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if _, err := s.store.Stat(ctx, metaKey(id)); err != nil {
		return 0, fmt.Errorf("downloads of file %q: %w", id, err)
	}
	c, _, err := s.readCounter(ctx, totalKey(id))
	if err == nil {
		return c.Count, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("downloads of file %q: %w", id, err)
	}
	total, err := s.sumDays(ctx, id)
	if err != nil {
		return 0, err
	}
	b, _ := json.Marshal(counter{Count: total})
	if _, err := s.store.Put(ctx, totalKey(id), bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b)), IfNoneMatch: true}); err != nil && !errors.Is(err, store.ErrPrecondition) {
		s.log.Debug("download total not saved", "file", id, "err", err)
	}
	return total, nil
}

// sumDays adds up the day counters of the file (one read per day).
func (s *Service) sumDays(ctx context.Context, id string) (int64, error) {
	var total int64
	for obj, err := range s.store.List(ctx, downloadsDir(id)) {
		if err != nil {
			return 0, fmt.Errorf("downloads of file %q: %w", id, err)
		}
		if !strings.HasSuffix(obj.Key, ".json") {
			continue
		}
		c, _, err := s.readCounter(ctx, obj.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("downloads of file %q: %w", id, err)
		}
		total += c.Count
	}
	return total, nil
}
