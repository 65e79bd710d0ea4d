package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

var memberMsgs = msgs{
	notFound: "The principal is not a member of this team",
	conflict: "The principal is already a member of this team",
	missing:  "The team or the member was not found",
}

// AddTeamMember makes an account or a user a member of a team; ECONFLICT
// when it already is, ENOTFOUND when the team or the member does not exist.
func (t *tx) AddTeamMember(ctx context.Context, teamID string, member keyhold.Ref, at time.Time) error {
	if _, ok := memberColumn(member.Type); !ok {
		return keyhold.Errorf(keyhold.EINVALID, "Only system accounts and users are team members")
	}
	account, _, user := principalArgs(member)
	_, err := t.exec(ctx, `INSERT INTO team_members (team_id, account_id, user_id, created_at)
		VALUES ($1, $2, $3, $4)`, teamID, account, user, ts(at))
	return t.translate("add team member", err, memberMsgs)
}

// RemoveTeamMember ends a membership; ENOTFOUND when there is none.
func (t *tx) RemoveTeamMember(ctx context.Context, teamID string, member keyhold.Ref) error {
	col, ok := memberColumn(member.Type)
	if !ok {
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: memberMsgs.notFound}
	}
	return t.execOne(ctx, "remove team member", memberMsgs,
		`DELETE FROM team_members WHERE team_id = $1 AND `+col+` = $2`, teamID, member.ID)
}

// ListMemberTeamIDs returns the ids of every team of an account or a user,
// in no particular order.
func (t *tx) ListMemberTeamIDs(ctx context.Context, member keyhold.Ref) ([]string, error) {
	col, ok := memberColumn(member.Type)
	if !ok {
		return nil, keyhold.Errorf(keyhold.EINVALID, "Only system accounts and users are team members")
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT team_id FROM team_members WHERE `+col+` = $1`, member.ID)
	if err != nil {
		return nil, fmt.Errorf("list member team ids: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list member team ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list member team ids: %w", err)
	}
	return ids, nil
}

// CountTeamMembers counts the accounts and the users of each of teamIDs
// with one query; teams without members have no entry.
func (t *tx) CountTeamMembers(ctx context.Context, teamIDs []string) (map[string]keyhold.MemberCount, error) {
	counts := make(map[string]keyhold.MemberCount, len(teamIDs))
	if len(teamIDs) == 0 {
		return counts, nil
	}
	w := &where{}
	ph := make([]string, len(teamIDs))
	for i, id := range teamIDs {
		ph[i] = w.arg(id)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT team_id, COUNT(account_id), COUNT(user_id)
		FROM team_members WHERE team_id IN (`+strings.Join(ph, ", ")+`) GROUP BY team_id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("count team members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c keyhold.MemberCount
		if err := rows.Scan(&id, &c.Accounts, &c.Users); err != nil {
			return nil, fmt.Errorf("count team members: %w", err)
		}
		counts[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count team members: %w", err)
	}
	return counts, nil
}
