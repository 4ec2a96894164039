package files

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// LinkTTL is how long a signed download link lives.
const LinkTTL = 15 * time.Minute

// ErrLinkExpired and ErrLinkInvalid are the answers of CheckLink.
var (
	ErrLinkExpired = errors.New("files: the signed link has expired")
	ErrLinkInvalid = errors.New("files: the signed link is not valid")
)

// SignLink returns the signature of a link to version n of file id that
// expires at exp: HMAC-SHA256 under key over the id, the version and the
// expiry, hex encoded. Such a link needs no session: WeChat hands it to the
// phone's browser, which has none.
func SignLink(key []byte, id string, n int, exp time.Time) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("jinnang-download\x00" + id + "\x00" + strconv.Itoa(n) + "\x00" + strconv.FormatInt(exp.Unix(), 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckLink verifies a signature made by SignLink (in constant time) and
// that the link has not expired at now.
func CheckLink(key []byte, id string, n int, exp time.Time, sig string, now time.Time) error {
	want := SignLink(key, id, n, exp)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return ErrLinkInvalid
	}
	if !now.Before(exp) {
		return ErrLinkExpired
	}
	return nil
}
