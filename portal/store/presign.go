package store

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
)

// Presigner is implemented by backends that can hand out direct download
// URLs (S3). Callers type-assert a Store to it and fall back to streaming.
type Presigner interface {
	// PresignGet returns a GET URL valid for expiry (capped at
	// MaxPresignExpiry, MinIO's limit) that makes the server answer with
	// Content-Disposition: attachment; filename*=UTF-8''<name>. An empty
	// downloadName stands for the last segment of the key.
	PresignGet(ctx context.Context, key string, expiry time.Duration, downloadName string) (string, error)
}

// MaxPresignExpiry is the longest validity of a presigned URL (S3 signature
// version 4 allows at most seven days).
const MaxPresignExpiry = 7 * 24 * time.Hour

var _ Presigner = (*S3)(nil)

// PresignGet returns a presigned GET URL for the object. It signs locally
// and does not check that the object exists. The URL names the endpoint
// the portal uses, so that endpoint must be reachable by the browser.
func (s *S3) PresignGet(ctx context.Context, key string, expiry time.Duration, downloadName string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if expiry <= 0 {
		return "", fmt.Errorf("store: s3: presign %q: expiry %s is not positive", key, expiry)
	}
	// S3 counts whole seconds, from one up.
	expiry = min(max(expiry, time.Second), MaxPresignExpiry)
	if downloadName == "" {
		downloadName = path.Base(key)
	}
	params := url.Values{}
	params.Set("response-content-disposition", ContentDisposition("attachment", downloadName))
	u, err := s.core.PresignedGetObject(ctx, s.bucket, key, expiry, params)
	if err != nil {
		return "", fmt.Errorf("store: s3: presign %q: %w", key, err)
	}
	return u.String(), nil
}

// maxFallbackLen bounds the ASCII fallback file name in bytes.
const maxFallbackLen = 150

// maxExtLen is the longest extension (with its dot) that ContentDisposition
// keeps when it shortens a fallback name.
const maxExtLen = 16

// ContentDisposition builds a Content-Disposition header value (RFC 6266)
// for a download named name:
//
//	attachment; filename="2026____.xlsx"; filename*=UTF-8''2026%E5%B9%B4%E6%8A%A5%E9%94%80%E5%8D%95.xlsx
//
// disposition is "inline" or "attachment"; anything else is taken as
// "attachment". filename is an ASCII fallback for old clients: every
// non-ASCII or control character and every '"', '\\', '%' and '/' becomes '_',
// and an over-long name is shortened before its extension, which is kept.
// filename* carries the real name, percent-encoded per RFC 5987 (invalid
// UTF-8 is replaced first). An empty name gives the bare disposition.
func ContentDisposition(disposition, name string) string {
	disposition = strings.ToLower(strings.TrimSpace(disposition))
	if disposition != "inline" {
		disposition = "attachment"
	}
	if name == "" {
		return disposition
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	var b strings.Builder
	b.WriteString(disposition)
	b.WriteString(`; filename="`)
	b.WriteString(asciiFallback(name))
	b.WriteString(`"; filename*=UTF-8''`)
	b.WriteString(encodeRFC5987(name))
	return b.String()
}

// asciiFallback replaces every character that is unsafe in a quoted
// filename parameter with '_', one per character, and bounds the length.
func asciiFallback(name string) string {
	b := make([]byte, 0, len(name))
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f, r == '"', r == '\\', r == '%', r == '/':
			b = append(b, '_')
		default:
			b = append(b, byte(r))
		}
	}
	s := string(b)
	if len(s) <= maxFallbackLen {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > maxExtLen {
		ext = ""
	}
	return s[:maxFallbackLen-len(ext)] + ext
}

// encodeRFC5987 percent-encodes s (valid UTF-8) leaving only RFC 5987
// attr-char unescaped: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" /
// "." / "^" / "_" / "`" / "|" / "~".
func encodeRFC5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
