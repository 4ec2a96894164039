package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// deptMover is implemented by a Files that can merge and rename departments.
type deptMover interface {
	MoveDepartment(ctx context.Context, from, to string) (int, error)
	RenameDepartment(ctx context.Context, name, display string) (*files.Department, error)
}

func init() {
	addMessages(map[string][2]string{
		"admindept.rename":        {"修改显示名称", "Rename"},
		"admindept.rename.help":   {"只改页面上显示的名称；锦囊、文件、公告和角色仍按原部门标识「%s」关联。留空恢复原名。", "Changes only the name shown; packs, files, announcements and roles stay linked to the id “%s”. Leave empty to show the id again."},
		"admindept.rename.yes":    {"保存名称", "Save name"},
		"admindept.rename.bad":    {"名称需为 1 到 %d 个字符，不能含“/”或控制字符。", "Give 1 to %d characters without “/” or control characters."},
		"admindept.merge":         {"合并到另一个部门", "Merge into another department"},
		"admindept.merge.into":    {"合并到", "Merge into"},
		"admindept.merge.confirm": {"「%s」的锦囊、文件、公告对象、投票、一线上报、群机器人、成员和部门负责人都会移到所选部门，然后删除「%s」。此操作不能撤销。", "The packs, files, announcement audiences, polls, front-line reports, group robot, members and editors of “%s” move to the chosen department, then “%s” is deleted. This cannot be undone."},
		"admindept.merge.yes":     {"合并", "Merge"},
		"admindept.merge.pick":    {"请选择另一个部门", "Pick another department"},
		"admindept.merge.partial": {"合并没有完成（%s）；可以再点一次“合并”继续。", "The merge did not finish (%s); press Merge again to continue."},
	})
	auditActionNames["department.merge"] = [2]string{"合并部门", "Merged departments"}
	auditActionNames["department.rename"] = [2]string{"修改部门显示名称", "Renamed a department"}
}

// adminDeptMergeRoutes registers the merge and rename forms.
func (s *server) adminDeptMergeRoutes(write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if _, ok := s.files.(deptMover); !ok || s.files == nil {
		return
	}
	write("/admin/departments/:name/merge", s.mergeDepartment, requireAdmin)
	write("/admin/departments/:name/rename", s.renameDepartment, requireAdmin)
}

// addMergeForms fills the merge and rename forms of the edit page.
func (s *server) addMergeForms(c echo.Context, v *adminDeptView) error {
	m, ok := s.files.(deptMover)
	if !ok || m == nil {
		return nil
	}
	base := "/admin/departments/" + url.PathEscape(v.Name)
	v.MergeURL, v.RenameURL = base+"/merge", base+"/rename"
	ds, err := s.files.Departments(c.Request().Context())
	if err != nil {
		return fmt.Errorf("merge form: departments: %w", err)
	}
	for _, d := range ds {
		if d.Name == v.Name {
			v.Display = d.Display
			continue
		}
		v.MergeInto = append(v.MergeInto, d.Name)
	}
	return nil
}

// mergeDepartment is POST /admin/departments/:name/merge, into=B: moves the
// packs (a new version with department B each), the department files, the
// announcement audiences and the granted editors of A to B, reindexing what
// moved, then folds A's record into B's and deletes it. Each step can be
// run again, so a merge cut short is finished by posting it again.
func (s *server) mergeDepartment(c echo.Context) error {
	u := userOf(c)
	from, err := deptParam(c)
	if err != nil {
		return err
	}
	into := strings.TrimSpace(c.FormValue("into"))
	refuse := func(status int, msg string) error {
		v, err := s.loadDeptForEdit(c)
		if err != nil {
			return err
		}
		v.Errors["merge"] = msg
		return s.render(c, status, pageAdminDept, tmplContent, v)
	}
	if into == "" || into == from || !files.ValidNewDepartmentName(into) || auth.CheckGrantDepartment(into) != nil {
		return refuse(http.StatusUnprocessableEntity, mustT(langOf(c), "admindept.merge.pick"))
	}
	if _, err := s.files.Department(c.Request().Context(), from); err != nil {
		return fmt.Errorf("merge department %q: %w", from, err)
	}
	counts, err := s.moveDepartment(c, from, into)
	if err != nil {
		s.log.Error("department merge cut short", "from", from, "into", into, "err", err)
		return refuse(http.StatusInternalServerError, mustT(langOf(c), "admindept.merge.partial", counts))
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.merge", Target: "department:" + from, Detail: "into:" + into + " " + counts})
	return c.Redirect(http.StatusSeeOther, "/admin/departments?"+url.Values{"merged": {into}}.Encode())
}

// moveDepartment runs the steps of a merge; the string counts what moved.
func (s *server) moveDepartment(c echo.Context, from, into string) (string, error) {
	ctx := c.Request().Context()
	var nPacks, nAnn, nFiles int
	counts := func() string {
		return "packs=" + strconv.Itoa(nPacks) + " announcements=" + strconv.Itoa(nAnn) + " files=" + strconv.Itoa(nFiles)
	}
	var err error
	if nPacks, err = s.movePacks(c, from, into); err != nil {
		return counts(), err
	}
	if nAnn, err = s.moveAnnouncements(c, from, into); err != nil {
		return counts(), err
	}
	if s.auth.Grants != nil {
		err = s.auth.Grants.Update(ctx, func(g *auth.GrantSet) error {
			if ids := g.Editors[from]; len(ids) > 0 {
				g.Editors[into] = append(g.Editors[into], ids...)
				delete(g.Editors, from)
			}
			if i := slices.Index(g.AnnounceAll, from); i >= 0 {
				g.AnnounceAll[i] = into
			}
			return nil
		})
		if err != nil {
			return counts(), fmt.Errorf("merge: roles: %w", err)
		}
	}
	rest, err := s.moveDepartmentRest(ctx, from, into) // admindeptmerge_rest.go
	if err != nil {
		return counts() + rest, err
	}
	nFiles, err = s.files.(deptMover).MoveDepartment(ctx, from, into)
	s.forgetDeptNames()
	if err != nil {
		return counts() + rest, fmt.Errorf("merge: files: %w", err)
	}
	return counts() + rest, nil
}

// movePacks publishes a new version of every pack of from with department
// into (the index follows the publish).
func (s *server) movePacks(c echo.Context, from, into string) (int, error) {
	if s.editor == nil {
		return 0, nil
	}
	ctx, u := c.Request().Context(), userOf(c)
	var slugs []string
	for off := 0; ; off += 100 {
		res, err := s.packs.Search(ctx, index.Query{Department: from, Offset: off, Limit: 100})
		if err != nil {
			return 0, fmt.Errorf("merge: packs of %s: %w", from, err)
		}
		for _, h := range res.Hits {
			if slug, ok := strings.CutPrefix(h.Doc.ID, packs.Kind+"_"); ok {
				slugs = append(slugs, slug)
			}
		}
		if len(res.Hits) < 100 {
			break
		}
	}
	n := 0
	for _, slug := range slugs {
		src, etag, err := s.editor.Source(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("merge: pack %s: %w", slug, err)
		}
		fm, body, err := markdown.Split(slug+".md", src)
		if err != nil {
			return n, fmt.Errorf("merge: pack %s: %w", slug, err)
		}
		if fm.Department != from {
			continue
		}
		fm.Department = into
		_, _, err = s.editor.Publish(ctx, packs.Publication{Slug: slug, Fields: fm, Body: body, IfMatch: etag,
			Note: "合并部门：" + from + " → " + into, By: u.ID, ByName: u.Name})
		if err != nil {
			return n, fmt.Errorf("merge: pack %s: %w", slug, err)
		}
		n++
	}
	return n, nil
}

// moveAnnouncements replaces from by into in every announcement's audience.
func (s *server) moveAnnouncements(c echo.Context, from, into string) (int, error) {
	if s.announce == nil {
		return 0, nil
	}
	ctx, u := c.Request().Context(), userOf(c)
	res, err := s.announce.List(ctx, announce.Query{Departments: []string{from}})
	if err != nil {
		return 0, fmt.Errorf("merge: announcements: %w", err)
	}
	n := 0
	for _, item := range res.Items {
		a, err := s.announce.Get(ctx, item.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("merge: announcement %s: %w", item.ID, err)
		}
		if !slices.Contains(a.Targets, from) {
			continue
		}
		targets := slices.Clone(a.Targets)
		targets[slices.Index(targets, from)] = into
		slices.Sort(targets)
		in := announce.Input{Title: a.Title, Body: a.Body, Everyone: a.Everyone, Targets: slices.Compact(targets), Pinned: a.Pinned,
			Expires: a.Expires, Confirm: a.Confirm, Comments: a.Comments, By: u.ID, ByName: u.Name}
		if _, err := s.announce.Update(ctx, a.ID, in, a.ETag); err != nil {
			return n, fmt.Errorf("merge: announcement %s: %w", a.ID, err)
		}
		n++
	}
	return n, nil
}

// renameDepartment is POST /admin/departments/:name/rename, display=…: the
// name the department is shown by; its id stays.
func (s *server) renameDepartment(c echo.Context) error {
	u := userOf(c)
	name, err := deptParam(c)
	if err != nil {
		return err
	}
	d, err := s.files.(deptMover).RenameDepartment(c.Request().Context(), name, c.FormValue("display"))
	if errors.Is(err, files.ErrDeptName) {
		v, verr := s.loadDeptForEdit(c)
		if verr != nil {
			return verr
		}
		v.Errors["rename"] = mustT(v.Lang, "admindept.rename.bad", files.MaxDisplayRunes)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDept, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("rename department %q: %w", name, err)
	}
	s.forgetDeptNames()
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.rename", Target: "department:" + name, Detail: d.Shown()})
	return c.Redirect(http.StatusSeeOther, adminDeptEditURL(name))
}
