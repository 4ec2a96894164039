package web

import (
	"hash/fnv"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/stories"
)

// avatar is a server-drawn initials avatar: one or two characters of the
// name on a colour that stays the same for the person.
type avatar struct {
	Initials string
	Color    string
}

// avatarColors are dark enough for white text at 4.5:1 or more, in light and
// dark mode alike.
var avatarColors = []string{"#1f6f5c", "#8a3b2b", "#3d5a99", "#6b4c9a", "#7a5a12", "#2f6b2f", "#9a3b6b", "#3f5560"}

// avatarOf derives the avatar of the person with id and display name: the
// last two characters of a Chinese name (王小明 → 小明), the first letters
// of the first two words of another name (Li Na → LN).
func avatarOf(id, name string) avatar {
	h := fnv.New32a()
	h.Write([]byte(id))
	a := avatar{Color: avatarColors[h.Sum32()%uint32(len(avatarColors))]}
	name = strings.TrimSpace(name)
	if name == "" {
		name = id
	}
	r, _ := utf8.DecodeRuneInString(name)
	if unicode.Is(unicode.Han, r) {
		rs := []rune(name)
		if len(rs) > 2 {
			rs = rs[len(rs)-2:]
		}
		a.Initials = string(rs)
		return a
	}
	for _, w := range strings.Fields(name) {
		if r, _ := utf8.DecodeRuneInString(w); r != utf8.RuneError {
			a.Initials += strings.ToUpper(string(r))
		}
		if utf8.RuneCountInString(a.Initials) == 2 {
			break
		}
	}
	return a
}

// relTime says how long ago t was, as WeChat's Moments do: 刚刚, 3分钟前,
// 2小时前, 昨天, 3天前, then the date.
func relTime(l Lang, t, now time.Time) string {
	d := now.Sub(t)
	loc := now.Location()
	day := func(x time.Time) time.Time { y, m, dd := x.In(loc).Date(); return time.Date(y, m, dd, 0, 0, 0, 0, loc) }
	days := int(day(now).Sub(day(t)).Hours()/24 + 0.5)
	switch {
	case d < time.Minute:
		return mustT(l, "time.now")
	case d < time.Hour:
		return mustT(l, "time.minutes", int(d/time.Minute))
	case days == 0:
		return mustT(l, "time.hours", int(d/time.Hour))
	case days == 1:
		return mustT(l, "time.yesterday")
	case days < 7:
		return mustT(l, "time.days", days)
	case t.In(loc).Year() == now.Year():
		return mustT(l, "time.monthday", int(t.In(loc).Month()), t.In(loc).Day())
	}
	return t.In(loc).Format("2006-01-02")
}

// feedCard is a story card of the feed with its social counts.
type feedCard struct {
	storyCard
	Avatar   avatar
	Ago      string
	Likes    int
	Liked    bool
	Comments int
	CSRF     string
}

// newFeedCards makes the cards of one feed page (at most storiesPerPage
// stories) from the stories and their social digests (social[i] is of
// sts[i]): likes, comment counts, avatars, relative times and media, with
// no read beyond a media job still in progress.
func (s *server) newFeedCards(c echo.Context, sts []*stories.Story, social []stories.Social, l Lang, csrf string) ([]feedCard, error) {
	ctx := c.Request().Context()
	u := userOf(c)
	now := s.now()
	out := make([]feedCard, 0, len(sts))
	for i, st := range sts {
		sc := newStoryCard(st)
		if err := s.storyVideo(ctx, l, &sc, st.Author == u.ID, social[i].Media); err != nil {
			return nil, err
		}
		out = append(out, feedCard{storyCard: sc, Avatar: avatarOf(sc.Author, sc.AuthorName), Ago: relTime(l, sc.Created, now), CSRF: csrf,
			Likes: social[i].Likes, Liked: social[i].Liked, Comments: social[i].Comments})
	}
	return out, nil
}

// tmplFeedLike is the like button and counts of a feed card (HTMX swaps it).
const tmplFeedLike = "feedlike"

// afterFeedLike answers a like from the feed: HTMX gets the card's new
// like bar, a plain form post goes back to the card in the feed.
func (s *server) afterFeedLike(c echo.Context, st *stories.Story) error {
	if !isFragment(c.Request()) {
		return c.Redirect(http.StatusSeeOther, "/stories#s-"+st.ID)
	}
	l := langOf(c)
	b := s.newBase(c, l, "stories.title")
	soc, err := s.stories.Social(c.Request().Context(), st.ID, userOf(c).ID)
	if err != nil {
		return err
	}
	cards, err := s.newFeedCards(c, []*stories.Story{st}, []stories.Social{soc}, l, b.CSRF)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageStories, tmplFeedLike, cards[0])
}
