package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jinnang/jinnang/portal/index/lang"
	"github.com/jinnang/jinnang/portal/store"
)

const (
	synonymsKey = "search/synonyms.txt"
	// maxSynonymsBytes bounds the synonym list.
	maxSynonymsBytes = 256 << 10
)

// ErrSynonyms means a synonym list could not be parsed; the message names
// the line.
var ErrSynonyms = errors.New("search: invalid synonym list")

// Synonyms returns the synonym list as stored (one group per line) and its
// ETag; "" and "" when there is none yet.
func (s *Service) Synonyms(ctx context.Context) (text, etag string, err error) {
	rc, obj, err := s.store.Get(ctx, synonymsKey)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read synonyms: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSynonymsBytes+1))
	if err != nil {
		return "", "", fmt.Errorf("read synonyms: %w", err)
	}
	if len(b) > maxSynonymsBytes {
		return "", "", fmt.Errorf("read synonyms: larger than %d bytes", maxSynonymsBytes)
	}
	return string(b), obj.ETag, nil
}

// SaveSynonyms checks text (ErrSynonyms with the line at fault), stores it
// over version ifMatch ("" when there is no list yet; store.ErrPrecondition
// when someone saved in between) and applies it to the index.
func (s *Service) SaveSynonyms(ctx context.Context, text, ifMatch string) error {
	if len(text) > maxSynonymsBytes {
		return fmt.Errorf("%w: larger than %d bytes", ErrSynonyms, maxSynonymsBytes)
	}
	syn, err := lang.ParseSynonyms(text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSynonyms, err)
	}
	opts := store.PutOptions{ContentType: "text/plain; charset=utf-8", Size: int64(len(text))}
	if ifMatch == "" {
		opts.IfNoneMatch = true
	} else {
		opts.IfMatch = ifMatch
	}
	if _, err := s.store.Put(ctx, synonymsKey, bytes.NewReader([]byte(text)), opts); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("%w (the list was deleted)", store.ErrPrecondition)
		}
		return fmt.Errorf("save synonyms: %w", err)
	}
	if err := s.index.SetSynonyms(ctx, syn.Groups()); err != nil {
		return fmt.Errorf("apply synonyms: %w", err)
	}
	return nil
}

// SeedSynonyms stores text as the synonym list when the store has none
// (the first start); an existing list is left alone.
func (s *Service) SeedSynonyms(ctx context.Context, text string) error {
	if _, err := lang.ParseSynonyms(text); err != nil {
		return fmt.Errorf("seed synonyms: %w", err)
	}
	_, err := s.store.Put(ctx, synonymsKey, bytes.NewReader([]byte(text)), store.PutOptions{
		ContentType: "text/plain; charset=utf-8", Size: int64(len(text)), IfNoneMatch: true,
	})
	if err != nil && !errors.Is(err, store.ErrPrecondition) {
		return fmt.Errorf("seed synonyms: %w", err)
	}
	return nil
}

// ApplySynonyms gives the index the stored list (none when there is no
// list). Run at start-up and now and then, so a list saved through another
// portal process reaches this one's index too.
func (s *Service) ApplySynonyms(ctx context.Context) error {
	text, _, err := s.Synonyms(ctx)
	if err != nil {
		return err
	}
	syn, err := lang.ParseSynonyms(text)
	if err != nil {
		// Edited in the bucket by hand: keep what the index has.
		return fmt.Errorf("%w: %s: %w", ErrSynonyms, synonymsKey, err)
	}
	if err := s.index.SetSynonyms(ctx, syn.Groups()); err != nil {
		return fmt.Errorf("apply synonyms: %w", err)
	}
	return nil
}
