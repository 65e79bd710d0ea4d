package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/keyhold/keyhold"
)

var teamMsgs = msgs{
	notFound: "The requested team was not found",
	conflict: "A team with this system key already exists",
}

const teamCols = `t.id, t.name, t.description, t.system_team, t.system_key, t.created_at, t.updated_at,
	COALESCE(t.gid_number, 0)`

func scanTeam(s scanner, extra ...any) (*keyhold.Team, error) {
	var tm keyhold.Team
	var desc sql.NullString
	err := s.Scan(append([]any{&tm.ID, &tm.Name, &desc, &tm.SystemTeam, &tm.SystemKey,
		scanTime{&tm.CreatedAt}, scanTime{&tm.UpdatedAt}, &tm.GIDNumber}, extra...)...)
	if err != nil {
		return nil, err
	}
	if desc.Valid {
		tm.Description = &desc.String
	}
	tm.Labels = map[string]string{}
	return &tm, nil
}

// CreateTeam stores tm with its labels and the next gidNumber, which it
// sets. Names may repeat; ECONFLICT when
// the non-empty system key is taken.
func (t *tx) CreateTeam(ctx context.Context, tm *keyhold.Team) error {
	gid, err := t.nextPOSIX(ctx, posixGID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO teams (id, name, name_fold, description, system_team,
		system_key, created_at, updated_at, gid_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tm.ID, tm.Name, strings.ToLower(tm.Name), tm.Description, tm.SystemTeam,
		tm.SystemKey, ts(tm.CreatedAt), ts(tm.UpdatedAt), gid)
	if err != nil {
		return t.translate("create team", err, teamMsgs)
	}
	tm.GIDNumber = gid
	return t.insertLabels(ctx, tm.ID, tm.Labels)
}

// insertLabels stores labels in one statement.
func (t *tx) insertLabels(ctx context.Context, teamID string, labels map[string]string) error {
	if len(labels) == 0 {
		return nil
	}
	w := &where{}
	rows := make([]string, 0, len(labels))
	for k, v := range labels {
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s)",
			w.arg(teamID), w.arg(k), w.arg(v), w.arg(strings.ToLower(v))))
	}
	_, err := t.exec(ctx, `INSERT INTO team_labels (team_id, key, value, value_fold) VALUES `+
		strings.Join(rows, ", "), w.args...)
	return t.translate("insert team labels", err, teamMsgs)
}

// loadLabels fills the labels of teams with one query.
func (t *tx) loadLabels(ctx context.Context, teams ...*keyhold.Team) error {
	if len(teams) == 0 {
		return nil
	}
	byID := make(map[string]*keyhold.Team, len(teams))
	w := &where{}
	ph := make([]string, len(teams))
	for i, tm := range teams {
		byID[tm.ID] = tm
		ph[i] = w.arg(tm.ID)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT team_id, key, value FROM team_labels
		WHERE team_id IN (`+strings.Join(ph, ", ")+`)`, w.args...)
	if err != nil {
		return fmt.Errorf("load team labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return fmt.Errorf("load team labels: %w", err)
		}
		byID[id].Labels[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load team labels: %w", err)
	}
	return nil
}

// GetTeam returns one team with its labels; ENOTFOUND.
func (t *tx) GetTeam(ctx context.Context, id string) (*keyhold.Team, error) {
	tm, err := scanTeam(t.tx.QueryRowContext(ctx, `SELECT `+teamCols+` FROM teams t WHERE t.id = $1`, id))
	if err != nil {
		return nil, t.translate("get team", err, teamMsgs)
	}
	if err := t.loadLabels(ctx, tm); err != nil {
		return nil, err
	}
	return tm, nil
}

// GetTeamBySystemKey returns the predefined team of a non-empty system
// key, with its labels; ENOTFOUND.
func (t *tx) GetTeamBySystemKey(ctx context.Context, key string) (*keyhold.Team, error) {
	tm, err := scanTeam(t.tx.QueryRowContext(ctx, `SELECT `+teamCols+` FROM teams t
		WHERE t.system_key = $1 AND t.system_key <> ''`, key))
	if err != nil {
		return nil, t.translate("get team by system key", err, teamMsgs)
	}
	if err := t.loadLabels(ctx, tm); err != nil {
		return nil, err
	}
	return tm, nil
}

// ListTeams returns a page of teams, oldest first (or as f.ByName says),
// and the total.
func (t *tx) ListTeams(ctx context.Context, f keyhold.TeamFilter) ([]*keyhold.Team, int, error) {
	return t.listTeams(ctx, "list teams", "teams t", &where{}, f)
}

// ListMemberTeams returns a page of the teams of an account or a user.
func (t *tx) ListMemberTeams(ctx context.Context, member keyhold.Ref, f keyhold.TeamFilter) ([]*keyhold.Team, int, error) {
	col, ok := memberColumn(member.Type)
	if !ok {
		return nil, 0, keyhold.Errorf(keyhold.EINVALID, "Only system accounts and users are team members")
	}
	w := &where{}
	w.add("m."+col+" = %s", member.ID)
	return t.listTeams(ctx, "list member teams", "teams t JOIN team_members m ON m.team_id = t.id", w, f)
}

func (t *tx) listTeams(ctx context.Context, op, from string, w *where, f keyhold.TeamFilter) ([]*keyhold.Team, int, error) {
	if err := w.str("t.name", "t.name_fold", f.Name); err != nil {
		return nil, 0, err
	}
	for _, lf := range f.Labels {
		if err := labelCond(w, lf); err != nil {
			return nil, 0, err
		}
	}
	order := "t.created_at, t.id"
	if f.ByName {
		order = "t.system_team, t.name_fold, t.id"
	}
	teams, total, err := list(ctx, t, listQuery{op: op, cols: teamCols, from: from, w: w,
		order: order, page: f.Page}, scanTeam)
	if err != nil {
		return nil, 0, err
	}
	if err := t.loadLabels(ctx, teams...); err != nil {
		return nil, 0, err
	}
	return teams, total, nil
}

// labelCond adds a filter on one label: eq matches its value exactly,
// contains a case-insensitive substring of it, exists only its key.
func labelCond(w *where, lf keyhold.LabelFilter) error {
	const sub = "EXISTS (SELECT 1 FROM team_labels l WHERE l.team_id = t.id AND l.key = %s"
	switch lf.Op {
	case keyhold.OpEq:
		w.add(sub+" AND l.value = %s)", lf.Key, lf.Value)
	case keyhold.OpContains:
		w.add(sub+` AND l.value_fold LIKE %s ESCAPE '\')`, lf.Key, containsPattern(lf.Value))
	case keyhold.OpExists:
		w.add(sub+")", lf.Key)
	default:
		return keyhold.Errorf(keyhold.EINVALID, "Unsupported label filter operator %q", lf.Op)
	}
	return nil
}

// UpdateTeam writes name, description and updated_at, and replaces the
// labels with tm.Labels; ENOTFOUND.
func (t *tx) UpdateTeam(ctx context.Context, tm *keyhold.Team) error {
	err := t.execOne(ctx, "update team", teamMsgs, `UPDATE teams
		SET name = $1, name_fold = $2, description = $3, updated_at = $4 WHERE id = $5`,
		tm.Name, strings.ToLower(tm.Name), tm.Description, ts(tm.UpdatedAt), tm.ID)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM team_labels WHERE team_id = $1`, tm.ID); err != nil {
		return fmt.Errorf("update team labels: %w", err)
	}
	return t.insertLabels(ctx, tm.ID, tm.Labels)
}

// DeleteTeam deletes a team with its labels, memberships and assignments;
// ENOTFOUND.
func (t *tx) DeleteTeam(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete team", teamMsgs, `DELETE FROM teams WHERE id = $1`, id)
}
