package ids

import "testing"

func TestNewValid(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := New()
		if !Valid(id) || seen[id] {
			t.Fatalf("id %q invalid or repeated", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", "ABCDEFGHIJKLMNOP", "abcdefghijklmno1", "abcdefghijklmnop0", "../abcdefghijklm", "abcdefghijklmn/p"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}
