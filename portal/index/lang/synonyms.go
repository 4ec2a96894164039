package lang

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of a synonym list, so an admin's paste cannot turn every query
// into thousands of alternatives.
const (
	MaxGroups    = 2000
	MaxGroupSize = 12
	MaxTermRunes = 32
)

// Synonyms are groups of interchangeable terms (年假, 年休假). The zero
// value and nil have none. A Synonyms is read-only once built.
type Synonyms struct {
	groups [][]string       // as written, trimmed
	byKey  map[string][]int // Key(term) → groups holding it
}

// Key folds a term for synonym lookups: normalized, and a Latin term
// without hyphens, dots and spaces (Wi-Fi, wi fi and WIFI are one key).
func Key(term string) string {
	t := Normalize(strings.TrimSpace(term))
	if strings.IndexFunc(t, IsCJK) < 0 {
		t = keyJoiner.Replace(t)
	}
	return t
}

var keyJoiner = strings.NewReplacer("-", "", ".", "", " ", "", "'", "")

// NewSynonyms builds a Synonyms from groups; empty terms, duplicate terms
// and groups of fewer than two terms are dropped.
func NewSynonyms(groups [][]string) *Synonyms {
	s := &Synonyms{byKey: map[string][]int{}}
	for _, g := range groups {
		var clean []string
		seen := map[string]bool{}
		for _, t := range g {
			t = strings.Join(strings.Fields(t), " ")
			k := Key(t)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			clean = append(clean, t)
		}
		if len(clean) < 2 {
			continue
		}
		for _, t := range clean {
			k := Key(t)
			s.byKey[k] = append(s.byKey[k], len(s.groups))
		}
		s.groups = append(s.groups, clean)
	}
	return s
}

// ParseSynonyms reads one group per line, terms separated by commas (, ，
// 、), slashes or tabs; blank lines and lines starting with # are skipped.
// A line number comes with each error.
func ParseSynonyms(text string) (*Synonyms, error) {
	var groups [][]string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		terms := strings.FieldsFunc(line, func(r rune) bool {
			return r == ',' || r == '，' || r == '、' || r == '/' || r == '\t' || r == '|'
		})
		var g []string
		for _, t := range terms {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if utf8.RuneCountInString(t) > MaxTermRunes {
				return nil, fmt.Errorf("line %d: %q is longer than %d characters", i+1, t, MaxTermRunes)
			}
			g = append(g, t)
		}
		if len(g) == 1 {
			return nil, fmt.Errorf("line %d: %q has no synonym: separate terms with commas", i+1, line)
		}
		if len(g) > MaxGroupSize {
			return nil, fmt.Errorf("line %d: %d terms, at most %d in one group", i+1, len(g), MaxGroupSize)
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
		if len(groups) > MaxGroups {
			return nil, fmt.Errorf("more than %d groups", MaxGroups)
		}
	}
	return NewSynonyms(groups), nil
}

// Groups returns the groups (do not modify them).
func (s *Synonyms) Groups() [][]string {
	if s == nil {
		return nil
	}
	return s.groups
}

// String formats the groups as ParseSynonyms reads them.
func (s *Synonyms) String() string {
	var b strings.Builder
	for _, g := range s.Groups() {
		b.WriteString(strings.Join(g, ", "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Alts returns the other terms of the groups holding term, normalized, in
// group order.
func (s *Synonyms) Alts(term string) []string {
	if s == nil {
		return nil
	}
	k := Key(term)
	var out []string
	for _, gi := range s.byKey[k] {
		for _, t := range s.groups[gi] {
			if a := Key(t); a != k && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Map returns every term with its alternatives (keys normalized), the
// form Meilisearch's synonyms setting takes.
func (s *Synonyms) Map() map[string][]string {
	out := map[string][]string{}
	for k := range s.byKeyOrNil() {
		out[k] = s.Alts(k)
	}
	return out
}

func (s *Synonyms) byKeyOrNil() map[string][]int {
	if s == nil {
		return nil
	}
	return s.byKey
}
