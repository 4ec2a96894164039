// Package textdiff compares texts the way a Chinese reader expects: by word,
// not by line. Chinese has no spaces, so every Han character is its own token;
// runs of Latin letters or digits are one token (a word, a number), spaces and
// punctuation are tokens of their own. Diff lines up the lines first and then
// the tokens inside the changed lines, so a 20 KB pack with a few edits costs
// little, and a semantic clean-up folds one-character coincidences inside a
// rewrite into the rewrite so the result reads as "this phrase became that".
//
// Merge3 is the three-way merge used when two editors changed one pack.
package textdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says what an Op does.
type Kind int

// The kinds of Op.
const (
	Equal Kind = iota
	Delete
	Insert
)

// Op is one piece of a diff: text kept, deleted from the old text or
// inserted by the new one.
type Op struct {
	Kind Kind
	Text string
}

// Tokens splits s into diff tokens: each Han (or other CJK) character, each
// run of other letters and digits, each run of spaces or tabs, each newline,
// and each other character.
func Tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		switch {
		case isCJK(r):
		case r == '\n':
		case r == ' ' || r == '\t' || r == '\u3000':
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if r2 != ' ' && r2 != '\t' && r2 != '\u3000' {
					break
				}
				j += n2
			}
		case isWord(r):
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !isWord(r2) || isCJK(r2) {
					break
				}
				j += n2
			}
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)
}

// Lines splits s into lines, each keeping its "\n" (the last may lack one).
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Diff compares a and b word by word and returns the ops that turn a into b.
// Adjacent ops of one kind are joined; a deletion comes before the insertion
// that replaces it.
func Diff(a, b string) []Op {
	var ops []Op
	for _, h := range diffSlices(Lines(a), Lines(b)) {
		switch {
		case h.kind == Equal:
			ops = append(ops, Op{Equal, strings.Join(h.a, "")})
		case len(h.a) > 0 && len(h.b) > 0:
			// A replaced block of lines: compare its words.
			for _, t := range diffSlices(Tokens(strings.Join(h.a, "")), Tokens(strings.Join(h.b, ""))) {
				if t.kind == Equal {
					ops = append(ops, Op{Equal, strings.Join(t.a, "")})
					continue
				}
				if len(t.a) > 0 {
					ops = append(ops, Op{Delete, strings.Join(t.a, "")})
				}
				if len(t.b) > 0 {
					ops = append(ops, Op{Insert, strings.Join(t.b, "")})
				}
			}
		case len(h.a) > 0:
			ops = append(ops, Op{Delete, strings.Join(h.a, "")})
		default:
			ops = append(ops, Op{Insert, strings.Join(h.b, "")})
		}
	}
	return cleanup(ops)
}

// Stats counts the runes a diff deletes and inserts.
func Stats(ops []Op) (deleted, inserted int) {
	for _, op := range ops {
		switch op.Kind {
		case Delete:
			deleted += utf8.RuneCountInString(op.Text)
		case Insert:
			inserted += utf8.RuneCountInString(op.Text)
		}
	}
	return deleted, inserted
}

// hunk is a run of equal elements (a and b hold the same) or a change (a
// deleted, b inserted; either may be empty).
type hunk struct {
	kind Kind // Equal or Delete (a change)
	a, b []string
}

// diffSlices is a Myers diff of two string slices after trimming their common
// prefix and suffix, returned as alternating equal runs and changes.
func diffSlices(a, b []string) []hunk {
	var out []hunk
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	if pre > 0 {
		out = append(out, hunk{kind: Equal, a: a[:pre], b: b[:pre]})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	out = append(out, myers(ma, mb)...)
	if suf > 0 {
		out = append(out, hunk{kind: Equal, a: a[len(a)-suf:], b: b[len(b)-suf:]})
	}
	return out
}

// maxD bounds the edit distance Myers explores; beyond it the rest is one
// replacement (texts that different are better read side by side anyway).
const maxD = 4000

// myers returns the hunks of a shortest edit script from a to b.
func myers(a, b []string) []hunk {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	if len(a) == 0 || len(b) == 0 {
		return []hunk{{kind: Delete, a: a, b: b}}
	}
	// Intern the strings so comparisons are integer compares.
	ids := map[string]int{}
	intern := func(xs []string) []int {
		out := make([]int, len(xs))
		for i, x := range xs {
			id, ok := ids[x]
			if !ok {
				id = len(ids)
				ids[x] = id
			}
			out[i] = id
		}
		return out
	}
	A, B := intern(a), intern(b)
	n, m := len(A), len(B)
	maxSteps := min(n+m, maxD)
	off := maxSteps + 1
	v := make([]int, 2*maxSteps+3)
	var trace [][]int
	found := false
	for d := 0; d <= maxSteps && !found; d++ {
		snap := make([]int, len(v))
		copy(snap, v)
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && A[x] == B[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
	}
	if !found {
		return []hunk{{kind: Delete, a: a, b: b}}
	}
	// Walk back through the trace, collecting moves in reverse.
	var rev []Kind
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		vd := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && vd[off+k-1] < vd[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vd[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, Equal)
			x--
			y--
		}
		if x == prevX {
			rev = append(rev, Insert)
			y--
		} else {
			rev = append(rev, Delete)
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, Equal)
		x--
		y--
	}
	// Replay forwards, grouping into hunks.
	var out []hunk
	i, j := 0, 0
	for r := len(rev) - 1; r >= 0; r-- {
		k := rev[r]
		if k == Equal {
			if len(out) == 0 || out[len(out)-1].kind != Equal {
				out = append(out, hunk{kind: Equal, a: a[i:i], b: b[j:j]})
			}
			h := &out[len(out)-1]
			h.a, h.b = a[i-len(h.a):i+1], b[j-len(h.b):j+1]
			i++
			j++
			continue
		}
		if len(out) == 0 || out[len(out)-1].kind == Equal {
			out = append(out, hunk{kind: Delete, a: a[i:i], b: b[j:j]})
		}
		h := &out[len(out)-1]
		if k == Delete {
			h.a = a[i-len(h.a) : i+1]
			i++
		} else {
			h.b = b[j-len(h.b) : j+1]
			j++
		}
	}
	return out
}

// cleanup joins neighbouring ops of one kind, orders a deletion before its
// insertion, and folds short equalities squeezed between changes into the
// changes when they are shorter than the changes on both sides (so 把报销单交给
// 财务 → 把申请表交给财务 does not read as a patchwork of single characters).
func cleanup(ops []Op) []Op {
	ops = normalize(ops)
	for changed := true; changed; {
		changed = false
		for i := 1; i+1 < len(ops); i++ {
			if ops[i].Kind != Equal || strings.Contains(ops[i].Text, "\n") {
				continue
			}
			eq := utf8.RuneCountInString(ops[i].Text)
			before, after := changeLen(ops[:i], true), changeLen(ops[i+1:], false)
			if eq <= 2 && eq < before && eq < after {
				t := ops[i].Text
				ops = append(ops[:i], append([]Op{{Delete, t}, {Insert, t}}, ops[i+1:]...)...)
				ops = normalize(ops)
				changed = true
				break
			}
		}
	}
	return ops
}

// changeLen is the rune length of the larger side of the change run next to
// a position: the ops at the end of ops (backwards) or at its start.
func changeLen(ops []Op, backwards bool) int {
	del, ins := 0, 0
	for n := 0; n < len(ops); n++ {
		op := ops[n]
		if backwards {
			op = ops[len(ops)-1-n]
		}
		if op.Kind == Equal {
			break
		}
		if op.Kind == Delete {
			del += utf8.RuneCountInString(op.Text)
		} else {
			ins += utf8.RuneCountInString(op.Text)
		}
	}
	return max(del, ins)
}

// normalize merges runs: within each stretch between equalities, all the
// deleted text comes first, then all the inserted text.
func normalize(ops []Op) []Op {
	var out []Op
	var del, ins strings.Builder
	flush := func() {
		if del.Len() > 0 {
			out = append(out, Op{Delete, del.String()})
			del.Reset()
		}
		if ins.Len() > 0 {
			out = append(out, Op{Insert, ins.String()})
			ins.Reset()
		}
	}
	for _, op := range ops {
		if op.Text == "" {
			continue
		}
		switch op.Kind {
		case Delete:
			del.WriteString(op.Text)
		case Insert:
			ins.WriteString(op.Text)
		default:
			flush()
			if n := len(out); n > 0 && out[n-1].Kind == Equal {
				out[n-1].Text += op.Text
			} else {
				out = append(out, op)
			}
		}
	}
	flush()
	return out
}

// Format writes ops with [-deleted-] and {+inserted+} markers (as git diff
// --word-diff does), for tests and plain-text views.
func Format(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		switch op.Kind {
		case Delete:
			b.WriteString("[-" + op.Text + "-]")
		case Insert:
			b.WriteString("{+" + op.Text + "+}")
		default:
			b.WriteString(op.Text)
		}
	}
	return b.String()
}
