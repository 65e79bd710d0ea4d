package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// The Scan methods load the in-memory index at start: up to a million
// tokens, so each runs one query without ORDER BY, streams its rows, and
// scans every row into one struct whose pointer fn receives. Strings, byte
// slices and optional times are fresh for every row, so fn may keep them
// (or copy the struct); it must not keep the pointer. Fields a scan does not
// read are zero.

// scanRows runs query and, for each row, scans it into dest and calls each.
// An error of each is returned as is.
func (t *tx) scanRows(ctx context.Context, op, query string, args []any, dest []any, each func() error) error {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := each(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// times is a select list of time columns in the dialect's fastest form.
func (t *tx) times(cols ...string) string {
	for i, c := range cols {
		cols[i] = t.d.rawTime(c)
	}
	return strings.Join(cols, ", ")
}

// ScanTokens streams every token that is neither revoked nor expired at
// now, in no particular order, with what the index needs: ID, Kind, Owner,
// Digest, CreatedAt, ExpiresAt and Intent. Name, UpdatedAt and LastUsedAt are left
// zero, and RevokedAt and RevokedBy are nil: the other columns cost a third
// more time over a million tokens, and LastUsedAt is stale at once anyway.
func (t *tx) ScanTokens(ctx context.Context, now time.Time, fn func(*keyhold.Token) error) error {
	var k keyhold.Token
	var kind, scope, cidrs, intent sql.RawBytes
	dest := []any{&k.ID, &kind, &k.Owner.ID, &k.Digest, scanTime{&k.CreatedAt}, scanNullTime{&k.ExpiresAt}, scanNullTime{&k.RotationDeadline},
		&scope, &cidrs, &intent}
	// The kind tells which owner column is set, so one will do.
	return t.scanRows(ctx, "scan tokens", `SELECT k.id, k.kind, COALESCE(k.account_id, k.user_id),
		k.digest, `+t.times("k.created_at", "k.expires_at", "k.rotation_deadline")+`, k.scope, k.allowed_cidrs, k.intent
		FROM tokens k WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $1)
		AND (k.rotation_deadline IS NULL OR k.rotation_deadline > $1)`,
		[]any{ts(now)}, dest, func() error {
			k.Kind = tokenKind(kind)
			k.Owner.Type = keyhold.PrincipalSystemAccount
			if k.Kind == keyhold.TokenKindPersonal {
				k.Owner.Type = keyhold.PrincipalUser
			}
			k.Name, k.UpdatedAt, k.LastUsedAt, k.RevokedAt, k.RevokedBy = "", time.Time{}, nil, nil, nil
			k.Intent = keyhold.IntentAPI
			if string(intent) == keyhold.IntentAppPassword {
				k.Intent = keyhold.IntentAppPassword
			}
			if err := decodeRestrictions(&k, scope, cidrs); err != nil {
				return err
			}
			return fn(&k)
		})
}

// ScanSystemAccounts streams every system account, in no particular order.
func (t *tx) ScanSystemAccounts(ctx context.Context, fn func(*keyhold.SystemAccount) error) error {
	var a keyhold.SystemAccount
	var managedType sql.RawBytes
	dest := []any{&a.ID, &a.Name, &a.Description, &a.KonnectManaged, &managedType,
		&a.ManagedBy.ID, &a.Disabled, scanTime{&a.CreatedAt}, scanTime{&a.UpdatedAt}, &a.UIDNumber}
	return t.scanRows(ctx, "scan system accounts", `SELECT a.id, a.name, a.description, a.konnect_managed,
		a.managed_by_type, a.managed_by_id, a.disabled, `+t.times("a.created_at", "a.updated_at")+`,
		COALESCE(a.uid_number, 0) FROM system_accounts a`,
		nil, dest, func() error {
			a.ManagedBy.Type = principalType(managedType)
			return fn(&a)
		})
}

// ScanUsers streams every user, in no particular order.
func (t *tx) ScanUsers(ctx context.Context, fn func(*keyhold.User) error) error {
	var u keyhold.User
	dest := []any{&u.ID, &u.Email, &u.FullName, &u.PreferredName, &u.Active,
		&u.InferredRegion, &u.PasswordHash, scanTime{&u.CreatedAt}, scanTime{&u.UpdatedAt}, &u.UIDNumber}
	return t.scanRows(ctx, "scan users", `SELECT u.id, u.email, u.full_name,
		u.preferred_name, u.active, u.inferred_region, u.password_hash, `+
		t.times("u.created_at", "u.updated_at")+`, COALESCE(u.uid_number, 0) FROM users u`, nil, dest,
		func() error { return fn(&u) })
}

// ScanTeams streams every team, in no particular order, without labels:
// Labels is nil, as the index needs only ids and system keys.
func (t *tx) ScanTeams(ctx context.Context, fn func(*keyhold.Team) error) error {
	var tm keyhold.Team
	var desc sql.NullString
	dest := []any{&tm.ID, &tm.Name, &desc, &tm.SystemTeam, &tm.SystemKey,
		scanTime{&tm.CreatedAt}, scanTime{&tm.UpdatedAt}, &tm.GIDNumber}
	return t.scanRows(ctx, "scan teams", `SELECT t.id, t.name, t.description, t.system_team,
		t.system_key, `+t.times("t.created_at", "t.updated_at")+`, COALESCE(t.gid_number, 0) FROM teams t`, nil, dest, func() error {
		tm.Description = nil
		if desc.Valid {
			d := desc.String
			tm.Description = &d
		}
		tm.Labels = nil
		return fn(&tm)
	})
}

// ScanAssignedRoles streams every role assignment, in no particular order.
func (t *tx) ScanAssignedRoles(ctx context.Context, fn func(*keyhold.AssignedRole) error) error {
	var r keyhold.AssignedRole
	var account, team, user sql.NullString
	dest := []any{&r.ID, &account, &team, &user, &r.RoleName, &r.EntityTypeName,
		&r.EntityID, &r.EntityRegion, scanTime{&r.CreatedAt}}
	return t.scanRows(ctx, "scan assigned roles", `SELECT r.id, r.account_id, r.team_id,
		r.user_id, r.role_name, r.entity_type_name, r.entity_id, r.entity_region, `+
		t.times("r.created_at")+` FROM assigned_roles r`,
		nil, dest, func() error {
			r.Principal = principalRef(account, team, user)
			return fn(&r)
		})
}

// ScanMemberships streams every team membership, in no particular order.
func (t *tx) ScanMemberships(ctx context.Context, fn func(teamID string, member keyhold.Ref) error) error {
	var teamID string
	var account, user sql.NullString
	return t.scanRows(ctx, "scan memberships", `SELECT team_id, account_id, user_id FROM team_members`,
		nil, []any{&teamID, &account, &user}, func() error {
			return fn(teamID, principalRef(account, sql.NullString{}, user))
		})
}

// tokenKind returns the TokenKind named by b, without allocating for the
// known kinds.
func tokenKind(b []byte) keyhold.TokenKind {
	switch string(b) {
	case string(keyhold.TokenKindSystemAccount):
		return keyhold.TokenKindSystemAccount
	case string(keyhold.TokenKindPersonal):
		return keyhold.TokenKindPersonal
	}
	return keyhold.TokenKind(b)
}

// principalType returns the PrincipalType named by b, without allocating
// for the known types.
func principalType(b []byte) keyhold.PrincipalType {
	switch string(b) {
	case "":
		return ""
	case string(keyhold.PrincipalUser):
		return keyhold.PrincipalUser
	case string(keyhold.PrincipalSystemAccount):
		return keyhold.PrincipalSystemAccount
	case string(keyhold.PrincipalTeam):
		return keyhold.PrincipalTeam
	}
	return keyhold.PrincipalType(b)
}
