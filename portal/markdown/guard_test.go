package markdown

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestComplexityLimits(t *testing.T) {
	const head = "---\ntitle: t\nauthor: a\n---\n" // the body starts at line 5
	table := func(cols, rows int) string {
		return "|" + strings.Repeat(" a |", cols) + "\n|" + strings.Repeat("---|", cols) + "\n" +
			strings.Repeat("| x |\n", rows)
	}
	tests := []struct {
		name     string
		body     string
		wantLine int // 0: must be accepted
	}{
		{"deep blockquote", "正文\n\n" + strings.Repeat(">", 33) + " 引用\n", 7},
		{"deep quote and list", strings.Repeat("> - ", 17) + "x\n", 5},
		{"32 levels are fine", strings.Repeat(">", 32) + " 引用\n", 0},
		{"thematic breaks are not nesting", strings.Repeat("-", 80) + "\n\n" + strings.Repeat("* ", 10) + "\n", 0},
		{"too many columns", "\n" + table(65, 1), 7},
		{"64 columns are fine", table(64, 10), 0},
		{"too many cells", table(50, 1990) + "\n" + table(50, 20), 2006},
		{"unclosed link destinations", strings.Repeat("[a](", 20000), 5},
		{"unclosed angle destinations", strings.Repeat("[a](<", 20000), 5},
		{"many closed links are fine", strings.Repeat("[链接](https://example.com/a)中文", 3000), 0},
	}
	r := New()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Parse("c.md", []byte(head+tc.body))
			if tc.wantLine == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTooComplex) {
				t.Fatalf("error = %v, want ErrTooComplex", err)
			}
			if want := "c.md:" + strconv.Itoa(tc.wantLine) + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q, want prefix %q", err, want)
			}
		})
	}
}
