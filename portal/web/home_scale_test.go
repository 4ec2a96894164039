package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/stories"
)

// TestHomeStoryOfTheDayLeavesWhenHidden: home keeps the story of the day it
// picked (homeStoryTTL) but reads its record each view, so a story hidden
// by a moderator, here straight through the service as another portal
// process would, is off home at once.
func TestHomeStoryOfTheDayLeavesWhenHidden(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(financeEd, "今天的故事")
	rec := ts.send(ts.token, http.MethodGet, "/", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "今日故事") || !strings.Contains(rec.Body.String(), storyURL(st.ID)) {
		t.Fatalf("home lacks the story of the day: %d", rec.Code)
	}
	if _, err := ts.storiesOf().Moderate(context.Background(), st.ID, stories.ActHide, "dev:lina", "广告"); err != nil {
		t.Fatal(err)
	}
	rec = ts.send(ts.token, http.MethodGet, "/", nil, nil)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), storyURL(st.ID)) {
		t.Errorf("home still shows the hidden story of the day: %d", rec.Code)
	}
}
