package extract

import (
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSharedStrings bounds the entries of an XLSX shared-string table.
const maxSharedStrings = 1 << 20

// skipper tracks elements whose content must be ignored: mc:Fallback (a
// second copy of mc:Choice content) and whatever the format adds.
type skipper struct {
	names []string
	depth int
}

// update reports whether tok lies inside a skipped element.
func (s *skipper) update(tok xml.Token) bool {
	switch t := tok.(type) {
	case xml.StartElement:
		if s.depth > 0 || slices.Contains(s.names, t.Name.Local) {
			s.depth++
		}
	case xml.EndElement:
		if s.depth > 0 {
			s.depth--
			return true
		}
	}
	return s.depth > 0
}

// docx extracts the body, then footnotes, endnotes, headers and footers.
func (j *job) docx() error {
	p, err := j.openZip()
	if err != nil {
		return err
	}
	doc, err := p.mainPart("word/document.xml")
	if err != nil {
		return err
	}
	parts := []string{doc}
	rs, err := p.rels(doc)
	if err != nil {
		return err
	}
	for _, kind := range []string{"/footnotes", "/endnotes", "/header", "/footer"} {
		for _, r := range rs {
			if strings.HasSuffix(r.typ, kind) && p.has(r.target) && !slices.Contains(parts, r.target) {
				parts = append(parts, r.target)
			}
		}
	}
	for _, name := range parts {
		if err := p.wordPart(name); err != nil {
			return err
		}
		if j.out.full {
			return nil
		}
		j.out.sep(sepPara)
	}
	return nil
}

// wordPart streams one WordprocessingML part: w:t runs, w:tab, w:br; each
// paragraph on its own line, table cells separated by tabs.
func (p *pkg) wordPart(name string) error {
	out := &p.j.out
	skip := skipper{names: []string{"Fallback", "tabs", "instrText", "delText"}}
	inT, inCell := false, 0
	return p.walk(name, func(tok xml.Token) bool {
		if skip.update(tok) {
			return true
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inT = true
			case "tab":
				out.sep(sepTab)
			case "br", "cr":
				out.sep(sepLine)
			case "noBreakHyphen":
				return out.write("-")
			case "tc":
				inCell++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "p":
				if inCell > 0 {
					out.sep(sepSpace)
				} else {
					out.sep(sepLine)
				}
			case "tc":
				inCell--
				out.sep(sepTab)
			case "tr", "tbl":
				out.sep(sepLine)
			}
		case xml.CharData:
			if inT {
				return out.write(string(t))
			}
		}
		return true
	})
}

// pptx extracts each slide's text and then its notes, in presentation order.
func (j *job) pptx() error {
	p, err := j.openZip()
	if err != nil {
		return err
	}
	pres, err := p.mainPart("ppt/presentation.xml")
	if err != nil {
		return err
	}
	slides, err := p.orderedParts(pres, "sldId", "/slide")
	if err != nil {
		return err
	}
	if len(slides) == 0 {
		slides = numbered(p, "ppt/slides/slide")
	}
	for i, s := range slides {
		if i == j.lim.MaxPages {
			return fmt.Errorf("%w: %d slides, read the first %d", ErrLimit, len(slides), j.lim.MaxPages)
		}
		if err := p.drawingPart(s); err != nil {
			return err
		}
		rs, err := p.rels(s)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if strings.HasSuffix(r.typ, "/notesSlide") && p.has(r.target) {
				j.out.sep(sepLine)
				if err := p.drawingPart(r.target); err != nil {
					return err
				}
			}
		}
		if j.out.full {
			return nil
		}
		j.out.sep(sepPara)
	}
	return nil
}

// drawingPart streams a PresentationML/DrawingML part: a:t runs, one line per
// a:p, table cells separated by tabs. Fields (slide numbers, dates) are skipped.
func (p *pkg) drawingPart(name string) error {
	out := &p.j.out
	skip := skipper{names: []string{"Fallback", "fld"}}
	inT := false
	return p.walk(name, func(tok xml.Token) bool {
		if skip.update(tok) {
			return true
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inT = true
			case "br":
				out.sep(sepLine)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "p", "tr":
				out.sep(sepLine)
			case "tc":
				out.sep(sepTab)
			}
		case xml.CharData:
			if inT {
				return out.write(string(t))
			}
		}
		return true
	})
}

// orderedParts lists the targets of the elements named elem in source (for
// example p:sldId in presentation.xml), in document order, through their
// r:id relationships whose type ends with relType.
func (p *pkg) orderedParts(source, elem, relType string) ([]string, error) {
	named, err := p.orderedNamedParts(source, elem, relType)
	out := make([]string, len(named))
	for i, n := range named {
		out[i] = n.target
	}
	return out, err
}

// namedPart is a part reached from a list element, with the element's name attribute.
type namedPart struct{ name, target string }

// orderedNamedParts is orderedParts keeping each element's name attribute
// (an XLSX sheet's name).
func (p *pkg) orderedNamedParts(source, elem, relType string) ([]namedPart, error) {
	rs, err := p.rels(source)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(rs))
	for _, r := range rs {
		if strings.HasSuffix(r.typ, relType) && p.has(r.target) {
			byID[r.id] = r.target
		}
	}
	var out []namedPart
	err = p.walk(source, func(tok xml.Token) bool {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != elem {
			return true
		}
		for _, a := range se.Attr {
			if a.Name.Local == "id" && a.Name.Space != "" {
				if t, ok := byID[a.Value]; ok {
					out = append(out, namedPart{name: attr(se, "name"), target: t})
				}
			}
		}
		return len(out) <= p.j.lim.MaxEntries
	})
	return out, err
}

// numbered lists prefixN.xml parts in numeric order of N.
func numbered(p *pkg, prefix string) []string {
	type num struct {
		n    int
		name string
	}
	var ns []num
	for name := range p.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(rest, ".xml")); err == nil && strings.HasSuffix(rest, ".xml") {
			ns = append(ns, num{n, name})
		}
	}
	slices.SortFunc(ns, func(a, b num) int { return a.n - b.n })
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.name
	}
	return out
}

// xlsx extracts each worksheet in workbook order: its name as a heading, then
// one line per row with cells separated by tabs.
func (j *job) xlsx() error {
	p, err := j.openZip()
	if err != nil {
		return err
	}
	wb, err := p.mainPart("xl/workbook.xml")
	if err != nil {
		return err
	}
	sst, err := p.sharedStrings(wb)
	if err != nil {
		return err
	}
	sheets, err := p.orderedNamedParts(wb, "sheet", "/worksheet")
	if err != nil {
		return err
	}
	if len(sheets) == 0 {
		for _, s := range numbered(p, "xl/worksheets/sheet") {
			sheets = append(sheets, namedPart{name: path.Base(s), target: s})
		}
	}
	for i, s := range sheets {
		if i == j.lim.MaxPages {
			return fmt.Errorf("%w: %d sheets, read the first %d", ErrLimit, len(sheets), j.lim.MaxPages)
		}
		if !j.out.write(s.name) {
			return nil
		}
		j.out.sep(sepLine)
		if err := p.sheet(s.target, sst); err != nil {
			return err
		}
		if j.out.full {
			return nil
		}
		j.out.sep(sepPara)
	}
	return nil
}

// sharedStrings loads the workbook's shared-string table. The declared count
// is ignored; entries are bounded by maxSharedStrings and the text kept is
// bounded by MaxText runes (later entries are kept empty).
func (p *pkg) sharedStrings(wb string) ([]string, error) {
	rs, err := p.rels(wb)
	if err != nil {
		return nil, err
	}
	name := ""
	for _, r := range rs {
		if strings.HasSuffix(r.typ, "/sharedStrings") && p.has(r.target) {
			name = r.target
		}
	}
	if name == "" {
		return nil, nil
	}
	var (
		sst    []string
		cur    strings.Builder
		inT    bool
		left   = p.j.lim.MaxText
		skip   = skipper{names: []string{"rPh"}}
		tooMny bool
	)
	err = p.walk(name, func(tok xml.Token) bool {
		if skip.update(tok) {
			return true
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inT = t.Name.Local == "t"
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "si":
				if len(sst) == maxSharedStrings {
					tooMny = true
					return false
				}
				s := cur.String()
				cur.Reset()
				if left <= 0 {
					s = ""
				}
				left -= utf8.RuneCountInString(s)
				sst = append(sst, s)
			}
		case xml.CharData:
			if inT && left > 0 {
				cur.Write(t)
			}
		}
		return true
	})
	if err == nil && tooMny {
		err = fmt.Errorf("%w: more than %d shared strings", ErrLimit, maxSharedStrings)
	}
	return sst, err
}

// sheet streams one worksheet's cells.
func (p *pkg) sheet(name string, sst []string) error {
	out := &p.j.out
	var (
		cell    strings.Builder
		typ     string
		collect bool // inside <v> or an inline string's <t>
	)
	return p.walk(name, func(tok xml.Token) bool {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				typ = attr(t, "t")
				cell.Reset()
			case "v", "t":
				collect = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				collect = false
			case "c":
				if v := cellText(typ, cell.String(), sst); v != "" {
					if !out.write(v) {
						return false
					}
					out.sep(sepTab)
				}
			case "row":
				out.sep(sepLine)
			}
		case xml.CharData:
			if collect && cell.Len() < 32<<10 {
				cell.Write(t)
			}
		}
		return true
	})
}

// cellText renders a cell value by its type attribute.
func cellText(typ, v string, sst []string) string {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(sst) {
			return ""
		}
		return sst[i]
	case "b":
		if strings.TrimSpace(v) == "1" {
			return "TRUE"
		}
		return "FALSE"
	}
	return v
}
