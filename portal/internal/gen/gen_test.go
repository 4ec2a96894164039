package gen

import (
	"bytes"
	"testing"

	"github.com/jinnang/jinnang/portal/markdown"
)

func TestSameSeedSameCorpus(t *testing.T) {
	depts := Departments(12)
	a, b := New(7), New(7)
	pa, pb := a.People(50, depts), b.People(50, depts)
	for i := range pa {
		if pa[i] != pb[i] {
			t.Fatalf("person %d differs: %+v vs %+v", i, pa[i], pb[i])
		}
	}
	if !bytes.Equal(a.Pack(3, depts, pa).Markdown(), b.Pack(3, depts, pb).Markdown()) {
		t.Fatal("pack 3 differs between two generators with one seed")
	}
	if bytes.Equal(New(8).Pack(3, depts, pa).Markdown(), New(7).Pack(3, depts, pa).Markdown()) {
		t.Fatal("different seeds gave the same pack")
	}
}

func TestPacksParseAsWisdomPacks(t *testing.T) {
	md := markdown.New()
	g := New(1)
	depts := Departments(30)
	if len(depts) != 30 || depts[0] != "人力资源部" {
		t.Fatalf("Departments(30) = %d names starting %q", len(depts), depts[0])
	}
	people := g.People(200, depts)
	for i := range 50 {
		p := g.Pack(i, depts, people)
		doc, err := md.Parse(p.Slug+".md", p.Markdown())
		if err != nil {
			t.Fatalf("pack %d does not parse: %v\n%s", i, err, p.Markdown())
		}
		if doc.Meta.Title != p.Title || doc.Meta.Department != p.Department || len(doc.Meta.Tags) != 2 {
			t.Fatalf("pack %d front matter %+v, want title %q dept %q", i, doc.Meta, p.Title, p.Department)
		}
		if n := len([]rune(doc.Text)); n < 300 || n > 4000 {
			t.Fatalf("pack %d body has %d characters, want 300–3000 (plus headings)", i, n)
		}
	}
}
