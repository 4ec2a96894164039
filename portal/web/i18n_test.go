package web

import (
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestCatalogueComplete(t *testing.T) {
	for key, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("message %q lacks a translation: %q", key, m)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("message %q: zh and en have different verbs: %q", key, m)
		}
	}
}

// TestTemplatesUseKnownKeysAndNoInlineCode scans the real templates: every
// {{t "key"}} is in the catalogue, and nothing inline would break the CSP.
func TestTemplatesUseKnownKeysAndNoInlineCode(t *testing.T) {
	keyRe := regexp.MustCompile(`\{\{-?\s*t\s+"([^"]+)"`)
	bad := map[string]*regexp.Regexp{
		"inline script":  regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`),
		"script w/o src": regexp.MustCompile(`<script(?:\s(?:[^>](?:[^s>]|s[^r>]|sr[^c>]))*)?>`),
		"style element":  regexp.MustCompile(`<style`),
		"style attr":     regexp.MustCompile(`\sstyle\s*=`),
		"event handler":  regexp.MustCompile(`\son[a-z]+\s*=`),
		"hx-on":          regexp.MustCompile(`hx-on`),
		"cdn":            regexp.MustCompile(`(?i)https?://`),
	}
	root := os.DirFS("../../templates")
	n := 0
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		src := string(b)
		for _, m := range keyRe.FindAllStringSubmatch(src, -1) {
			n++
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s: unknown message key %q", p, m[1])
			}
		}
		for what, re := range bad {
			if what == "script w/o src" {
				for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(src, -1) {
					if !strings.Contains(tag, " src=") {
						t.Errorf("%s: script without src: %s", p, tag)
					}
				}
				continue
			}
			if loc := re.FindStringIndex(src); loc != nil {
				t.Errorf("%s: %s at %q", p, what, src[loc[0]:min(loc[1]+20, len(src))])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Errorf("found only %d message keys in templates; scanner broken?", n)
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for h, want := range map[string]Lang{
		"":                         LangZh,
		"en":                       LangEn,
		"en-US,en;q=0.9":           LangEn,
		"zh-CN,zh;q=0.9,en;q=0.8":  LangZh,
		"en;q=0.5, zh-CN":          LangZh,
		"fr-FR, en;q=0.3":          LangEn,
		"fr-FR, de":                LangZh,
		"en;q=0, zh;q=0":           LangZh,
		"zh-TW;q=0.4, en-GB;q=0.6": LangEn,
		"en;q=garbage, zh;q=0.1":   LangZh,
		"EN-us":                    LangEn,
	} {
		if got := fromAcceptLanguage(h); got != want {
			t.Errorf("fromAcceptLanguage(%q) = %s, want %s", h, got, want)
		}
	}
}

func TestLocalURL(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/packs", "/packs?a=1"},
		{"//evil.example/x", "/evil.example/x?a=1"},
		{"/\\evil.example", "/evil.example?a=1"},
		{"", "/?a=1"},
	} {
		if got := localURL(tc.path, url.Values{"a": {"1"}}); got != tc.want {
			t.Errorf("localURL(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
