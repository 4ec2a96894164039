package polls

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"unicode/utf8"
)

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartLabel  = 220 // width of the label column
	chartBarH   = 28
	chartGap    = 10
	chartPad    = 12
	chartLabelN = 16 // runes of a label before it is cut with "…"
)

// ChartSVG draws the counts of a choice question as a horizontal bar chart:
// one row per option with its label, a bar scaled to the largest count, and
// "count (percent)". It is a standalone SVG document with no script and no
// external references; labels are XML-escaped.
func ChartSVG(q Question, counts []int) []byte {
	total, most := 0, 0
	for _, n := range counts {
		total += n
		most = max(most, n)
	}
	rows := len(q.Options)
	height := chartPad*2 + rows*chartBarH + max(rows-1, 0)*chartGap
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartWidth, height, chartWidth, height, esc(q.Text))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(q.Text))
	barMax := chartWidth - chartLabel - chartPad - 110
	for i, opt := range q.Options {
		n := 0
		if i < len(counts) {
			n = counts[i]
		}
		y := chartPad + i*(chartBarH+chartGap)
		w := 0
		if most > 0 {
			w = n * barMax / most
		}
		pct := 0
		if total > 0 {
			pct = (n*100 + total/2) / total
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" text-anchor="end" dominant-baseline="middle" fill="#333">%s</text>`,
			chartLabel-8, y+chartBarH/2, esc(cut(opt)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="#c0392b"/>`, chartLabel, y, max(w, 1), chartBarH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" dominant-baseline="middle" fill="#333">%d (%d%%)</text>`,
			chartLabel+max(w, 1)+8, y+chartBarH/2, n, pct)
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// cut shortens a label to chartLabelN runes.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= chartLabelN {
		return s
	}
	r := []rune(s)
	return string(r[:chartLabelN-1]) + "…"
}

// esc escapes text for XML character data and attribute values.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer cannot fail
	return b.String()
}
