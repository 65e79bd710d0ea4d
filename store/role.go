package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

var roleMsgs = msgs{
	notFound: "The requested assigned role was not found",
	conflict: "The principal already has this role",
	missing:  "The principal of the role was not found",
}

const roleCols = `r.id, r.account_id, r.team_id, r.user_id, r.role_name, r.entity_type_name,
	r.entity_id, r.entity_region, r.created_at`

func scanRole(s scanner, extra ...any) (*keyhold.AssignedRole, error) {
	var r keyhold.AssignedRole
	var account, team, user sql.NullString
	err := s.Scan(append([]any{&r.ID, &account, &team, &user, &r.RoleName, &r.EntityTypeName,
		&r.EntityID, &r.EntityRegion, scanTime{&r.CreatedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	r.Principal = principalRef(account, team, user)
	return &r, nil
}

// CreateAssignedRole stores r; ECONFLICT when the principal already has
// that role on that entity (its id compared in any case) in that region,
// ENOTFOUND when the principal does not exist.
func (t *tx) CreateAssignedRole(ctx context.Context, r *keyhold.AssignedRole) error {
	if _, ok := principalColumn(r.Principal.Type); !ok {
		return keyhold.Errorf(keyhold.EINVALID, "Roles are assigned to system accounts, teams and users")
	}
	account, team, user := principalArgs(r.Principal)
	_, err := t.exec(ctx, `INSERT INTO assigned_roles (id, account_id, team_id, user_id, role_name,
		entity_type_name, entity_id, entity_region, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, account, team, user, r.RoleName, r.EntityTypeName, r.EntityID, r.EntityRegion, ts(r.CreatedAt))
	return t.translate("create assigned role", err, roleMsgs)
}

// GetAssignedRole returns the assignment id of p; ENOTFOUND when it does
// not exist or belongs to another principal.
func (t *tx) GetAssignedRole(ctx context.Context, p keyhold.Ref, id string) (*keyhold.AssignedRole, error) {
	col, ok := principalColumn(p.Type)
	if !ok {
		return nil, &keyhold.Error{Code: keyhold.ENOTFOUND, Message: roleMsgs.notFound}
	}
	r, err := scanRole(t.tx.QueryRowContext(ctx,
		`SELECT `+roleCols+` FROM assigned_roles r WHERE r.id = $1 AND r.`+col+` = $2`, id, p.ID))
	if err != nil {
		return nil, t.translate("get assigned role", err, roleMsgs)
	}
	return r, nil
}

// ListAssignedRoles returns all direct assignments of p, oldest first.
func (t *tx) ListAssignedRoles(ctx context.Context, p keyhold.Ref, f keyhold.AssignedRoleFilter) ([]*keyhold.AssignedRole, error) {
	col, ok := principalColumn(p.Type)
	if !ok {
		return nil, keyhold.Errorf(keyhold.EINVALID, "Roles are assigned to system accounts, teams and users")
	}
	w := &where{}
	w.add("r."+col+" = %s", p.ID)
	if f.EntityID != nil {
		// Entity ids are UUIDs, kept as sent and compared in any case.
		w.add("lower(r.entity_id) = %s", keyhold.FoldID(*f.EntityID))
	}
	if f.RoleName != nil {
		w.add("r.role_name = %s", *f.RoleName)
	}
	if f.EntityTypeName != nil {
		w.add("r.entity_type_name = %s", *f.EntityTypeName)
	}
	return t.queryRoles(ctx, "list assigned roles", w)
}

func (t *tx) queryRoles(ctx context.Context, op string, w *where) ([]*keyhold.AssignedRole, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+roleCols+` FROM assigned_roles r`+w.clause()+
		` ORDER BY r.created_at, r.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	roles := []*keyhold.AssignedRole{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		roles = append(roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return roles, nil
}

// EntityIDsInUse implements storage.Roles.
func (t *tx) EntityIDsInUse(ctx context.Context, entityType string, limit int) ([]string, error) {
	// Entity ids are kept as sent and compared in any case: one suggestion
	// per folded id, spelled as one of its assignments has it.
	rows, err := t.tx.QueryContext(ctx, `SELECT min(entity_id) FROM assigned_roles
		WHERE entity_type_name = $1 AND entity_id <> '*'
		GROUP BY lower(entity_id) ORDER BY count(*) DESC, lower(entity_id) LIMIT $2`, entityType, limit)
	if err != nil {
		return nil, fmt.Errorf("entity ids in use: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("entity ids in use: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entity ids in use: %w", err)
	}
	return ids, nil
}

// DeleteAssignedRole deletes the assignment id of p; ENOTFOUND.
func (t *tx) DeleteAssignedRole(ctx context.Context, p keyhold.Ref, id string) error {
	col, ok := principalColumn(p.Type)
	if !ok {
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: roleMsgs.notFound}
	}
	return t.execOne(ctx, "delete assigned role", roleMsgs,
		`DELETE FROM assigned_roles WHERE id = $1 AND `+col+` = $2`, id, p.ID)
}

// Grants returns what p holds: for an account or a user, its direct
// assignments, those of its teams and the system keys of its teams; for a
// team, its own assignments. Two queries, whatever the number of teams.
func (t *tx) Grants(ctx context.Context, p keyhold.Ref) (*keyhold.Grants, error) {
	col, ok := principalColumn(p.Type)
	if !ok {
		return nil, fmt.Errorf("grants: unsupported principal type %q", p.Type)
	}
	w := &where{}
	if p.Type == keyhold.PrincipalTeam {
		w.add("r.team_id = %s", p.ID)
		roles, err := t.queryRoles(ctx, "grants", w)
		if err != nil {
			return nil, err
		}
		return &keyhold.Grants{Roles: roles, SystemTeams: []string{}}, nil
	}
	w.add("(r."+col+" = %[1]s OR r.team_id IN (SELECT team_id FROM team_members WHERE "+col+" = %[1]s))", p.ID)
	roles, err := t.queryRoles(ctx, "grants", w)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT t.system_key FROM teams t
		JOIN team_members m ON m.team_id = t.id
		WHERE m.`+col+` = $1 AND t.system_key <> '' ORDER BY t.system_key`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	defer rows.Close()
	g := &keyhold.Grants{Roles: roles, SystemTeams: []string{}}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		g.SystemTeams = append(g.SystemTeams, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return g, nil
}
