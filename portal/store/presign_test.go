package store_test

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct {
		disposition, name, want string
	}{
		{"attachment", "2026年报销单.xlsx",
			`attachment; filename="2026____.xlsx"; filename*=UTF-8''2026%E5%B9%B4%E6%8A%A5%E9%94%80%E5%8D%95.xlsx`},
		{"inline", "report.pdf", `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"INLINE ", "a.png", `inline; filename="a.png"; filename*=UTF-8''a.png`},
		{"form-data", "a.png", `attachment; filename="a.png"; filename*=UTF-8''a.png`},
		{"attachment", `a "b"\c%d/e.txt`,
			`attachment; filename="a _b__c_d_e.txt"; filename*=UTF-8''a%20%22b%22%5Cc%25d%2Fe.txt`},
		{"attachment", "x\r\nSet-Cookie: y=1\x00.txt",
			`attachment; filename="x__Set-Cookie: y=1_.txt"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y%3D1%00.txt`},
		{"attachment", "keep!#$&+-.^_`|~.txt", "attachment; filename=\"keep!#$&+-.^_`|~.txt\"; filename*=UTF-8''keep!#$&+-.^_`|~.txt"},
		{"attachment", "bad\xffutf8", `attachment; filename="bad_utf8"; filename*=UTF-8''bad%EF%BF%BDutf8`},
		{"attachment", "", "attachment"},
	} {
		if got := store.ContentDisposition(tc.disposition, tc.name); got != tc.want {
			t.Errorf("ContentDisposition(%q, %q) =\n %s\nwant\n %s", tc.disposition, tc.name, got, tc.want)
		}
	}
}

// TestContentDispositionParses checks that the header parses back to the
// original name with the standard library (which reads filename*).
func TestContentDispositionParses(t *testing.T) {
	long := strings.Repeat("很长的名字", 60) + ".docx"
	for _, name := range []string{"2026年报销单.xlsx", "plain.txt", "a b;c=d.pdf", long, "emoji 🎉.png"} {
		h := store.ContentDisposition("attachment", name)
		for _, c := range h {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("header for %q holds a non-printable-ASCII character: %q", name, h)
			}
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil {
			t.Fatalf("ParseMediaType(%q): %v", h, err)
		}
		if disp != "attachment" || params["filename"] != name {
			t.Errorf("parsed %q as %q, filename %q; want attachment, %q", h, disp, params["filename"], name)
		}
	}
	// The fallback of a long name is bounded and keeps the extension.
	_, fallback, _ := strings.Cut(store.ContentDisposition("attachment", long), `filename="`)
	fallback, _, _ = strings.Cut(fallback, `"`)
	if len(fallback) > 150 || !strings.HasSuffix(fallback, ".docx") {
		t.Errorf("fallback for a long name: %d bytes %q", len(fallback), fallback)
	}
}

func TestS3PresignGet(t *testing.T) {
	cfg := miniotest.Start(t)
	s, err := store.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const key = "files/abc/v1/2026年报销单.xlsx"
	const body = "PK\x03\x04 not really a spreadsheet"
	if _, err := s.Put(t.Context(), key, strings.NewReader(body), store.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	fetch := func(t *testing.T, u string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if cerr := resp.Body.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}

	for _, tc := range []struct{ downloadName, wantName string }{
		{"2026年报销单.xlsx", "2026年报销单.xlsx"},
		{"", "2026年报销单.xlsx"}, // the key's last segment
		{"报销单 (最终版).xlsx", "报销单 (最终版).xlsx"},
	} {
		u, err := s.PresignGet(t.Context(), key, 10*time.Minute, tc.downloadName)
		if err != nil {
			t.Fatalf("PresignGet: %v", err)
		}
		resp, got := fetch(t, u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET presigned URL: status %d: %s", resp.StatusCode, got)
		}
		if got != body {
			t.Fatalf("presigned body = %q, want %q", got, body)
		}
		cd := resp.Header.Get("Content-Disposition")
		if want := store.ContentDisposition("attachment", tc.wantName); cd != want {
			t.Errorf("Content-Disposition = %q, want %q", cd, want)
		}
		if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != tc.wantName {
			t.Errorf("Content-Disposition %q parses to %q (%v), want %q", cd, params["filename"], err, tc.wantName)
		}
	}

	// A tampered URL is refused: the disposition is part of the signature.
	u, err := s.PresignGet(t.Context(), key, time.Minute, "a.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set("response-content-disposition", "inline")
	pu.RawQuery = q.Encode()
	if resp, _ := fetch(t, pu.String()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered URL: status %d, want 403", resp.StatusCode)
	}

	// Expiry is capped at seven days and must be positive.
	u, err = s.PresignGet(t.Context(), key, 30*24*time.Hour, "a.xlsx")
	if err != nil {
		t.Fatalf("PresignGet(30 days): %v", err)
	}
	pu, err = url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if got := pu.Query().Get("X-Amz-Expires"); got != "604800" {
		t.Errorf("X-Amz-Expires = %q, want 604800 (7 days)", got)
	}
	for _, d := range []time.Duration{0, -time.Minute} {
		if _, err := s.PresignGet(t.Context(), key, d, "a.xlsx"); err == nil {
			t.Errorf("PresignGet with expiry %s succeeded", d)
		}
	}
	if _, err := s.PresignGet(t.Context(), "../x", time.Minute, "a"); err == nil {
		t.Error("PresignGet with an invalid key succeeded")
	}
}
