package packs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"github.com/jinnang/jinnang/portal/store"
)

// maxDerivedSlug bounds a slug made from a title (the editor may still type
// up to 100 characters).
const maxDerivedSlug = 60

var pinyinArgs = pinyin.NewArgs() // tone-less syllables: 报销 → bao, xiao

// Slugify derives a pack's address from its title: Han characters become
// their pinyin syllables, Latin letters and digits are kept (lowercased),
// everything else separates words. 差旅报销 OA 指南 → chai-lv-bao-xiao-oa-zhi-nan.
// A title with nothing to keep gives "pack".
func Slugify(title string) string {
	var words []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
		}
	}
	for _, r := range title {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if py := pinyin.SinglePinyin(r, pinyinArgs); len(py) > 0 && py[0] != "" {
				words = append(words, asciiOnly(py[0]))
			}
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			word.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	var b strings.Builder
	for _, w := range words {
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			if b.Len()+1+len(w) > maxDerivedSlug {
				break
			}
			b.WriteByte('-')
		} else if len(w) > maxDerivedSlug {
			w = w[:maxDerivedSlug]
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return "pack"
	}
	return b.String()
}

// asciiOnly keeps a-z of a pinyin syllable (ü is written v, as in 旅 lv).
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'ü':
			b.WriteRune('v')
		}
	}
	return b.String()
}

// SlugTaken reports whether slug already names a pack, an archived or
// deleted pack, or the old address of a renamed one.
func (s *Service) SlugTaken(ctx context.Context, slug string) (bool, error) {
	for _, k := range []string{Key(slug), metaKey(slug), redirectKey(slug), archiveKey(slug), trashKey(slug)} {
		_, err := s.store.Stat(ctx, k)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, store.ErrNotFound):
			return false, fmt.Errorf("check slug %q: %w", slug, err)
		}
	}
	return false, nil
}

// FreeSlug returns base, or base-2, base-3, … the first that is not taken.
func (s *Service) FreeSlug(ctx context.Context, base string) (string, error) {
	if !ValidSlug(base) || base == "new" {
		base = "pack"
	}
	for n := 1; n <= 50; n++ {
		cand := base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			cand = base[:min(len(base), 100-len(suffix))] + suffix
		}
		taken, err := s.SlugTaken(ctx, cand)
		if err != nil {
			return "", err
		}
		if !taken {
			return cand, nil
		}
	}
	return "", fmt.Errorf("no free slug for %q: %w", base, store.ErrPrecondition)
}
