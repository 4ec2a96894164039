package web

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
)

// TestPackCardImage: a pack page names its signed card as og:image, the
// card is a 1200×630 PNG, a Latin title is drawn on it, and a Chinese title
// (no CJK font configured) falls back to a brand card, not tofu.
func TestPackCardImage(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.CardFont = "/nonexistent/font.ttc" })
	body := do(ts, http.MethodGet, "/packs/expense-claims", nil).Body.String()
	if !strings.Contains(body, `<meta property="og:image" content="/share/packs/expense-claims/card.png?sig=`) {
		t.Errorf("pack page lacks og:image:\n%s", head(body))
	}
	ts.packs.packs = append(ts.packs.packs,
		&packs.Pack{Slug: "latin-a", Meta: markdown.FrontMatter{Title: "Travel expenses in five steps", Department: "财务部"}, ETag: "a"},
		&packs.Pack{Slug: "latin-b", Meta: markdown.FrontMatter{Title: "Parking at the new office", Department: "财务部"}, ETag: "b"})
	card := func(slug string) image.Image {
		rec := do(ts, http.MethodGet, "/packs/"+slug+"/card.png", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("%s card: %d %q", slug, rec.Code, rec.Header().Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s card is no PNG: %v", slug, err)
		}
		if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 630 {
			t.Fatalf("%s card is %v", slug, b)
		}
		return img
	}
	a, b, zh := card("latin-a"), card("latin-b"), card("expense-claims")
	if sameRegion(a, b, image.Rect(80, 180, 1120, 520)) {
		t.Error("two different Latin titles drew the same card")
	}
	if sameRegion(zh, card("expense-claims"), image.Rect(0, 0, 1200, 630)) == false {
		t.Error("the same pack drew two different cards")
	}
	if do(ts, http.MethodGet, "/packs/no-such/card.png", nil).Code != 404 {
		t.Error("card of a missing pack is not 404")
	}
}

func sameRegion(a, b image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// TestStoryAndAnnouncementShareMeta: story and announcement pages carry
// og:title and og:description.
func TestStoryAndAnnouncementShareMeta(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(stranger, "周五下午茶，欢迎新同事")
	body := do(ts, http.MethodGet, "/stories/"+st.ID, nil).Body.String()
	for _, want := range []string{`<meta property="og:title" content="路人 的故事">`, `<meta property="og:description" content="周五下午茶，欢迎新同事">`} {
		if !strings.Contains(body, want) {
			t.Errorf("story page lacks %s", want)
		}
	}
	tok := ts.signIn(admin)
	rec := ts.send(tok, http.MethodPost, "/announcements/new", nil, url.Values{csrfField: {ts.csrf(tok)}, "title": {"报销截止"}, "body": {"本月 25 日前提交。"}, "everyone": {"1"}, "confirm": {"1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("announce: %d\n%s", rec.Code, rec.Body.String())
	}
	list := ts.send(tok, http.MethodGet, "/announcements", nil, nil).Body.String()
	m := regexp.MustCompile(`href="(/announcements/[0-9a-z-]{12,})"`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("no announcement link in the list:\n%s", list)
	}
	body = ts.send(tok, http.MethodGet, m[1], nil, nil).Body.String()
	for _, want := range []string{`<meta property="og:title" content="报销截止">`, `<meta property="og:description" content="本月 25 日前提交。">`} {
		if !strings.Contains(body, want) {
			t.Errorf("announcement page lacks %s:\n%s", want, head(body))
		}
	}
}
