package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestCountingCountsEachOperation(t *testing.T) {
	ctx := context.Background()
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := store.Counting(disk)
	for i := range 1001 {
		if _, err := st.Put(ctx, fmt.Sprintf("a/%04d", i), strings.NewReader("x"), store.PutOptions{Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	rc, _, err := st.Get(ctx, "a/0001")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := st.Stat(ctx, "a/0002"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "a/0003"); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range st.List(ctx, "a/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	for range st.List(ctx, "a/") {
		break // stops after one object: one page
	}
	for range st.List(ctx, "none/") {
	}
	got := st.Counts()
	want := store.Counts{Get: 1, Put: 1001, Delete: 1, Stat: 1, List: 3, Listed: int64(n) + 1, ListPages: 1 + 1 + 1}
	if n != 1000 {
		t.Fatalf("listed %d objects; want 1000", n)
	}
	if got != want {
		t.Fatalf("counts %+v; want %+v", got, want)
	}
	if ops := got.Ops(); ops != 1+1001+1+1+3 {
		t.Fatalf("Ops() = %d", ops)
	}
	for range st.List(ctx, "a/") {
	}
	if d := st.Counts().Sub(got); d.List != 1 || d.ListPages != 1 || d.Listed != 1000 {
		t.Fatalf("a List of 1,000 keys: %+v; want one call, one page", d)
	}
	if _, err := st.Put(ctx, "a/9999", strings.NewReader("x"), store.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	before := st.Counts()
	for range st.List(ctx, "a/") {
	}
	if d := st.Counts().Sub(before); d.ListPages != 2 || d.Listed != 1001 {
		t.Fatalf("a List of 1,001 keys: %+v; want two pages", d)
	}
	st.Reset()
	if c := st.Counts(); c != (store.Counts{}) {
		t.Fatalf("after Reset: %+v", c)
	}
}
