package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/textdiff"
)

// mergeChunk is one stretch of the three-way merge page.
type mergeChunk struct {
	Kind   string // same, mine, theirs, both, conflict
	Text   string // the merged text of a non-conflict
	N      int    // the conflict's number (radio group c<N>)
	Base   string
	Mine   string
	Theirs string
	Diff   []textdiff.Op // word diff from their text to mine
}

// mergeView is the data of the conflict page: the user's edit, the version
// saved meanwhile and their common base, stretch by stretch.
type mergeView struct {
	base
	Form          editForm
	TheirsETag    string
	TheirsVersion int
	TheirsBy      string
	Chunks        []mergeChunk
	Conflicts     int
	FieldNotes    []string
}

var chunkKinds = [...]string{"same", "mine", "theirs", "both", "conflict"}

// mergeInputs loads the base body (version f.Base; "" when unknown), their
// front matter and body (version theirs; 0 = the current one) for a merge.
func (s *server) mergeInputs(c echo.Context, f editForm, theirs int) (baseFM, theirFM markdown.FrontMatter, baseBody, theirBody string, theirETag string, theirN int, by string, err error) {
	ctx := c.Request().Context()
	if f.Base > 0 {
		src, _, verr := s.editor.Version(ctx, f.Pack, f.Base)
		if verr != nil && !errors.Is(verr, store.ErrNotFound) {
			err = verr
			return
		}
		if verr == nil {
			if baseFM, baseBody, err = markdown.Split(f.Pack+".md", src); err != nil {
				return
			}
		}
	}
	m, err := s.editor.Info(ctx, f.Pack)
	if err != nil {
		return
	}
	theirN = m.Versions
	if theirs > 0 {
		theirN = theirs
	}
	var src []byte
	if theirN > 0 && m.ID != "" {
		src, _, err = s.editor.Version(ctx, f.Pack, theirN)
	} else {
		src, _, err = s.editor.Source(ctx, f.Pack)
	}
	if err != nil {
		return
	}
	if theirFM, theirBody, err = markdown.Split(f.Pack+".md", src); err != nil {
		return
	}
	for _, e := range m.Log {
		if e.N == theirN {
			by = e.ByName
		}
	}
	_, theirETag, err = s.editor.Source(ctx, f.Pack)
	return
}

// showMerge answers a publish that lost to a version saved meanwhile with
// the three-way merge page (409): nothing of either edit is lost.
func (s *server) showMerge(c echo.Context, f editForm) error {
	_, theirFM, baseBody, theirBody, etag, n, by, err := s.mergeInputs(c, f, 0)
	if err != nil {
		return fmt.Errorf("merge %q: %w", f.Pack, err)
	}
	if _, err := s.saveDraftOf(c, f); err != nil {
		return err
	}
	l := langOf(c)
	v := mergeView{base: s.newBase(c, l, "ed.merge.title", f.Title), Form: f, TheirsETag: etag, TheirsVersion: n, TheirsBy: by}
	v.Nav = "packs"
	for _, ch := range textdiff.Merge3(baseBody, f.Body, theirBody) {
		mc := mergeChunk{Kind: chunkKinds[ch.Kind], Text: ch.Merged(), Base: ch.Base, Mine: ch.Mine, Theirs: ch.Theirs}
		if ch.Kind == textdiff.Conflict {
			mc.N = v.Conflicts
			mc.Diff = textdiff.Diff(ch.Theirs, ch.Mine)
			v.Conflicts++
		}
		v.Chunks = append(v.Chunks, mc)
	}
	if strings.TrimSpace(theirFM.Title) != strings.TrimSpace(f.Title) {
		v.FieldNotes = append(v.FieldNotes, mustT(l, "ed.merge.field", mustT(l, "ed.title"), theirFM.Title))
	}
	if theirFM.Department != f.Dept {
		v.FieldNotes = append(v.FieldNotes, mustT(l, "ed.merge.field", mustT(l, "ed.dept"), theirFM.Department))
	}
	return s.render(c, http.StatusConflict, pageMerge, tmplContent, v)
}

// mergeField is a three-way merge of one field: a side that changed it wins;
// when both did, mine.
func mergeField(base, mine, theirs string) string {
	if mine == base {
		return theirs
	}
	return mine
}

// finishMerge is the merge page's submit: the chosen side of every conflict
// (c<N> = mine, theirs or both) joins the stretches merged automatically, and
// the result goes back into the editor over their version, to check and publish.
func (s *server) finishMerge(c echo.Context, f editForm) error {
	theirs, _ := strconv.Atoi(c.FormValue("theirsv"))
	baseFM, theirFM, baseBody, theirBody, etag, n, _, err := s.mergeInputs(c, f, theirs)
	if err != nil {
		return fmt.Errorf("merge %q: %w", f.Pack, err)
	}
	chunks := textdiff.Merge3(baseBody, f.Body, theirBody)
	var choices []textdiff.Choice
	for i := range textdiff.Conflicts(chunks) {
		switch c.FormValue("c" + strconv.Itoa(i)) {
		case "theirs":
			choices = append(choices, textdiff.TakeTheirs)
		case "both":
			choices = append(choices, textdiff.TakeBoth)
		default:
			choices = append(choices, textdiff.TakeMine)
		}
	}
	f.Body = textdiff.Resolve(chunks, choices)
	f.Title = mergeField(baseFM.Title, strings.TrimSpace(f.Title), theirFM.Title)
	f.Summary = mergeField(baseFM.Summary, strings.TrimSpace(f.Summary), theirFM.Summary)
	f.Dept = mergeField(baseFM.Department, f.Dept, theirFM.Department)
	f.Tags = mergeField(strings.Join(baseFM.Tags, "，"), strings.Join(splitList(f.Tags), "，"), strings.Join(theirFM.Tags, "，"))
	if strings.Join(f.Audience, ",") == strings.Join(baseFM.Audience, ",") {
		f.Audience = theirFM.Audience
	}
	// f.ETag is their version's, as the merge page showed it: should the pack
	// have moved on again since, publishing merges once more.
	if f.ETag == "" {
		f.ETag = etag
	}
	f.Base = n
	if _, err := s.saveDraftOf(c, f); err != nil {
		return err
	}
	v := s.newEditView(c, f)
	v.HasDraft = true
	v.Notice = mustT(v.Lang, "ed.merge.done")
	v.Preview = s.renderPreview(v.Lang, f, v.ImageBase)
	return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
}
