package store

import (
	"context"
	"strings"

	"github.com/keyhold/keyhold"
)

var userMsgs = msgs{
	notFound: "The requested user was not found",
	conflict: "A user with this email already exists",
}

const userCols = `u.id, u.email, u.full_name, u.preferred_name, u.active, u.inferred_region,
	u.password_hash, u.created_at, u.updated_at, u.invited, COALESCE(u.uid_number, 0)`

func scanUser(s scanner, extra ...any) (*keyhold.User, error) {
	var u keyhold.User
	err := s.Scan(append([]any{&u.ID, &u.Email, &u.FullName, &u.PreferredName, &u.Active,
		&u.InferredRegion, &u.PasswordHash, scanTime{&u.CreatedAt}, scanTime{&u.UpdatedAt}, &u.Invited, &u.UIDNumber}, extra...)...)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser stores u with the next uidNumber, which it sets; ECONFLICT
// when the folded email is taken.
func (t *tx) CreateUser(ctx context.Context, u *keyhold.User) error {
	uid, err := t.nextPOSIX(ctx, posixUID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO users (id, email, email_fold, full_name, full_name_fold,
		preferred_name, active, inferred_region, password_hash, created_at, updated_at, invited, uid_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.ID, u.Email, strings.ToLower(u.Email), u.FullName, strings.ToLower(u.FullName),
		u.PreferredName, u.Active, u.InferredRegion, u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt), u.Invited, uid)
	if err == nil {
		u.UIDNumber = uid
	}
	return t.translate("create user", err, userMsgs)
}

// GetUser returns one user; ENOTFOUND.
func (t *tx) GetUser(ctx context.Context, id string) (*keyhold.User, error) {
	u, err := scanUser(t.tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = $1`, id))
	if err != nil {
		return nil, t.translate("get user", err, userMsgs)
	}
	return u, nil
}

// GetUserByEmail returns the user of that email, compared case-insensitively
// as emails are unique that way; ENOTFOUND.
func (t *tx) GetUserByEmail(ctx context.Context, email string) (*keyhold.User, error) {
	u, err := scanUser(t.tx.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users u WHERE u.email_fold = $1`, strings.ToLower(email)))
	if err != nil {
		return nil, t.translate("get user by email", err, userMsgs)
	}
	return u, nil
}

// ListUsers returns a page of users, oldest first, and the total.
func (t *tx) ListUsers(ctx context.Context, f keyhold.UserFilter) ([]*keyhold.User, int, error) {
	return t.listUsers(ctx, "list users", "users u", &where{}, f)
}

// ListTeamUsers returns a page of a team's users. A missing team has no
// users; the caller checks it exists.
func (t *tx) ListTeamUsers(ctx context.Context, teamID string, f keyhold.UserFilter) ([]*keyhold.User, int, error) {
	w := &where{}
	w.add("m.team_id = %s", teamID)
	return t.listUsers(ctx, "list team users", "users u JOIN team_members m ON m.user_id = u.id", w, f)
}

func (t *tx) listUsers(ctx context.Context, op, from string, w *where, f keyhold.UserFilter) ([]*keyhold.User, int, error) {
	if f.ID != nil {
		w.add("u.id = %s", *f.ID)
	}
	if err := w.str("u.email", "u.email_fold", f.Email); err != nil {
		return nil, 0, err
	}
	if err := w.str("u.full_name", "u.full_name_fold", f.FullName); err != nil {
		return nil, 0, err
	}
	if f.Active != nil {
		w.add("u.active = %s", *f.Active)
	}
	return list(ctx, t, listQuery{op: op, cols: userCols, from: from, w: w,
		order: "u.created_at, u.id", page: f.Page}, scanUser)
}

// UpdateUser writes every field but id and created_at; ENOTFOUND, ECONFLICT.
func (t *tx) UpdateUser(ctx context.Context, u *keyhold.User) error {
	return t.execOne(ctx, "update user", userMsgs, `UPDATE users
		SET email = $1, email_fold = $2, full_name = $3, full_name_fold = $4, preferred_name = $5,
		active = $6, inferred_region = $7, password_hash = $8, updated_at = $9, invited = $10
		WHERE id = $11`,
		u.Email, strings.ToLower(u.Email), u.FullName, strings.ToLower(u.FullName), u.PreferredName,
		u.Active, u.InferredRegion, u.PasswordHash, ts(u.UpdatedAt), u.Invited, u.ID)
}

// DeleteUser deletes a user with their tokens, assignments and memberships.
// ENOTFOUND.
func (t *tx) DeleteUser(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete user", userMsgs, `DELETE FROM users WHERE id = $1`, id)
}
