package stories

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRestoreWithinUndoWindow: the author brings back a deleted story and
// comment within ten minutes; later, someone else, or a moderator's removal
// cannot be undone.
func TestRestoreWithinUndoWindow(t *testing.T) {
	s, _ := newService(t, nil)
	clock := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	ctx := context.Background()
	st := create(t, s, alice, "午饭好吃", 0)
	if _, err := s.Delete(ctx, st.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx, st.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("bob restores alice's story: %v", err)
	}
	clock = clock.Add(9 * time.Minute)
	got, err := s.Restore(ctx, st.ID, alice.ID)
	if err != nil || !got.Visible() {
		t.Fatalf("restore within the window: %v %+v", err, got)
	}
	if p, err := s.Feed(ctx, "", 0, 10); err != nil || p.Total != 1 {
		t.Errorf("restored story not in the feed: %+v %v", p, err)
	}
	if _, err := s.Delete(ctx, st.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(UndoWindow + time.Second)
	if _, err := s.Restore(ctx, st.ID, alice.ID); !errors.Is(err, ErrUndoExpired) {
		t.Errorf("restore after the window: %v", err)
	}

	st2 := create(t, s, alice, "第二条", 0)
	c, err := s.AddComment(ctx, st2.ID, bob, "好")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteCommentUndoable(ctx, st2.ID, c.ID, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Comments(ctx, st2.ID); len(cs) != 0 {
		t.Fatalf("deleted comment still listed: %v", cs)
	}
	// The story page reads the digest of the newest comments: read it now,
	// so that it is rebuilt without the deleted comment.
	if p, err := s.CommentsPage(ctx, st2.ID, "", 0); err != nil || p.Total != 0 {
		t.Fatalf("comment page after delete: %+v %v", p, err)
	}
	if _, err := s.RestoreComment(ctx, st2.ID, c.ID, alice.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("alice restores the comment bob deleted: %v", err)
	}
	back, err := s.RestoreComment(ctx, st2.ID, c.ID, bob.ID)
	if err != nil || back.Text != "好" {
		t.Fatalf("restore comment: %v %+v", err, back)
	}
	if cs, _ := s.Comments(ctx, st2.ID); len(cs) != 1 || cs[0].ID != c.ID {
		t.Errorf("restored comment not listed: %v", cs)
	}
	if p, err := s.CommentsPage(ctx, st2.ID, "", 0); err != nil || p.Total != 1 || len(p.Comments) != 1 || p.Comments[0].ID != c.ID {
		t.Errorf("restored comment not on the story page: %+v %v", p, err)
	}
	if _, err := s.DeleteCommentUndoable(ctx, st2.ID, c.ID, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(UndoWindow + time.Second)
	if _, err := s.RestoreComment(ctx, st2.ID, c.ID, bob.ID); !errors.Is(err, ErrUndoExpired) {
		t.Errorf("restore comment after the window: %v", err)
	}
}
