package auth

import "crypto/subtle"

// CheckCSRF compares a submitted token with the session's in constant time.
// It is false when either is empty or the session is nil.
func CheckCSRF(sess *Session, submitted string) bool {
	if sess == nil || sess.CSRF == "" || submitted == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(submitted)) == 1
}
