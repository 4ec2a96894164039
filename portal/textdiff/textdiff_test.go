package textdiff

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/internal/gen"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// apply rebuilds both texts from a diff: the old from Equal+Delete, the new
// from Equal+Insert. Every diff must round-trip.
func apply(ops []Op) (oldText, newText string) {
	var o, n strings.Builder
	for _, op := range ops {
		if op.Kind != Insert {
			o.WriteString(op.Text)
		}
		if op.Kind != Delete {
			n.WriteString(op.Text)
		}
	}
	return o.String(), n.String()
}

// TestGoldenDiffs compares the word diffs of the testdata pairs with their
// golden files: a Chinese rewrite inside a line is shown as words, not as a
// whole changed line.
func TestGoldenDiffs(t *testing.T) {
	for _, name := range []string{"phrase", "lines", "mixed"} {
		t.Run(name, func(t *testing.T) {
			a, b := read(t, name+".old.txt"), read(t, name+".new.txt")
			ops := Diff(a, b)
			if o, n := apply(ops); o != a || n != b {
				t.Fatalf("diff does not round-trip:\n%q\n%q", o, n)
			}
			golden(t, name+".golden", Format(ops))
		})
	}
}

func TestGoldenMerges(t *testing.T) {
	for _, name := range []string{"merge", "conflict"} {
		t.Run(name, func(t *testing.T) {
			chunks := Merge3(read(t, name+".base.txt"), read(t, name+".mine.txt"), read(t, name+".theirs.txt"))
			var b strings.Builder
			kinds := [...]string{"same", "mine", "theirs", "both", "CONFLICT"}
			for _, c := range chunks {
				fmt.Fprintf(&b, "== %s\n", kinds[c.Kind])
				if c.Kind == Conflict {
					fmt.Fprintf(&b, "base:\n%smine:\n%stheirs:\n%s", c.Base, c.Mine, c.Theirs)
				} else {
					b.WriteString(c.Merged())
				}
			}
			fmt.Fprintf(&b, "== resolved (theirs)\n%s", Resolve(chunks, []Choice{TakeTheirs}))
			golden(t, name+".merge.golden", b.String())
		})
	}
}

func TestDiffWordsNotLines(t *testing.T) {
	ops := Diff("每年十月开始编制预算。\n", "每年九月开始编制预算。\n")
	if got := Format(ops); got != "每年[-十-]{+九+}月开始编制预算。\n" {
		t.Errorf("got %q", got)
	}
	// English words stay whole.
	if got := Format(Diff("submit the form today", "submit the forms today")); got != "submit the [-form-]{+forms+} today" {
		t.Errorf("got %q", got)
	}
	if got := Format(Diff("", "新内容\n")); got != "{+新内容\n+}" {
		t.Errorf("insert into empty: %q", got)
	}
	if got := Format(Diff("一样\n", "一样\n")); got != "一样\n" {
		t.Errorf("equal: %q", got)
	}
	del, ins := Stats(Diff("每年十月", "每年九月"))
	if del != 1 || ins != 1 {
		t.Errorf("stats %d %d", del, ins)
	}
}

func TestTokens(t *testing.T) {
	got := strings.Join(Tokens("在OA系统填 expense-form 2026年"), "|")
	if want := "在|OA|系|统|填| |expense|-|form| |2026|年"; got != want {
		t.Errorf("tokens %q, want %q", got, want)
	}
}

// TestDiffRoundTripsGenerated diffs generated Chinese packs against edited
// copies: every diff rebuilds both texts exactly.
func TestDiffRoundTripsGenerated(t *testing.T) {
	g := gen.New(7)
	depts := gen.Departments(5)
	people := g.People(20, depts)
	for i := range 20 {
		a := string(g.Pack(i, depts, people).Markdown())
		r := []rune(a)
		cut := g.Intn(len(r))
		b := string(r[:cut]) + g.Sentence(gen.Topic(i)) + string(r[min(cut+g.Intn(40), len(r)):])
		ops := Diff(a, b)
		if o, n := apply(ops); o != a || n != b {
			t.Fatalf("pack %d: diff does not round-trip", i)
		}
		if !utf8.ValidString(Format(ops)) {
			t.Fatalf("pack %d: a token split a character", i)
		}
	}
}

func TestMergeResolves(t *testing.T) {
	base := "甲\n乙\n丙\n"
	chunks := Merge3(base, "甲一\n乙\n丙\n", "甲\n乙\n丙二\n")
	if Conflicts(chunks) != 0 {
		t.Fatalf("separate edits conflict: %+v", chunks)
	}
	if got := Resolve(chunks, nil); got != "甲一\n乙\n丙二\n" {
		t.Errorf("merged %q", got)
	}
	chunks = Merge3(base, "甲\n乙一\n丙\n", "甲\n乙二\n丙\n")
	if Conflicts(chunks) != 1 {
		t.Fatalf("want one conflict: %+v", chunks)
	}
	for choice, want := range map[Choice]string{TakeMine: "甲\n乙一\n丙\n", TakeTheirs: "甲\n乙二\n丙\n", TakeBoth: "甲\n乙一\n乙二\n丙\n"} {
		if got := Resolve(chunks, []Choice{choice}); got != want {
			t.Errorf("choice %d: %q, want %q", choice, got, want)
		}
	}
	if got := Resolve(Merge3(base, "甲\n乙\n", "甲\n乙\n"), nil); got != "甲\n乙\n" {
		t.Errorf("same deletion: %q", got)
	}
}

func BenchmarkDiff20KB(b *testing.B) {
	g := gen.New(1)
	depts := gen.Departments(5)
	people := g.People(20, depts)
	var sb strings.Builder
	for i := 0; sb.Len() < 20<<10; i++ {
		sb.Write(g.Pack(i, depts, people).Markdown())
	}
	a := sb.String()
	r := []rune(a)
	bText := string(r[:len(r)/3]) + "新增一段说明。" + string(r[len(r)/3+5:len(r)*2/3]) + string(r[len(r)*2/3+10:])
	b.ReportAllocs()
	for b.Loop() {
		Diff(a, bText)
	}
}
