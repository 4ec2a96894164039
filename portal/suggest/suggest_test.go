package suggest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// testKDF keeps tests fast; production uses DefaultKDF.
var testKDF = KDF{Time: 1, Memory: 1024, Threads: 1}

var testDay = time.Date(2025, 6, 1, 14, 37, 52, 0, time.UTC)

func newService(t *testing.T) (*Service, store.Store) {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, bytes.Repeat([]byte{7}, 32), Options{Clock: func() time.Time { return testDay }, KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestNewRejectsShortKey(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(st, []byte("short"), Options{}); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

func TestReceiptFlow(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	b, err := s.CreateBox(ctx, " 食堂意见 ", "欢迎提意见", []string{"食堂", "环境", "食堂", " "})
	if err != nil {
		t.Fatal(err)
	}
	if b.Title != "食堂意见" || len(b.Categories) != 2 || !ValidBoxID(b.ID) || b.Created != "2025-06-01" {
		t.Fatalf("box %+v", b)
	}
	code, sg, err := s.Submit(ctx, b.ID, "食堂", "午饭能不能多一个素菜？\r\n谢谢")
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != CodeLen+CodeLen/codeGroup-1 || strings.Count(code, "-") != 4 {
		t.Fatalf("code %q is not grouped XXXX-…", code)
	}
	if sg.Date != "2025-06-01" || sg.Status != StatusReceived || sg.Body != "午饭能不能多一个素菜？\n谢谢" {
		t.Fatalf("suggestion %+v", sg)
	}

	// The code works however it is typed.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	got, err := s.Lookup(ctx, typed)
	if err != nil {
		t.Fatalf("lookup %q: %v", typed, err)
	}
	if got.Ref != sg.Ref || got.Body != sg.Body {
		t.Fatalf("lookup gave %+v", got)
	}

	if _, err := s.Reply(ctx, sg.Ref, "下周一起增加。"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FollowUp(ctx, code, "太好了！"); err != nil {
		t.Fatal(err)
	}
	got, err = s.Lookup(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusReplied || len(got.Thread) != 2 || got.Thread[0].From != FromTeam || got.Thread[1].From != FromSubmitter || !got.Waiting() {
		t.Fatalf("after reply and follow-up: %+v", got)
	}
	if _, err := s.SetStatus(ctx, sg.Ref, StatusAdopted); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, sg.Ref, "bogus"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bogus status: %v", err)
	}
	// A reply no longer demotes an adopted suggestion.
	if got, err = s.Reply(ctx, sg.Ref, "已落实。"); err != nil || got.Status != StatusAdopted {
		t.Fatalf("reply on adopted: %+v %v", got, err)
	}

	a, err := s.Publish(ctx, sg.Ref, "", "食堂每天增加一个素菜。")
	if err != nil {
		t.Fatal(err)
	}
	answers, err := s.Answers(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 || answers[0].Question != sg.Body || answers[0].ID != a.ID {
		t.Fatalf("answers %+v", answers)
	}
	// Publishing again replaces the answer.
	if _, err := s.Publish(ctx, sg.Ref, "关于素菜", "每天两个素菜。"); err != nil {
		t.Fatal(err)
	}
	if answers, _ = s.Answers(ctx, b.ID); len(answers) != 1 || answers[0].Answer != "每天两个素菜。" {
		t.Fatalf("answers after republish %+v", answers)
	}
}

func TestWrongCodes(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	b, err := s.CreateBox(ctx, "意见", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := s.Submit(ctx, b.ID, "", "建议")
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := NormalizeCode(code)
	flipped := []byte(norm)
	flipped[19] = codeAlphabet[(strings.IndexByte(codeAlphabet, flipped[19])+1)%32]
	for _, c := range []string{"", "short", strings.Repeat("Z", 20), string(flipped), norm + "0", "!!!!-!!!!-!!!!-!!!!-!!!!"} {
		if _, err := s.Lookup(ctx, c); !errors.Is(err, ErrBadCode) {
			t.Errorf("lookup %q: %v, want ErrBadCode", c, err)
		}
		if _, err := s.FollowUp(ctx, c, "x"); !errors.Is(err, ErrBadCode) {
			t.Errorf("follow-up %q: %v, want ErrBadCode", c, err)
		}
	}
}

func TestHashMustVerify(t *testing.T) {
	// A record found by its HMAC name still needs the argon2 hash to match.
	ctx := context.Background()
	s, st := newService(t)
	b, _ := s.CreateBox(ctx, "意见", "", nil)
	code, sg, err := s.Submit(ctx, b.ID, "", "建议")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := modify(ctx, st, itemPrefix+sg.Ref+".json", func(r *Suggestion) error {
		r.Hash[0] ^= 1
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, code); !errors.Is(err, ErrBadCode) {
		t.Fatalf("tampered hash: %v", err)
	}
}

func TestStoredRecordHasNoCodeNorTime(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	b, _ := s.CreateBox(ctx, "意见", "", nil)
	code, sg, err := s.Submit(ctx, b.ID, "", "建议")
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := st.Get(ctx, itemPrefix+sg.Ref+".json")
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	norm, _ := NormalizeCode(code)
	for _, bad := range []string{norm, code, "14:37", "T14", testDay.Format(time.RFC3339)} {
		if strings.Contains(raw.String(), bad) {
			t.Errorf("stored record holds %q: %s", bad, raw.String())
		}
	}
}

func TestLimitsAndClosedBox(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	if _, err := s.CreateBox(ctx, "", "", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty title: %v", err)
	}
	b, _ := s.CreateBox(ctx, "意见", "", []string{"食堂"})
	if _, _, err := s.Submit(ctx, b.ID, "", strings.Repeat("长", MaxBody+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("long body: %v", err)
	}
	if _, _, err := s.Submit(ctx, b.ID, "不存在", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown category: %v", err)
	}
	if _, _, err := s.Submit(ctx, "zzzzzzzz", "", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown box: %v", err)
	}
	if _, err := s.SetClosed(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Submit(ctx, b.ID, "", "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("closed box: %v", err)
	}
}

func TestFormToken(t *testing.T) {
	s, _ := newService(t)
	tok := s.FormToken("abcdefgh")
	if !s.CheckFormToken("abcdefgh", tok) {
		t.Fatal("today's token refused")
	}
	if s.CheckFormToken("hgfedcba", tok) || s.CheckFormToken("abcdefgh", "") || s.CheckFormToken("abcdefgh", tok[1:]+"0") {
		t.Fatal("a wrong token passed")
	}
	if !s.CheckFormToken("abcdefgh", s.formToken("abcdefgh", testDay.AddDate(0, 0, -1))) {
		t.Fatal("yesterday's token refused")
	}
	if s.CheckFormToken("abcdefgh", s.formToken("abcdefgh", testDay.AddDate(0, 0, -2))) {
		t.Fatal("a token of two days ago passed")
	}
}

func TestListAndCSV(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	b1, _ := s.CreateBox(ctx, "食堂", "", []string{"饭菜"})
	b2, _ := s.CreateBox(ctx, "办公", "", nil)
	_, a, _ := s.Submit(ctx, b1.ID, "饭菜", "=HYPERLINK(\"http://evil\")")
	if _, _, err := s.Submit(ctx, b2.ID, "", "空调太冷"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reply(ctx, a.Ref, "收到"); err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx, Filter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("list all: %d %v", len(all), err)
	}
	for f, want := range map[Filter]int{{Box: b1.ID}: 1, {Status: StatusReplied}: 1, {Status: StatusReceived}: 1, {Category: "饭菜"}: 1, {Box: b2.ID, Status: StatusReplied}: 0} {
		got, err := s.List(ctx, f)
		if err != nil || len(got) != want {
			t.Errorf("list %+v: %d %v, want %d", f, len(got), err, want)
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, all, map[string]string{b1.ID: "食堂", b2.ID: "办公"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Fatal("no BOM")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "ref" {
		t.Fatalf("rows %q", rows)
	}
	if !strings.Contains(out, "'=HYPERLINK") || !strings.Contains(out, "空调太冷") || !strings.Contains(out, "收到") {
		t.Fatalf("csv %q", out)
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"abcd-efgh-jkmn-pqrs-tvwx":   "ABCDEFGHJKMNPQRSTVWX",
		" oIlL 0000 1111 2222 33334": "", // 21 characters
	} {
		got, ok := NormalizeCode(in)
		if want == "" {
			if ok {
				t.Errorf("%q: accepted as %q", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	if got, ok := NormalizeCode("OILL-0000-1111-2222-3333"); !ok || got != "01110000111122223333" {
		t.Errorf("O/I/L: %q %v", got, ok)
	}
	if _, ok := NormalizeCode("UUUU-0000-1111-2222-3333"); ok {
		t.Error("U accepted")
	}
}
