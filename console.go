package keyhold

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// SetupURL is the console's page at which a setup link's secret sets a
// password, under base, the address browsers reach the server at.
func SetupURL(base, secret string) string {
	return strings.TrimRight(base, "/") + "/ui/setup?token=" + url.QueryEscape(secret)
}

// Session is a user's signed-in session of the admin console. The secret
// that names it lives only in the user's cookie; keyhold stores its digest.
type Session struct {
	// ID is a public identifier of the session, safe to log.
	ID        string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	ClientIP  string
	UserAgent string
}

// SignIn is the input of SessionService.SignIn.
type SignIn struct {
	Email    string
	Password string
}

// SessionService signs users in to the admin console. Only users sign in:
// system accounts have no password, and their names and tokens are refused
// with a plain message.
type SessionService interface {
	// SignIn checks a user's email and password and opens a session. It
	// returns the session and the secret for the cookie, which exists only
	// in this result. EINVALID (a system account's name or a token given),
	// EUNAUTHENTICATED (unknown email, wrong password, inactive user, no
	// password set), ERATELIMITED.
	SignIn(ctx context.Context, in SignIn) (*Session, string, error)
	// Session returns the session of a cookie secret and the principal it
	// acts as. EUNAUTHENTICATED (unknown, expired, or the user is gone or
	// inactive).
	Session(ctx context.Context, secret string) (*Session, *Principal, error)
	// SignOut ends the session of a cookie secret; an unknown one is no
	// error.
	SignOut(ctx context.Context, secret string) error
	// SetupUser returns the user a one-time password setup secret is for.
	// EUNAUTHENTICATED (unknown, used or expired).
	SetupUser(ctx context.Context, secret string) (*User, error)
	// SetPasswordWithSetup sets the password of the user of a one-time
	// setup secret and consumes it. EUNAUTHENTICATED, EINVALID (password).
	SetPasswordWithSetup(ctx context.Context, secret, password string) (*User, error)
	// UseFormNonce records the one-time nonce of a console form that
	// mints a secret as used until expires, so that the form mints once:
	// a reloaded or replayed form finds it used. Only the nonce's digest
	// is kept. ECONFLICT (used before), EINVALID (empty, too long, or
	// expired), EUNAUTHENTICATED.
	UseFormNonce(ctx context.Context, nonce string, expires time.Time) error
	// SetUserActive deactivates a user, ending their sessions and refusing
	// their tokens, or activates them again; the console's "deactivate".
	// EFORBIDDEN (needs identity write), ENOTFOUND, EINVALID (the last
	// active admin).
	SetUserActive(ctx context.Context, id string, active bool) (*User, error)
}

// TokenKindSession marks a principal authenticated by a console session
// rather than by a token: a signed-in user acts as themselves, with their
// personal rights, as a personal access token would let them.
const TokenKindSession TokenKind = "console_session"
