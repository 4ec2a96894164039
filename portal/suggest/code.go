package suggest

import (
	"crypto/rand"
	"strings"
)

// codeAlphabet is Crockford's base32: digits and capitals without I, L, O
// and U, so a code read aloud or copied by hand survives.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is the length of a receipt code in characters: 100 random bits.
const CodeLen = 20

// codeGroup is the size of the dash-separated groups a code is shown in.
const codeGroup = 4

// newCode draws a receipt code (normalised: no dashes).
func newCode() string {
	b := make([]byte, CodeLen)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b)
}

// FormatCode groups a normalised code as XXXX-XXXX-XXXX-XXXX-XXXX.
func FormatCode(code string) string {
	var sb strings.Builder
	for i, r := range code {
		if i > 0 && i%codeGroup == 0 {
			sb.WriteByte('-')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// NormalizeCode reads a code as typed: case, spaces and dashes do not
// matter, and O, I and L read as 0, 1 and 1. It reports false when the
// result is not CodeLen characters of the alphabet.
func NormalizeCode(s string) (string, bool) {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '\t', '\n', '\r':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(codeAlphabet, r) || sb.Len() >= CodeLen {
			return "", false
		}
		sb.WriteRune(r)
	}
	if sb.Len() != CodeLen {
		return "", false
	}
	return sb.String(), true
}
