package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Console sign-in defaults.
const (
	defaultSessionTTL = 12 * time.Hour
	// defaultSetupTTL bounds the first admin's one-time setup link.
	defaultSetupTTL = 24 * time.Hour
	// signInLimit is how many failed sign-ins one email, or one client
	// address, may make per minute before sign-in is refused until the
	// minute ends. Far below the API's limit: a password is guessable, a
	// 256-bit token is not.
	signInLimit = 10
)

var (
	errBadSignIn = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "The email or password is wrong")
	errNoSession = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "Sign in again")
	errBadSetup  = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "This setup link is unknown, used or expired; ask an admin for a new one, or run keyhold users set-password")
	errNotAUser  = keyhold.Invalid(keyhold.FieldError{Field: "email", Rule: "type",
		Reason: "System accounts and tokens cannot sign in to the console; sign in with a user's email address and password"})
	errTokenAsPassword = keyhold.Invalid(keyhold.FieldError{Field: "password", Rule: "type",
		Reason: "Tokens cannot sign in to the console; use your password"})
)

// Sessions implements keyhold.SessionService: console sign-in, sessions,
// setup links and passwords.
type Sessions struct {
	*core
	ttl     time.Duration
	signIns signInLimiter
	counter storage.FailureCounter
}

func newSessions(k *core, counter storage.FailureCounter, c SessionConfig) *Sessions {
	s := &Sessions{core: k, ttl: c.TTL, counter: counter}
	if s.ttl <= 0 {
		s.ttl = defaultSessionTTL
	}
	return s
}

// Run merges this replica's failed sign-in counts with the others' about
// once a second until ctx ends.
func (s *Sessions) Run(ctx context.Context) {
	every(ctx, time.Second, func() {
		if err := s.MergeFailures(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("merge failed sign-in counts", "err", err)
		}
	})
}

// MergeFailures shares this replica's failed sign-in counts through the
// database and blocks every email and address over the limit across all
// replicas.
func (s *Sessions) MergeFailures(ctx context.Context) error {
	return s.mergeLimiter(ctx, s.counter, s.signIns.get(), true)
}

// signInLimiter counts failed sign-ins per email and per client address in
// one-minute windows. Like the API's limiter, counts live in memory and are
// merged through the database about once a second (MergeFailures), under
// keys that start with signInKeyPrefix; emails are kept only as digests.
type signInLimiter struct {
	once sync.Once
	l    *limiter
}

func (sl *signInLimiter) get() *limiter {
	sl.once.Do(func() { sl.l = newLimiter(signInLimit) })
	return sl.l
}

// signInKeyPrefix keeps sign-in counts apart from the API's in the shared
// table of failure counts.
const signInKeyPrefix = "signin:"

// emailDigest names an email in failure counts without storing it.
func emailDigest(email string) string {
	d := sha256.Sum256([]byte(strings.ToLower(email)))
	return hex.EncodeToString(d[:12])
}

// newSecret returns 256 random bits, base64url-encoded, and their digest.
func newSecret() (string, []byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("generate secret: %w", err)
	}
	v := base64.RawURLEncoding.EncodeToString(b[:])
	return v, secretDigest(v), nil
}

func secretDigest(v string) []byte {
	d := sha256.Sum256([]byte(v))
	return d[:]
}

// SignIn implements keyhold.SessionService.
func (s *Sessions) SignIn(ctx context.Context, in keyhold.SignIn) (*keyhold.Session, string, error) {
	email := strings.TrimSpace(in.Email)
	if _, ok := keyhold.ParseTokenValue(email); ok || !strings.Contains(email, "@") {
		return nil, "", errNotAUser
	}
	if _, ok := keyhold.ParseTokenValue(strings.TrimSpace(in.Password)); ok {
		return nil, "", errTokenAsPassword
	}
	ri := keyhold.RequestFromContext(ctx)
	now := s.now()
	lim := s.signIns.get()
	emailKey, ipKey := signInKeyPrefix+"email:"+emailDigest(email), signInKeyPrefix+"ip:"+ri.ClientIP
	if wait := max(lim.retryAfter(emailKey, now), lim.retryAfter(ipKey, now)); wait > 0 {
		return nil, "", &keyhold.Error{Code: keyhold.ERATELIMITED, Message: "Too many failed sign-ins; try again in a minute", RetryAfter: wait}
	}
	var u *keyhold.User
	err := s.read(ctx, func(tx storage.Tx) (err error) { u, err = tx.Users().GetUserByEmail(ctx, email); return err })
	if err != nil && keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
		return nil, "", err
	}
	// Hash even for an unknown user, so that timing does not tell which
	// emails exist.
	hash := dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok := VerifyPassword(hash, in.Password)
	if u == nil || u.PasswordHash == "" || !ok || !u.Active {
		lim.fail(emailKey, now)
		lim.fail(ipKey, now)
		s.signInFailed(ctx, u, email)
		return nil, "", errBadSignIn
	}
	return s.openSession(ctx, u)
}

var (
	dummyOnce sync.Once
	dummy     string
)

// dummyHash is a hash of no one's password, verified for unknown emails.
func dummyHash() string {
	dummyOnce.Do(func() { dummy, _ = HashPassword("no one's password, ever") })
	return dummy
}

func (s *Sessions) signInFailed(ctx context.Context, u *keyhold.User, email string) {
	ev := s.audit(ctx, "console.signed_in", targetUser, "", email)
	ev.Outcome = keyhold.OutcomeFailure
	if u != nil {
		ev.TargetID, ev.TargetName = u.ID, u.Email
	} else {
		ev.TargetName = "" // an unknown email is not recorded: it may be a password typed in the wrong field
	}
	if err := s.store.Write(ctx, func(tx storage.Tx) error { return tx.Audit().AppendAuditEvent(ctx, ev) }); err != nil {
		s.log.Error("record failed sign-in", "err", err)
	}
}

func (s *Sessions) openSession(ctx context.Context, u *keyhold.User) (*keyhold.Session, string, error) {
	secret, digest, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	ri := keyhold.RequestFromContext(ctx)
	now := s.clock()
	sess := &keyhold.Session{ID: newID(), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.ttl),
		ClientIP: ri.ClientIP, UserAgent: truncate(ri.UserAgent, 512)}
	actx := keyhold.NewContextWithPrincipal(ctx, sessionPrincipal(u, sess.ID, digest))
	ev := s.audit(actx, "console.signed_in", targetUser, u.ID, u.Email)
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		if err := tx.Sessions().DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		if err := tx.Sessions().CreateSession(ctx, sess, digest); err != nil {
			return err
		}
		return tx.Audit().AppendAuditEvent(ctx, ev)
	})
	if err != nil {
		return nil, "", err
	}
	return sess, secret, nil
}

func userPrincipal(u *keyhold.User) *keyhold.Principal {
	return &keyhold.Principal{Type: keyhold.PrincipalUser, ID: u.ID, Name: u.Email, TokenKind: keyhold.TokenKindSession}
}

// sessionPrincipal is the user of a console session: its credential is
// the session, by id and the digest of its secret as stored.
func sessionPrincipal(u *keyhold.User, id string, digest []byte) *keyhold.Principal {
	p := userPrincipal(u)
	p.Auth = &keyhold.Authentication{Method: keyhold.AuthSession, ID: id}
	copy(p.Auth.Digest[:], digest)
	return p
}

// Session implements keyhold.SessionService. It reads the database, not
// the index, so a session opened on one replica works on every other one
// at once.
func (s *Sessions) Session(ctx context.Context, secret string) (*keyhold.Session, *keyhold.Principal, error) {
	if secret == "" || len(secret) > 128 {
		return nil, nil, errNoSession
	}
	var sess *keyhold.Session
	var u *keyhold.User
	digest := secretDigest(secret)
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if sess, err = tx.Sessions().GetSessionByDigest(ctx, digest); err != nil {
			return err
		}
		u, err = tx.Users().GetUser(ctx, sess.UserID)
		return err
	})
	switch {
	case keyhold.ErrorCode(err) == keyhold.ENOTFOUND:
		return nil, nil, errNoSession
	case err != nil:
		return nil, nil, err
	case !s.now().Before(sess.ExpiresAt) || !u.Active:
		return nil, nil, errNoSession
	}
	return sess, sessionPrincipal(u, sess.ID, digest), nil
}

// SignOut implements keyhold.SessionService.
func (s *Sessions) SignOut(ctx context.Context, secret string) error {
	if secret == "" || len(secret) > 128 {
		return nil
	}
	return s.store.Write(ctx, func(tx storage.Tx) error { return tx.Sessions().DeleteSession(ctx, secretDigest(secret)) })
}

// maxFormNonceTTL bounds how long a used form nonce is kept, whatever
// expiry the console gives it.
const maxFormNonceTTL = 24 * time.Hour

var errBadNonce = keyhold.Invalid(keyhold.FieldError{Field: "nonce", Rule: "format", Reason: "is empty, too long or expired"})

// UseFormNonce implements keyhold.SessionService.
func (s *Sessions) UseFormNonce(ctx context.Context, nonce string, expires time.Time) error {
	if err := s.authorize(ctx, "UseFormNonce", false); err != nil {
		return err
	}
	now := s.clock()
	if nonce == "" || len(nonce) > 256 || !expires.After(now) {
		return errBadNonce
	}
	if limit := now.Add(maxFormNonceTTL); expires.After(limit) {
		expires = limit
	}
	return s.store.Write(ctx, func(tx storage.Tx) error {
		return tx.Sessions().UseFormNonce(ctx, secretDigest(nonce), expires)
	})
}

// SetupUser implements keyhold.SessionService.
func (s *Sessions) SetupUser(ctx context.Context, secret string) (*keyhold.User, error) {
	if secret == "" || len(secret) > 128 {
		return nil, errBadSetup
	}
	var u *keyhold.User
	err := s.read(ctx, func(tx storage.Tx) error {
		id, err := tx.Sessions().GetSetupTokenUser(ctx, secretDigest(secret), s.clock())
		if err != nil {
			return err
		}
		u, err = tx.Users().GetUser(ctx, id)
		return err
	})
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return nil, errBadSetup
	}
	return u, err
}

// SetPasswordWithSetup implements keyhold.SessionService. The setup token
// is consumed in the transaction that sets the password, and every session
// the user had ends.
func (s *Sessions) SetPasswordWithSetup(ctx context.Context, secret, password string) (*keyhold.User, error) {
	if secret == "" || len(secret) > 128 {
		return nil, errBadSetup
	}
	hash, err := checkedHash(password)
	if err != nil {
		return nil, err
	}
	var u *keyhold.User
	ev := s.audit(ctx, "user.password_set", targetUser, "", "")
	ev.Changes = keyhold.Changes{"password": keyhold.SecretChanged()}
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		id, err := tx.Sessions().ConsumeSetupToken(ctx, secretDigest(secret), s.clock())
		if err != nil {
			return err
		}
		if u, err = s.setPassword(ctx, tx, id, hash); err != nil {
			return err
		}
		ev.TargetID, ev.TargetName = u.ID, u.Email
		ev.ActorType, ev.ActorID, ev.ActorName = keyhold.PrincipalUser, u.ID, u.Email
		if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
			return err
		}
		if !u.Invited {
			return nil
		}
		// Setting a password through a setup link accepts an invitation.
		u.Active, u.Invited = true, false
		if err := tx.Users().UpdateUser(ctx, u); err != nil {
			return err
		}
		accept := *ev
		accept.ID, accept.Action = newID(), "user.invite_accepted"
		accept.Changes = keyhold.Changes{}.Add("active", false, true).Add("invited", true, false)
		if err := tx.Audit().AppendAuditEvent(ctx, &accept); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeUser, u.ID, nil)
	})
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return nil, errBadSetup
	}
	return u, err
}

func checkedHash(password string) (string, error) {
	var c checker
	c.text("password", password, minPasswordLen, 1024)
	if _, ok := keyhold.ParseTokenValue(password); ok {
		c.add(keyhold.FieldError{Field: "password", Reason: "must not be a token", Rule: "type"})
	}
	if err := c.err(); err != nil {
		return "", err
	}
	return HashPassword(password)
}

func (s *core) setPassword(ctx context.Context, tx storage.Tx, userID, hash string) (*keyhold.User, error) {
	u, err := tx.Users().GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	u.PasswordHash, u.UpdatedAt = hash, s.clock()
	if err := tx.Users().UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, tx.Sessions().DeleteUserSessions(ctx, u.ID)
}

// CreateSetupLink stores a one-time password setup token for the user of
// an email and returns its secret, for the link the first admin opens.
// Operators call it (keyhold serve on an empty database); it is no API.
func (s *Sessions) CreateSetupLink(ctx context.Context, email string, ttl time.Duration) (string, error) {
	if err := s.authorize(ctx, "CreateSetupLink", false); err != nil {
		return "", err
	}
	if ttl <= 0 {
		ttl = defaultSetupTTL
	}
	secret, digest, err := newSecret()
	if err != nil {
		return "", err
	}
	now := s.clock()
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		u, err := tx.Users().GetUserByEmail(ctx, email)
		if err != nil {
			return err
		}
		return tx.Sessions().CreateSetupToken(ctx, digest, u.ID, now, now.Add(ttl))
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// SetPassword sets the password of the user of an email and ends their
// sessions: the break-glass path of keyhold users set-password, run by an
// operator with access to the database. It is no API.
func (s *Sessions) SetPassword(ctx context.Context, email, password string) (*keyhold.User, error) {
	if err := s.authorize(ctx, "SetPassword", false); err != nil {
		return nil, err
	}
	hash, err := checkedHash(password)
	if err != nil {
		return nil, err
	}
	var u *keyhold.User
	ev := s.audit(ctx, "user.password_set", targetUser, "", email)
	ev.Changes = keyhold.Changes{"password": keyhold.SecretChanged()}
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		found, err := tx.Users().GetUserByEmail(ctx, email)
		if err != nil {
			return err
		}
		if u, err = s.setPassword(ctx, tx, found.ID, hash); err != nil {
			return err
		}
		ev.TargetID = u.ID
		return tx.Audit().AppendAuditEvent(ctx, ev)
	})
	return u, err
}

// SetUserActive implements keyhold.SessionService.
func (s *Sessions) SetUserActive(ctx context.Context, id string, active bool) (_ *keyhold.User, err error) {
	defer s.denied(ctx, activeAction(active), &err)
	if err = s.authorize(ctx, "SetUserActive", false); err != nil {
		return nil, err
	}
	if err := validID("userId", id); err != nil {
		return nil, err
	}
	action := "user.deactivated"
	if active {
		action = "user.activated"
	}
	var u *keyhold.User
	ev := s.audit(ctx, action, targetUser, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if u, err = tx.Users().GetUser(ctx, id); err != nil {
			return err
		}
		// Activating lets the user's tokens and password work again.
		if active && !u.Active {
			if err := s.mayActAs(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: id}, "Activating them"); err != nil {
				return err
			}
		}
		if !active {
			if err := keepAnAdmin(ctx, tx, "", id); err != nil {
				return err
			}
			if err := tx.Sessions().DeleteUserSessions(ctx, id); err != nil {
				return err
			}
		}
		// An admin's decision supersedes a pending invitation.
		ev.Changes = keyhold.Changes{}.Add("active", u.Active, active).Add("invited", u.Invited, false)
		u.Active, u.Invited, u.UpdatedAt, ev.TargetName = active, false, s.clock(), u.Email
		if err := tx.Users().UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeUser, id, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
