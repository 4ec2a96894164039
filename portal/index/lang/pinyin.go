package lang

import (
	"strings"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// Pinyin returns the pinyin terms of short texts (titles, tags): for each
// word of two or more Han characters, its full pinyin without tones
// (baoxiao) and its initials (bx); for a whole text of up to eight
// characters, the same and every start of its initials (差旅报销流程: clbx). Latin parts are left out.
func Pinyin(texts ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if len(s) >= 2 && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	args := pinyin.NewArgs()
	for _, t := range texts {
		t = Normalize(t)
		for _, p := range Pieces(t) {
			if !p.CJK {
				continue
			}
			words := cutSearch(p.Text)
			if utf8.RuneCountInString(p.Text) <= 8 {
				// The initials of the run's start too: 差旅报销流程 answers clbx.
				_, initials := spell(p.Text, args)
				for n := 2; n < len(initials); n++ {
					add(initials[:n])
				}
				words = append(words, p.Text)
			}
			for _, w := range words {
				if utf8.RuneCountInString(w) < 2 || IsStop(w) {
					continue
				}
				full, initials := spell(w, args)
				add(full)
				add(initials)
			}
		}
	}
	return out
}

// spell returns the full pinyin and the initials of a Han word; characters
// without pinyin are skipped.
func spell(w string, args pinyin.Args) (full, initials string) {
	var f, i strings.Builder
	for _, s := range pinyin.LazyPinyin(w, args) {
		if s == "" {
			continue
		}
		f.WriteString(s)
		i.WriteByte(s[0])
	}
	return f.String(), i.String()
}
