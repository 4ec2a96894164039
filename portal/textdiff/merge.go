package textdiff

import "strings"

// ChunkKind says how a stretch of a three-way merge came out.
type ChunkKind int

// The kinds of Chunk.
const (
	// Same: neither side changed these lines.
	Same ChunkKind = iota
	// Mine: only my side changed them (my lines are taken).
	Mine
	// Theirs: only their side changed them (their lines are taken).
	Theirs
	// Both: both sides made the same change.
	Both
	// Conflict: both sides changed them differently; a person decides.
	Conflict
)

// Chunk is one stretch of a three-way merge, as whole lines of each text.
type Chunk struct {
	Kind               ChunkKind
	Base, Mine, Theirs string
}

// Merged is the text a chunk contributes when nobody has to decide; for a
// Conflict it is my side.
func (c Chunk) Merged() string {
	switch c.Kind {
	case Same:
		return c.Base
	case Theirs:
		return c.Theirs
	}
	return c.Mine
}

// Merge3 merges two edits (mine, theirs) of one base text line by line
// (diff3): stretches only one side changed take that side, identical changes
// are taken once, and stretches both changed differently are conflicts.
func Merge3(base, mine, theirs string) []Chunk {
	bl, ml, tl := Lines(base), Lines(mine), Lines(theirs)
	mm, tm := matches(bl, ml), matches(bl, tl)
	var out []Chunk
	add := func(kind ChunkKind, b, m, t []string) {
		c := Chunk{Kind: kind, Base: strings.Join(b, ""), Mine: strings.Join(m, ""), Theirs: strings.Join(t, "")}
		if n := len(out); n > 0 && out[n-1].Kind == kind && kind != Conflict {
			out[n-1].Base += c.Base
			out[n-1].Mine += c.Mine
			out[n-1].Theirs += c.Theirs
			return
		}
		out = append(out, c)
	}
	i, j, k := 0, 0, 0
	for {
		// The next base line both sides kept, at or after the cursors.
		b := i
		for b < len(bl) && !(mm[b] >= j && tm[b] >= k) {
			b++
		}
		mEnd, tEnd := len(ml), len(tl)
		if b < len(bl) {
			mEnd, tEnd = mm[b], tm[b]
		}
		if b > i || mEnd > j || tEnd > k {
			B, M, T := bl[i:b], ml[j:mEnd], tl[k:tEnd]
			mChanged, tChanged := !equal(B, M), !equal(B, T)
			switch {
			case !mChanged && !tChanged:
				add(Same, B, M, T)
			case !tChanged:
				add(Mine, B, M, T)
			case !mChanged:
				add(Theirs, B, M, T)
			case equal(M, T):
				add(Both, B, M, T)
			default:
				add(Conflict, B, M, T)
			}
		}
		if b >= len(bl) {
			break
		}
		add(Same, bl[b:b+1], ml[mEnd:mEnd+1], tl[tEnd:tEnd+1])
		i, j, k = b+1, mEnd+1, tEnd+1
	}
	return out
}

// Conflicts counts the chunks a person must decide.
func Conflicts(chunks []Chunk) int {
	n := 0
	for _, c := range chunks {
		if c.Kind == Conflict {
			n++
		}
	}
	return n
}

// Choice is how a person resolved one conflict.
type Choice int

// The choices for a conflict.
const (
	TakeMine Choice = iota
	TakeTheirs
	TakeBoth // mine, then theirs
)

// Resolve joins the chunks into one text, resolving the n-th conflict (in
// order, from 0) by choices[n]; a conflict without a choice keeps mine.
func Resolve(chunks []Chunk, choices []Choice) string {
	var b strings.Builder
	n := 0
	for _, c := range chunks {
		if c.Kind != Conflict {
			b.WriteString(c.Merged())
			continue
		}
		ch := TakeMine
		if n < len(choices) {
			ch = choices[n]
		}
		n++
		switch ch {
		case TakeTheirs:
			b.WriteString(c.Theirs)
		case TakeBoth:
			b.WriteString(c.Mine)
			if c.Mine != "" && !strings.HasSuffix(c.Mine, "\n") {
				b.WriteString("\n")
			}
			b.WriteString(c.Theirs)
		default:
			b.WriteString(c.Mine)
		}
	}
	return b.String()
}

// matches maps each line of a that a line diff keeps to its index in b, or -1.
func matches(a, b []string) []int {
	m := make([]int, len(a))
	for i := range m {
		m[i] = -1
	}
	i, j := 0, 0
	for _, h := range diffSlices(a, b) {
		if h.kind == Equal {
			for n := range h.a {
				m[i+n] = j + n
			}
		}
		i += len(h.a)
		j += len(h.b)
	}
	return m
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
