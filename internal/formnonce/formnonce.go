// Package formnonce makes and checks the one-time nonces of the console's
// forms that mint a secret. A nonce is random, expires, and is signed with
// a key derived from the console session's secret for the path the form
// is sent to: any replica checks it without state, and it is good for one
// session and one form. That it is used once is up to its caller, which
// records it as used (keyhold.SessionService.UseFormNonce).
package formnonce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Field is the form field that carries the nonce.
const Field = "nonce"

// TTL is how long a form's nonce may wait to be sent: a console
// session's default lifetime.
const TTL = 12 * time.Hour

// Key derives a session's nonce key from its secret.
func Key(sessionSecret string) []byte {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte("keyhold console form nonce v1"))
	return m.Sum(nil)
}

func mac(key []byte, action, random, expires string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(action + "\n" + random + "\n" + expires))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// New returns a nonce of key for the form sent to action, good until
// now+TTL, or "" without a key.
func New(key []byte, action string, now time.Time) string {
	if len(key) == 0 {
		return ""
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	random, exp := base64.RawURLEncoding.EncodeToString(b[:]), strconv.FormatInt(now.Add(TTL).Unix(), 10)
	return random + "." + exp + "." + mac(key, action, random, exp)
}

// Check reports whether v is a nonce of key for action, unexpired at now,
// and when it expires.
func Check(key []byte, action, v string, now time.Time) (time.Time, bool) {
	parts := strings.Split(v, ".")
	if len(key) == 0 || len(parts) != 3 {
		return time.Time{}, false
	}
	if subtle.ConstantTimeCompare([]byte(mac(key, action, parts[0], parts[1])), []byte(parts[2])) != 1 {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !time.Unix(sec, 0).After(now) {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
