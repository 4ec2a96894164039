package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
	"github.com/jinnang/jinnang/portal/stories"
)

// meView is the data of the profile page.
type meView struct {
	base
	Profile auth.Profile
	Roles   []auth.Role
	Posts   []postLink
	Saved   bool // the language was just saved
	// Badges (points badge keys) and Warnings (moderators' notes about the
	// user's stories) are empty when those features are off.
	Badges   []string
	Warnings []stories.Warning
	// Knowledge is the editor's drafts and 待核对 count (nil for non-editors
	// or with the editor off).
	Knowledge *meKnowledge
}

// postLink is one of "my posts" with its address.
type postLink struct {
	auth.Post
	URL string
}

// me shows the signed-in user's profile, roles, posts and language choice.
func (s *server) me(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	prof, err := s.auth.Users.Get(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, record.ErrCorrupt):
		prof = &auth.Profile{ID: u.ID} // signed in before profiles existed, or unreadable (reported; rebuilt at the next sign-in)
	case err != nil:
		return fmt.Errorf("profile of %s: %w", u.ID, err)
	}
	// The session holds what the roles file says now; the profile what it said at sign-in.
	prof.Name, prof.Department = u.Name, u.Department
	posts, err := s.auth.Users.Posts(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("posts of %s: %w", u.ID, err)
	}
	v := meView{base: s.newBase(c, langOf(c), "me.title"), Profile: *prof, Roles: u.Roles(), Saved: c.QueryParam("saved") == "1"}
	v.Nav = "me"
	for _, p := range posts {
		v.Posts = append(v.Posts, postLink{Post: p, URL: postURL(p)})
	}
	if v.Badges, v.Warnings, err = s.storyProfile(c, u.ID); err != nil {
		return err
	}
	if v.Knowledge, err = s.meKnowledge(c); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageMe, tmplContent, v)
}

// postURL is where a post lives.
func postURL(p auth.Post) string {
	switch p.Kind {
	case "pack":
		return "/packs/" + url.PathEscape(p.Ref)
	case "file":
		return fileURL(p.Ref)
	case stories.Kind:
		return storyURL(p.Ref)
	}
	return "/"
}

// setLang saves the language preference in the profile, the session and the
// lang cookie, then returns to /me.
func (s *server) setLang(c echo.Context) error {
	l, ok := parseLang(c.FormValue("lang"))
	if !ok {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("language %q", c.FormValue("lang"))}
	}
	ctx := c.Request().Context()
	sess, token := sessionOf(c)
	err := s.auth.Users.SetLang(ctx, sess.User.ID, string(l))
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) { // no profile yet (a session from before profiles), or a broken one: Touch rebuilds it
		if _, err = s.auth.Users.Touch(ctx, sess.User); err == nil {
			err = s.auth.Users.SetLang(ctx, sess.User.ID, string(l))
		}
	}
	if err != nil {
		return fmt.Errorf("set language of %s: %w", sess.User.ID, err)
	}
	updated := *sess
	updated.Lang = string(l)
	if err := s.auth.Sessions.Update(ctx, token, &updated); err != nil {
		return fmt.Errorf("set language in session: %w", err)
	}
	setLangCookie(c, l)
	return c.Redirect(http.StatusSeeOther, "/me?saved=1")
}
