package suggest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// utf8BOM lets Excel open the UTF-8 CSV with Chinese text intact.
const utf8BOM = "\uFEFF"

// WriteCSV writes suggestions as CSV for Excel: a UTF-8 BOM, a header row,
// then one row per suggestion. boxTitles maps box IDs to titles. There is
// no identity to export; the receipt hash is left out too. Cells that a
// spreadsheet would read as a formula are prefixed with a quote.
func WriteCSV(w io.Writer, items []Suggestion, boxTitles map[string]string) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("suggest: csv: %w", err)
	}
	cw := csv.NewWriter(w)
	rows := [][]string{{"ref", "box", "category", "status", "date", "updated", "suggestion", "thread"}}
	for _, sg := range items {
		var thread []string
		for _, m := range sg.Thread {
			thread = append(thread, fmt.Sprintf("[%s %s] %s", m.Date, m.From, m.Body))
		}
		ref := sg.Ref
		if len(ref) > 12 {
			ref = ref[:12]
		}
		rows = append(rows, []string{ref, boxTitles[sg.Box], sg.Category, string(sg.Status), sg.Date, sg.Updated, sg.Body, strings.Join(thread, "\n")})
	}
	for _, r := range rows {
		for i := range r {
			r[i] = defuse(r[i])
		}
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("suggest: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("suggest: csv: %w", err)
	}
	return nil
}

// defuse keeps a cell from being run as a spreadsheet formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
