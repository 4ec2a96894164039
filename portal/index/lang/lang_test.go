package lang

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/index"
)

func words(ws []Word) string {
	var parts []string
	for _, w := range ws {
		s := w.Text
		if w.Stop {
			s = "(" + s + ")"
		}
		if len(w.Alts) > 0 {
			s += "=" + strings.Join(w.Alts, "|")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestQuery(t *testing.T) {
	syn := NewSynonyms([][]string{{"年假", "年休假"}, {"五险一金", "社保公积金"}, {"无线网", "wifi", "Wi-Fi"}, {"报销", "报账"}})
	cases := []struct{ in, want string }{
		{"年假怎么算", "年假=年休假 (怎么) 算"},
		{"年假有几天", "年假=年休假 (有) (几天)"},
		{"会议室怎么订", "会议室 (怎么) 订"},
		{"报销要多久到账", "报销=报账 (要) (多久) 到账"},
		{"新人第一天做什么", "新人 第一天 (做) (什么)"},
		{"发票丢了怎么报销", "发票 丢 (了) (怎么) 报销=报账"},
		{"验真", "验真"},
		{"社保公积金怎么交", "社保公积金=五险一金 (怎么) 交"},
		{"How do I claim expenses?", "(how) (do) (i) claim expenses"},
		{"Wi-Fi 密码", "wifi=无线网 密码"},
		{"ＶＰＮ连不上", "vpn 连不 (上)"},
		{"怎么", "怎么"},
		{"", ""},
	}
	for _, c := range cases {
		if got := words(Query(c.in, syn)); got != c.want {
			t.Errorf("Query(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaxWords(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "word%d ", i)
	}
	if got := len(Required(Query(b.String(), nil))); got != MaxWords {
		t.Errorf("%d required words, want %d", got, MaxWords)
	}
}

func TestGramsAndWords(t *testing.T) {
	if got, want := Grams(Normalize("报销单 Wi-Fi")), []string{"报", "报销", "销", "销单", "单", "wifi", "wi", "fi"}; !slices.Equal(got, want) {
		t.Errorf("Grams = %q, want %q", got, want)
	}
	ws := Words(Normalize("会议室预订：Booking rooms"))
	for _, w := range []string{"会议", "会议室", "预订", "book", "room"} {
		if !slices.Contains(ws, w) {
			t.Errorf("Words lack %q: %q", w, ws)
		}
	}
	if got := BodyTerms("claims"); !slices.Contains(got, "claim") || !slices.Contains(got, "claims") {
		t.Errorf("BodyTerms(claims) = %q", got)
	}
}

func TestPinyin(t *testing.T) {
	got := Pinyin("报销流程", "报销")
	for _, w := range []string{"baoxiao", "bx", "liucheng", "lc", "baoxiaoliucheng", "bxlc"} {
		if !slices.Contains(got, w) {
			t.Errorf("Pinyin lacks %q: %q", w, got)
		}
	}
}

func TestFuzzy(t *testing.T) {
	for _, c := range []struct {
		a, b string
		k    int
		want bool
	}{
		{"wallet", "walet", 1, true},
		{"invoice", "invioce", 1, true},
		{"invoice", "invoce", 1, true},
		{"invoice", "innvoise", 1, false},
		{"reimbursement", "reimbursment", 2, true},
		{"abc", "xyz", 2, false},
	} {
		if got := withinDistance(c.a, c.b, c.k); got != c.want {
			t.Errorf("withinDistance(%q, %q, %d) = %v", c.a, c.b, c.k, got)
		}
	}
	if !latinMatch("expense", "expenses") || !latinMatch("claims", "claim") || latinMatch("vpn", "vpx") {
		t.Error("latinMatch")
	}
}

func TestSnippetMarksWholeWords(t *testing.T) {
	body := "前台会提前准备访客码，访客凭码进门；撞单时以先录入者为准。Upload invoices to the wallet."
	for _, c := range []struct{ q, want string }{
		{"访客码", "访客码"},
		{"撞单", "撞单"},
		{"walet", "wallet"},
		{"invoice", "invoices"},
	} {
		spans := Snippet(body, Query(c.q, nil), 80)
		if !slices.Contains(spans, index.Span{Text: c.want, Hit: true}) {
			t.Errorf("%s: spans %+v lack a hit %q", c.q, spans, c.want)
		}
		for _, s := range spans {
			if s.Hit && len([]rune(s.Text)) == 1 {
				t.Errorf("%s: single-character hit in %+v", c.q, spans)
			}
		}
	}
	if Snippet(body, Query("年假", nil), 80) != nil {
		t.Error("snippet without a match")
	}
	if c := Coverage(Query("访客码怎么用 年假", nil), body); c != 0.5 {
		t.Errorf("coverage = %v, want 0.5", c)
	}
}

func TestParseSynonyms(t *testing.T) {
	s, err := ParseSynonyms("# comment\n年假, 年休假\n报账，报销、报帐\n\nMR / 合并请求\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Groups()) != 3 || !slices.Equal(s.Alts("报销"), []string{"报账", "报帐"}) || !slices.Equal(s.Alts("mr"), []string{"合并请求"}) {
		t.Errorf("groups %q alts %q", s.Groups(), s.Alts("报销"))
	}
	if _, err := ParseSynonyms("只有一个"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("single term: %v", err)
	}
	back, err := ParseSynonyms(s.String())
	if err != nil || !slices.EqualFunc(back.Groups(), s.Groups(), slices.Equal) {
		t.Errorf("roundtrip %q, %v", back.Groups(), err)
	}
}

func TestDescribeCountsPinyin(t *testing.T) {
	_, cov := Describe(Query("baoxiao", nil), 80, "正文没有这个词。", "摘要", "报销流程", "报销")
	if cov != 1 {
		t.Errorf("coverage of a pinyin match = %v, want 1", cov)
	}
	_, cov = Describe(Query("nianjia", nil), 80, "正文", "摘要", "报销流程")
	if cov != 0 {
		t.Errorf("coverage of no match = %v, want 0", cov)
	}
}

// TestLatinWordsMatchPieces checks the allocation-free scanner against
// Pieces on mixed text, malformed UTF-8 included.
func TestLatinWordsMatchPieces(t *testing.T) {
	for _, text := range []string{
		"报销 VPN wi-fi 1.5 ＶＰＮ café Ärger 한국어 カタカナ。ok's end",
		"年假怎么算？OA系统，A-B-, x.y. \xff\xfe bad\xe3\x81 utf8 ∑∆ z",
		"", "abc", "中文", "a\u3000b", "\u2e80x\u2e7fy",
	} {
		var want, got [][2]int
		for _, p := range Pieces(text) {
			if !p.CJK {
				want = append(want, [2]int{p.Start, p.Start + len(p.Text)})
			}
		}
		latinWords(text, func(s, e int) { got = append(got, [2]int{s, e}) })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: latinWords %v, Pieces %v", text, got, want)
		}
	}
}

// TestFoldSameWidth checks the fast paths against a rune-by-rune fold.
func TestFoldSameWidth(t *testing.T) {
	slow := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if l := unicode.ToLower(r); r < 0x2E80 && utf8.RuneLen(l) == utf8.RuneLen(r) {
				r = l
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for _, s := range []string{"报销VPN ÄÖ Σ ＶＰＮ 年假", "already lower 中文", "", "ABC", "İ K"} {
		if got, want := foldSameWidth(s), slow(s); got != want || len(got) != len(s) {
			t.Errorf("foldSameWidth(%q) = %q, want %q", s, got, want)
		}
	}
}

func BenchmarkDescribe(b *testing.B) {
	body := strings.Repeat("新员工入职第一天需要到人事部办理手续，领取门禁卡和工牌，并在OA系统中填写个人信息。VPN 账号由技术部开通。", 30)
	words := Query("年假怎么算 VPN", nil)
	for b.Loop() {
		Describe(words, 80, body, "入职手续", "新人第一天", "入职 门禁")
	}
}
