package stories

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// TestFeedFromSocialDigests: a feed page reads one object per story (its
// social digest), whatever the likes and comments; the counts and the
// viewer's likes follow likes, unlikes, comments and moderation, agree
// with a rebuild from the truth, and concurrent likes are all counted.
func TestFeedFromSocialDigests(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	s, _ := newService(t, cs)
	ctx := context.Background()
	var sts []*Story
	for i := range 6 {
		sts = append(sts, create(t, s, alice, fmt.Sprintf("第%d条", i), 0))
	}
	busy := sts[0]
	var wg sync.WaitGroup
	for i := range 30 { // racing likes: each counted once
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Like(ctx, busy.ID, fmt.Sprintf("dev:u%02d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 25 {
		if _, err := s.AddComment(ctx, busy.ID, bob, fmt.Sprintf("评论%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Like(ctx, sts[1].ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlike(ctx, busy.ID, "dev:u07"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Like(ctx, busy.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderate(ctx, sts[2].ID, ActHide, "dev:mod", ""); err != nil {
		t.Fatal(err)
	}

	check := func(when string) {
		t.Helper()
		cs.Reset()
		p, err := s.FeedFor(ctx, "", bob.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if ops := cs.Counts().Ops(); ops > int64(len(sts)) {
			t.Errorf("%s: the feed took %d store operations for %d stories: %+v", when, ops, len(sts), cs.Counts())
		}
		got := map[string]Social{}
		for i, st := range p.Stories {
			got[st.ID] = p.Social[i]
			if st.ID == sts[2].ID {
				t.Errorf("%s: a hidden story is in the feed", when)
			}
		}
		if b := got[busy.ID]; b.Likes != 30 || !b.Liked || b.Comments != 25 || len(b.Recent) != CommentsPerPage || b.Recent[0].Text != "评论24" {
			t.Errorf("%s: busy story %d likes (liked %v), %d comments, %d recent", when, b.Likes, b.Liked, b.Comments, len(b.Recent))
		}
		if o := got[sts[1].ID]; o.Likes != 1 || !o.Liked {
			t.Errorf("%s: second story %+v", when, o)
		}
		if o := got[sts[3].ID]; o.Likes != 0 || o.Liked || o.Comments != 0 {
			t.Errorf("%s: quiet story %+v", when, o)
		}
		// Another viewer: the same counts, not bob's likes.
		q, err := s.FeedFor(ctx, "", "dev:u07", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range q.Stories {
			if q.Social[i].Liked {
				t.Errorf("%s: dev:u07 likes %s", when, st.ID)
			}
		}
		if n, liked, err := s.Likes(ctx, busy.ID, bob.ID); err != nil || n != got[busy.ID].Likes || !liked {
			t.Errorf("%s: the likes themselves: %d %v %v", when, n, liked, err)
		}
	}
	check("kept by the writes")
	// Reindex rebuilds every digest from the truth: the same feed.
	if _, err := s.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check("after reindex")
	// A digest that is gone is rebuilt on the next read.
	if err := cs.Delete(ctx, digestKey(busy.ID)); err != nil {
		t.Fatal(err)
	}
	if soc, err := s.Social(ctx, busy.ID, bob.ID); err != nil || soc.Likes != 30 || !soc.Liked || soc.Comments != 25 {
		t.Errorf("rebuilt digest: %+v %v", soc, err)
	}
	// Media states recorded once are given back.
	if err := s.SetMediaState(ctx, busy.ID, "job1", MediaState{State: "done", Seconds: 3}); err != nil {
		t.Fatal(err)
	}
	if soc, _ := s.Social(ctx, busy.ID, ""); soc.Media["job1"].State != "done" || soc.Likes != 30 {
		t.Errorf("media state: %+v", soc)
	}
}
