package polls

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MaxTallyTexts bounds the text answers a tally keeps per question, so the
// record stays small however many people vote; the rest are counted in
// QuestionResult.TextsOmitted.
const MaxTallyTexts = 300

// tally is the derived record polls/<id>/tally.json: the counts of the
// poll's votes, updated by a conditional write (If-Match) with each vote
// and rebuilt from the votes when it is missing (RebuildTally). It holds
// what Results shows and nothing more: no voter, no vote key, no order of
// voting (text answers are kept sorted by text); a name only in named mode,
// where the votes hold it too.
type tally struct {
	Votes    int            `json:"votes"`
	Counts   [][]int        `json:"counts"`   // per question, per option
	Answered []int          `json:"answered"` // per question
	Texts    [][]TextAnswer `json:"texts"`    // per question, sorted
	Omitted  []int          `json:"omitted"`  // per question: texts beyond MaxTallyTexts
	ByDept   map[string]int `json:"by_dept"`
}

func tallyKey(id string) string { return prefix + id + "/tally.json" }

// fit sizes the slices to p's questions (a tally read back may be short).
func (t *tally) fit(p *Poll) {
	n := len(p.Questions)
	grow := func(s [][]int) [][]int {
		for len(s) < n {
			s = append(s, nil)
		}
		return s
	}
	t.Counts = grow(t.Counts)
	for len(t.Answered) < n {
		t.Answered = append(t.Answered, 0)
	}
	for len(t.Omitted) < n {
		t.Omitted = append(t.Omitted, 0)
	}
	for len(t.Texts) < n {
		t.Texts = append(t.Texts, nil)
	}
	for i, q := range p.Questions {
		for len(t.Counts[i]) < len(q.Options) {
			t.Counts[i] = append(t.Counts[i], 0)
		}
	}
	if t.ByDept == nil {
		t.ByDept = map[string]int{}
	}
}

// add counts one vote.
func (t *tally) add(p *Poll, v *Vote) {
	t.fit(p)
	t.Votes++
	t.ByDept[v.Department]++
	for i, a := range v.Answers {
		if i >= len(p.Questions) {
			break
		}
		switch {
		case p.Questions[i].Kind == Text && a.Text != "":
			t.Answered[i]++
			if len(t.Texts[i]) >= MaxTallyTexts {
				t.Omitted[i]++
				continue
			}
			ta := TextAnswer{Text: a.Text}
			if p.Mode == Named {
				ta.Name = cmp.Or(v.Name, v.User)
			}
			at, _ := slices.BinarySearchFunc(t.Texts[i], ta, compareText)
			t.Texts[i] = slices.Insert(t.Texts[i], at, ta)
		case len(a.Choices) > 0:
			for _, c := range a.Choices {
				if c >= 0 && c < len(t.Counts[i]) {
					t.Counts[i][c]++
				}
			}
			t.Answered[i]++
		}
	}
}

// compareText orders text answers by text, so the order says nothing about
// who voted when.
func compareText(a, b TextAnswer) int {
	return cmp.Or(strings.Compare(a.Text, b.Text), strings.Compare(a.Name, b.Name))
}

// countVote adds a just-stored vote to the tally. A missing tally stays
// missing (the next Results rebuilds it from the votes, this one included);
// a tally that cannot be updated is removed, so that it is rebuilt rather
// than left short. The vote itself is stored either way.
func (s *Service) countVote(ctx context.Context, p *Poll, v *Vote) {
	_, _, err := modify(ctx, s.st, tallyKey(p.ID), func(t *tally) error {
		t.add(p, v)
		return nil
	})
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return
	}
	_ = s.st.Delete(context.WithoutCancel(ctx), tallyKey(p.ID)) // rebuilt on the next read
}

// countVotes tallies every vote of p from the store.
func (s *Service) countVotes(ctx context.Context, p *Poll) (*tally, error) {
	t := &tally{}
	t.fit(p)
	for obj, err := range s.st.List(ctx, votesPrefix(p.ID)) {
		if err != nil {
			return nil, fmt.Errorf("polls: results of %s: %w", p.ID, err)
		}
		var v Vote
		_, err := readJSON(ctx, s.st, obj.Key, &v)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("polls: results of %s: %w", p.ID, err)
		}
		t.add(p, &v)
	}
	return t, nil
}

// RebuildTally recounts p's tally from its votes and replaces the stored
// one (for reindex, or after a crash between a vote and its count).
func (s *Service) RebuildTally(ctx context.Context, p *Poll) error {
	t, err := s.countVotes(ctx, p)
	if err != nil {
		return err
	}
	if _, err := writeJSON(ctx, s.st, tallyKey(p.ID), t, store.PutOptions{}); err != nil {
		return fmt.Errorf("polls: tally of %s: %w", p.ID, err)
	}
	return nil
}

// RebuildTallies recounts the tally of every poll in the catalogue from
// its votes (reindex runs it after RebuildCatalog) and returns how many it
// rebuilt.
func (s *Service) RebuildTallies(ctx context.Context) (int, error) {
	entries, err := s.catalog(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		p, err := s.Get(ctx, e.id)
		if record.Skip(err) {
			continue
		}
		if err == nil {
			err = s.RebuildTally(ctx, p)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
