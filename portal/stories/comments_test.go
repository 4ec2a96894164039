package stories

import (
	"context"
	"fmt"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestCommentsPagedNewestFirstWithBoundedReads(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	s, _ := newService(t, cs)
	ctx := context.Background()
	st, err := s.Create(ctx, NewStory{Author: Author{ID: "u1", Name: "甲"}, Text: "很多评论的故事"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 45
	for i := range n {
		cs.Reset()
		if _, err := s.AddComment(ctx, st.ID, Author{ID: "u2", Name: "乙"}, fmt.Sprintf("评论%02d", i)); err != nil {
			t.Fatal(err)
		}
		// The story, the digest (read, write) and the comment: no listing
		// of the comments once the digest exists.
		if c := cs.Counts(); i > 0 && (c.List != 0 || c.Ops() > 6) {
			t.Fatalf("AddComment %d: %+v", i, c)
		}
	}
	cs.Reset()
	p, err := s.CommentsPage(ctx, st.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if c := cs.Counts(); c.Ops() != 1 {
		t.Errorf("first page: %d store ops, want 1 (the digest)", c.Ops())
	}
	var texts []string
	for p := p; ; {
		for _, c := range p.Comments {
			texts = append(texts, c.Text)
		}
		if p.Total != n {
			t.Fatalf("total %d", p.Total)
		}
		if p.Next == "" {
			break
		}
		cs.Reset()
		if p, err = s.CommentsPage(ctx, st.ID, p.Next, 0); err != nil {
			t.Fatal(err)
		}
		if c := cs.Counts(); c.Ops() > OlderCommentsPerPage+1 {
			t.Errorf("older page: %d store ops", c.Ops())
		}
	}
	if len(texts) != n || texts[0] != "评论44" || texts[n-1] != "评论00" {
		t.Fatalf("comments: %d %v", len(texts), texts)
	}
	for i := 1; i < n; i++ {
		if texts[i] >= texts[i-1] {
			t.Fatalf("not newest first at %d: %v", i, texts)
		}
	}
	// Deleting the newest rebuilds the digest from the comments.
	if _, err := s.DeleteComment(ctx, st.ID, p.Comments[len(p.Comments)-1].ID, "u2", false); err != nil {
		t.Fatal(err)
	}
	first, err := s.CommentsPage(ctx, st.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != n-1 || first.Comments[0].Text != "评论44" || len(first.Comments) != CommentsPerPage {
		t.Errorf("after delete of the oldest: total %d, first %q", first.Total, first.Comments[0].Text)
	}
	if _, err := s.DeleteComment(ctx, st.ID, first.Comments[0].ID, "u2", false); err != nil {
		t.Fatal(err)
	}
	if first, err = s.CommentsPage(ctx, st.ID, "", 0); err != nil || first.Comments[0].Text != "评论43" || first.Total != n-2 {
		t.Errorf("after delete of the newest: %+v %v", first.Comments[:1], err)
	}
	// A bad cursor is an invalid request.
	if _, err := s.CommentsPage(ctx, st.ID, "../x", 0); err == nil {
		t.Error("bad cursor accepted")
	}
}
