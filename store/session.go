package store

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
)

var sessionMsgs = msgs{notFound: "Sign in again", conflict: "The session already exists", missing: "The requested user was not found"}

var nonceMsgs = msgs{conflict: "This form was sent before"}

var setupMsgs = msgs{notFound: "This setup link is unknown, used or expired", missing: "The requested user was not found"}

// CreateSession stores a console session under the digest of its secret.
func (t *tx) CreateSession(ctx context.Context, s *keyhold.Session, digest []byte) error {
	_, err := t.exec(ctx, `INSERT INTO console_sessions (digest, id, user_id, created_at, expires_at, client_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		digest, s.ID, s.UserID, ts(s.CreatedAt), ts(s.ExpiresAt), s.ClientIP, s.UserAgent)
	return t.translate("create session", err, sessionMsgs)
}

// GetSessionByDigest returns the session of a digest, expired or not;
// ENOTFOUND.
func (t *tx) GetSessionByDigest(ctx context.Context, digest []byte) (*keyhold.Session, error) {
	var s keyhold.Session
	err := t.tx.QueryRowContext(ctx, `SELECT id, user_id, created_at, expires_at, client_ip, user_agent
		FROM console_sessions WHERE digest = $1`, digest).
		Scan(&s.ID, &s.UserID, scanTime{&s.CreatedAt}, scanTime{&s.ExpiresAt}, &s.ClientIP, &s.UserAgent)
	if err != nil {
		return nil, t.translate("get session", err, sessionMsgs)
	}
	return &s, nil
}

// DeleteSession deletes the session of a digest; none is no error.
func (t *tx) DeleteSession(ctx context.Context, digest []byte) error {
	_, err := t.exec(ctx, `DELETE FROM console_sessions WHERE digest = $1`, digest)
	return t.translate("delete session", err, sessionMsgs)
}

// DeleteUserSessions ends every session of a user.
func (t *tx) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := t.exec(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, userID)
	return t.translate("delete user sessions", err, sessionMsgs)
}

// DeleteExpiredSessions deletes sessions and setup tokens expired at now.
func (t *tx) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, ts(now)); err != nil {
		return t.translate("delete expired sessions", err, sessionMsgs)
	}
	if _, err := t.exec(ctx, `DELETE FROM password_setup_tokens WHERE expires_at <= $1`, ts(now)); err != nil {
		return t.translate("delete expired setup tokens", err, setupMsgs)
	}
	_, err := t.exec(ctx, `DELETE FROM console_form_nonces WHERE expires_at <= $1`, ts(now))
	return t.translate("delete expired form nonces", err, nonceMsgs)
}

// UseFormNonce records a form nonce's digest as used; ECONFLICT when it
// already is.
func (t *tx) UseFormNonce(ctx context.Context, digest []byte, expires time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO console_form_nonces (digest, expires_at) VALUES ($1, $2)`, digest, ts(expires))
	return t.translate("use form nonce", err, nonceMsgs)
}

// CreateSetupToken stores a one-time password setup token by its digest.
func (t *tx) CreateSetupToken(ctx context.Context, digest []byte, userID string, created, expires time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO password_setup_tokens (digest, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, digest, userID, ts(created), ts(expires))
	return t.translate("create setup token", err, setupMsgs)
}

// ConsumeSetupToken deletes the setup token of a digest if it is unexpired
// at now and returns its user's id; ENOTFOUND otherwise. The delete is the
// claim, so two concurrent uses cannot both succeed.
func (t *tx) ConsumeSetupToken(ctx context.Context, digest []byte, now time.Time) (string, error) {
	var userID string
	err := t.tx.QueryRowContext(ctx, `DELETE FROM password_setup_tokens WHERE digest = $1 AND expires_at > $2
		RETURNING user_id`, digest, ts(now)).Scan(&userID)
	if err != nil {
		return "", t.translate("consume setup token", err, setupMsgs)
	}
	return userID, nil
}

// GetSetupTokenUser returns the user id of an unexpired setup token;
// ENOTFOUND.
func (t *tx) GetSetupTokenUser(ctx context.Context, digest []byte, now time.Time) (string, error) {
	var userID string
	err := t.tx.QueryRowContext(ctx, `SELECT user_id FROM password_setup_tokens WHERE digest = $1 AND expires_at > $2`,
		digest, ts(now)).Scan(&userID)
	if err != nil {
		return "", t.translate("get setup token", err, setupMsgs)
	}
	return userID, nil
}
