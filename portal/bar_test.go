package portal

import (
	"bytes"
	"strings"
	"testing"
)

// TestBarEndsAtTotal: the last frame of a reindex progress bar reads
// total/total, not one short of it.
func TestBarEndsAtTotal(t *testing.T) {
	var buf bytes.Buffer
	p := barProgress(newBar(&buf, "重建索引 reindexing packs"))
	for done := 1; done <= 20; done++ {
		p(done, 20)
	}
	out := buf.String()
	frames := strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' })
	last := ""
	for _, f := range frames {
		if strings.TrimSpace(f) != "" {
			last = f
		}
	}
	if !strings.Contains(last, "20/20") {
		t.Errorf("last frame %q, want 20/20 (output %q)", last, out)
	}
}
