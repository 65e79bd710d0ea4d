package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

func bulkAccounts(as []keyhold.SystemAccount) bulkTable {
	return bulkTable{name: "system_accounts", rows: len(as),
		cols: []string{"id", "name", "name_fold", "description", "description_fold",
			"konnect_managed", "managed_by_type", "managed_by_id", "created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			a := &as[i]
			return append(args, a.ID, a.Name, strings.ToLower(a.Name), a.Description,
				strings.ToLower(a.Description), a.KonnectManaged, string(a.ManagedBy.Type),
				a.ManagedBy.ID, ts(a.CreatedAt), ts(a.UpdatedAt)), nil
		}}
}

func bulkUsers(us []keyhold.User) bulkTable {
	return bulkTable{name: "users", rows: len(us),
		cols: []string{"id", "email", "email_fold", "full_name", "full_name_fold", "preferred_name",
			"active", "inferred_region", "password_hash", "created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			u := &us[i]
			return append(args, u.ID, u.Email, strings.ToLower(u.Email), u.FullName,
				strings.ToLower(u.FullName), u.PreferredName, u.Active, u.InferredRegion,
				u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt)), nil
		}}
}

func bulkTeams(teams []keyhold.Team) bulkTable {
	return bulkTable{name: "teams", rows: len(teams),
		cols: []string{"id", "name", "name_fold", "description", "system_team", "system_key",
			"created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			tm := &teams[i]
			return append(args, tm.ID, tm.Name, strings.ToLower(tm.Name), tm.Description,
				tm.SystemTeam, tm.SystemKey, ts(tm.CreatedAt), ts(tm.UpdatedAt)), nil
		}}
}

// bulkLabels flattens the labels of teams, in no particular order.
func bulkLabels(teams []keyhold.Team) bulkTable {
	type label struct{ team, key, value string }
	var labels []label
	for i := range teams {
		for k, v := range teams[i].Labels {
			labels = append(labels, label{teams[i].ID, k, v})
		}
	}
	return bulkTable{name: "team_labels", rows: len(labels),
		cols: []string{"team_id", "key", "value", "value_fold"},
		row: func(i int, args []any) ([]any, error) {
			l := &labels[i]
			return append(args, l.team, l.key, l.value, strings.ToLower(l.value)), nil
		}}
}

// bulkTokens inserts tokens in the order of their ids, so that the primary
// key's index, which cannot be deferred, grows at its end instead of at
// random places; the caller's slice is left as it is.
func bulkTokens(ks []keyhold.Token) bulkTable {
	order := make([]int32, len(ks))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(ks[a].ID, ks[b].ID) })
	return bulkTable{name: "tokens", rows: len(ks),
		cols: []string{"id", "kind", "account_id", "user_id", "name", "name_fold", "digest",
			"created_at", "updated_at", "expires_at", "last_used_at", "revoked_at", "revoked_by", "intent"},
		row: func(i int, args []any) ([]any, error) {
			k := &ks[order[i]]
			if !canBeMember(k.Owner.Type) {
				return nil, fmt.Errorf("token %s: owner type %q cannot hold tokens", k.ID, k.Owner.Type)
			}
			account, _, user := principalArgs(k.Owner)
			return append(args, k.ID, string(k.Kind), account, user, k.Name, strings.ToLower(k.Name),
				k.Digest, ts(k.CreatedAt), ts(k.UpdatedAt), nullTS(k.ExpiresAt),
				nullTS(k.LastUsedAt), nullTS(k.RevokedAt), k.RevokedBy, cmp.Or(k.Intent, keyhold.IntentAPI)), nil
		}}
}

func bulkMemberships(ms []Membership) bulkTable {
	return bulkTable{name: "team_members", rows: len(ms),
		cols: []string{"team_id", "account_id", "user_id", "created_at"},
		row: func(i int, args []any) ([]any, error) {
			m := &ms[i]
			if !canBeMember(m.Member.Type) {
				return nil, fmt.Errorf("membership of team %s: type %q cannot be a member", m.TeamID, m.Member.Type)
			}
			account, _, user := principalArgs(m.Member)
			return append(args, m.TeamID, account, user, ts(m.At)), nil
		}}
}

func bulkRoles(rs []keyhold.AssignedRole) bulkTable {
	return bulkTable{name: "assigned_roles", rows: len(rs),
		cols: []string{"id", "account_id", "team_id", "user_id", "role_name", "entity_type_name",
			"entity_id", "entity_region", "created_at"},
		row: func(i int, args []any) ([]any, error) {
			r := &rs[i]
			if !canBeMember(r.Principal.Type) && r.Principal.Type != keyhold.PrincipalTeam {
				return nil, fmt.Errorf("assigned role %s: type %q cannot hold roles", r.ID, r.Principal.Type)
			}
			account, team, user := principalArgs(r.Principal)
			return append(args, r.ID, account, team, user, r.RoleName, r.EntityTypeName,
				r.EntityID, r.EntityRegion, ts(r.CreatedAt)), nil
		}}
}

// ts prepares a time for writing as the store does: UTC, truncated to
// microseconds, which is what PostgreSQL keeps. On SQLite the write pool's
// connections (_time_format=sqlite) turn it into the store's text format.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS is ts for optional times.
func nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// canBeMember reports whether a principal of type pt can be a team member
// or own tokens: system accounts and users, not teams.
func canBeMember(pt keyhold.PrincipalType) bool {
	return pt == keyhold.PrincipalSystemAccount || pt == keyhold.PrincipalUser
}

// principalArgs returns the values of the account_id, team_id and user_id
// columns of tokens, team_members and assigned_roles for a reference: its
// id in its own column, NULL in the others.
func principalArgs(r keyhold.Ref) (account, team, user any) {
	switch r.Type {
	case keyhold.PrincipalSystemAccount:
		account = r.ID
	case keyhold.PrincipalTeam:
		team = r.ID
	case keyhold.PrincipalUser:
		user = r.ID
	}
	return account, team, user
}
