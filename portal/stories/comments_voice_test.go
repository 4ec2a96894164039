package stories

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
)

// TestVoiceCommentPagesAndMediaWanted: a voice comment (empty text) is kept
// in the digest and on older pages with its voice job; stories and comments
// want their media until their undo window has passed.
func TestVoiceCommentPagesAndMediaWanted(t *testing.T) {
	s, _ := newService(t, nil)
	clock := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	ctx := context.Background()
	st := create(t, s, alice, "车间里的声音", 0)
	if _, err := s.AddVoiceComment(ctx, st.ID, bob, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty comment without voice: %v", err)
	}
	if _, err := s.AddVoiceComment(ctx, st.ID, bob, "", "../x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad voice job: %v", err)
	}
	job := ids.New()
	vc, err := s.AddVoiceComment(ctx, st.ID, bob, "", job)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CommentsPage(ctx, st.ID, "", 0)
	if err != nil || len(p.Comments) != 1 || p.Comments[0].Voice != job || p.Comments[0].Text != "" {
		t.Fatalf("first page = %+v, %v; want the voice comment", p, err)
	}
	for i := range CommentsPerPage + 3 {
		if _, err := s.AddComment(ctx, st.ID, alice, fmt.Sprint("评论 ", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The voice comment is now off the first page; the older page has it,
	// read from its own record.
	p, _ = s.CommentsPage(ctx, st.ID, "", 0)
	for _, c := range p.Comments {
		if c.ID == vc.ID {
			t.Fatal("the oldest comment still on the first page")
		}
	}
	found := false
	for cur := p.Next; cur != "" && !found; {
		op, err := s.CommentsPage(ctx, st.ID, cur, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range op.Comments {
			if c.ID == vc.ID {
				found = c.Voice == job
			}
		}
		cur = op.Next
	}
	if !found {
		t.Error("the voice comment is not on an older page with its voice")
	}
	// A rebuilt digest keeps the voice too.
	if err := s.RebuildCommentDigest(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}

	want := func(what string, got bool, err error, w bool) {
		t.Helper()
		if err != nil || got != w {
			t.Errorf("%s: wanted = %v, %v; want %v", what, got, err, w)
		}
	}
	ok, err := s.CommentMediaWanted(ctx, st.ID, vc.ID)
	want("live comment", ok, err, true)
	if _, err := s.DeleteCommentUndoable(ctx, st.ID, vc.ID, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	ok, err = s.CommentMediaWanted(ctx, st.ID, vc.ID)
	want("comment in its undo window", ok, err, true)
	clock = clock.Add(UndoWindow + time.Second)
	ok, err = s.CommentMediaWanted(ctx, st.ID, vc.ID)
	want("comment after its undo window", ok, err, false)
	ok, err = s.CommentMediaWanted(ctx, st.ID, "00000000000000000001-abcdef01")
	want("unknown comment", ok, err, false)

	ok, err = s.StoryMediaWanted(ctx, st.ID)
	want("live story", ok, err, true)
	if _, err := s.Delete(ctx, st.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	ok, err = s.StoryMediaWanted(ctx, st.ID)
	want("story in its undo window", ok, err, true)
	clock = clock.Add(UndoWindow + time.Second)
	ok, err = s.StoryMediaWanted(ctx, st.ID)
	want("story after its undo window", ok, err, false)
	ok, err = s.StoryMediaWanted(ctx, ids.New())
	want("unknown story", ok, err, false)
}
