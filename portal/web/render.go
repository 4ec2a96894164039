package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
)

// Page template names. Each page file defines "content"; the
// layout ("layout") wraps them. Partials live in partials/*.html.
const (
	pageHome        = "home"
	pagePacks       = "packs"
	pagePack        = "pack"
	pageDepartment  = "department"
	pageDepartments = "departments"
	pageSearch      = "search"
	pageError       = "error"
	pageLogin       = "login"
	pageDevPick     = "devpick"
	pageSignIn      = "signin"
	pageMe          = "me"
	pageEdit        = "edit"
	pageAudit       = "audit"
	pageFiles       = "files"
	pageFile        = "file"
	pageFileForm    = "fileform"
	pageFileEdit    = "fileedit"
	pageWeChat      = "wechat"

	tmplLayout      = "layout"
	tmplContent     = "content"
	tmplResults     = "results"
	tmplFileResults = "fileresults"
)

var pageNames = []string{pageHome, pagePacks, pagePack, pageDepartment, pageDepartments, pageSearch, pageError,
	pageLogin, pageDevPick, pageSignIn, pageMe, pageEdit, pageAudit,
	pageFiles, pageFile, pageFileForm, pageFileEdit, pageWeChat,
	pageAnnouncements, pageAnnounceForm, pageAdminDepts, pageAdminDept,
	pageSuggestBox, pageSuggestReceipt, pageSuggestFollow, pageSuggestBoxes, pageSuggestInbox, pageSuggestItem,
	pagePolls, pagePollForm, pagePoll, pagePollResults}

// ui is everything parsed from templates/ and assets/: built once at start-up,
// or per request in dev-reload mode.
type ui struct {
	assets  *assetTable
	pages   map[Lang]map[string]*template.Template
	version string // asset and template version, part of page ETags
}

// loadUI hashes the assets and parses every page for every language; extra
// holds the template funcs bound to the server (deptName).
func loadUI(templates, assets fs.FS, extra template.FuncMap) (*ui, error) {
	at, err := loadAssets(assets)
	if err != nil {
		return nil, err
	}
	tv, err := hashFS(templates)
	if err != nil {
		return nil, fmt.Errorf("hash templates: %w", err)
	}
	u := &ui{assets: at, pages: map[Lang]map[string]*template.Template{}, version: at.version + "-" + tv}
	for _, l := range []Lang{LangZh, LangEn} {
		set, err := parsePages(templates, l, at, extra)
		if err != nil {
			return nil, err
		}
		u.pages[l] = set
	}
	return u, nil
}

// parsePages parses layout and partials once, then clones them per page.
func parsePages(fsys fs.FS, l Lang, at *assetTable, extra template.FuncMap) (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcMap(l, at)).Funcs(extra).ParseFS(fsys, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout and partials: %w", err)
	}
	if base.Lookup(tmplLayout) == nil {
		return nil, fmt.Errorf("parse templates: layout.html does not define %q", tmplLayout)
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone layout for %s: %w", name, err)
		}
		if t, err = t.ParseFS(fsys, name+".html"); err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		for _, need := range []string{tmplContent} {
			if t.Lookup(need) == nil {
				return nil, fmt.Errorf("parse page %s: %q not defined", name, need)
			}
		}
		out[name] = t
	}
	return out, nil
}

// funcMap is the set of template funcs, bound to one language and asset table.
func funcMap(l Lang, at *assetTable) template.FuncMap {
	return template.FuncMap{
		"t":     func(key string, args ...any) (string, error) { return translate(l, key, args...) },
		"asset": at.url,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format(messages["date.format"][l.idx()])
		},
		"isodate":     func(t time.Time) string { return t.Format("2006-01-02") },
		"deptURL":     deptURL,
		"actionName":  func(a string) string { return auditActionName(l, a) },
		"kindName":    func(k string) string { return auditKindName(l, k) },
		"tagURL":      func(tag string) string { return "/packs?" + url.Values{"tag": {tag}}.Encode() },
		"hitURL":      hitURL,
		"snippetHTML": snippetHTML,
		"tagChips":    tagChipsHTML,
		"kindBadge":   kindBadge,
		"roleName":    func(r auth.Role) (string, error) { return translate(l, "role."+string(r)) },
		"datetime":    func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
		"has":         func(m map[string]string, k string) bool { _, ok := m[k]; return ok },
		"bytes":       func(n int64) string { return humanBytes(l, n) },
		"typeName":    func(mediaType string) string { return typeName(l, mediaType) },
		"fileURL":     fileURL,
		"fileTagURL":  func(tag string) string { return "/files?" + url.Values{"tag": {tag}}.Encode() },
		"qrSVG":       func(p string) string { return "/qr.svg?" + url.Values{"path": {p}}.Encode() },
		"inc":         func(n int) int { return n + 1 },
		"tabOf":       tabOf,
		"clock":       func(t time.Time) string { return t.Local().Format("15:04:05") },
		"audienceName": func(a string) string {
			if s, err := translate(l, "audience."+a); err == nil {
				return s
			}
			return a
		},
	}
}

// deptURL is the page of one department; the name is path-escaped.
func deptURL(name string) string { return "/departments/" + url.PathEscape(name) }

// hashFS is a short hash over every file name and content in fsys.
func hashFS(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// isFragment reports whether HTMX asked for a partial: HX-Request set and not
// a history restore (which needs the full page).
func isFragment(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// setVary marks HTML responses as varying by HTMX and language inputs.
func setVary(c echo.Context) {
	h := c.Response().Header()
	h.Add("Vary", "HX-Request")
	h.Add("Vary", "Accept-Language")
	h.Add("Vary", "Cookie")
}

// render executes a page into a buffer and only then writes it, so a template
// error never sends half a page. On an HTMX request it renders fragment (a
// template name) instead of the layout.
func (s *server) render(c echo.Context, status int, page, fragment string, data any) error {
	u, err := s.ui()
	if err != nil {
		return err
	}
	t, ok := u.pages[langOf(c)][page]
	if !ok {
		return fmt.Errorf("render: unknown page %q", page)
	}
	name := tmplLayout
	if isFragment(c.Request()) {
		name = fragment
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	setVary(c)
	if h := c.Response().Header(); h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache") // pages carry the user's name and CSRF token
	}
	return c.HTMLBlob(status, buf.Bytes())
}
