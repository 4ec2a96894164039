// Package ids makes the server-chosen record ids of files and stories:
// 80 random bits as 16 lowercase base32 characters, safe in store keys,
// URLs and index ids.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Len is the length of every id.
const Len = 16

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// New returns a fresh random id.
func New() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return strings.ToLower(encoding.EncodeToString(b))
}

// Valid reports whether id has the shape New produces.
func Valid(id string) bool {
	if len(id) != Len {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
