package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// counterRetries is how often CountDownload retries a lost conditional write.
const counterRetries = 3

type counter struct {
	Count int64 `json:"count"`
}

func downloadsDir(id string) string { return fileDir(id) + "downloads/" }

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
	var err error
	for attempt := 0; attempt <= counterRetries; attempt++ {
		if attempt > 0 {
			// Back off a little, at random, so racing processes spread out.
			select {
			case <-ctx.Done():
				s.log.Debug("download not counted", "file", id, "err", ctx.Err())
				return
			case <-time.After(time.Duration(1+rand.IntN(5*attempt)) * time.Millisecond):
			}
		}
		if err = s.increment(ctx, key); !errors.Is(err, store.ErrPrecondition) {
			break
		}
	}
	if err != nil {
		s.log.Debug("download not counted", "file", id, "err", err)
	}
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

// Downloads returns the file's download count over all days. A missing file
// is store.ErrNotFound.
func (s *Service) Downloads(ctx context.Context, id string) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if _, err := s.store.Stat(ctx, metaKey(id)); err != nil {
		return 0, fmt.Errorf("downloads of file %q: %w", id, err)
	}
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
