package store_test

import (
	"database/sql"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// countRows returns the number of rows of each table, read under the store.
func countRows(t *testing.T, raw *sql.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"system_accounts", "users", "teams", "tokens", "team_labels", "team_members", "assigned_roles"} {
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestCascade deletes each kind of principal in one statement and checks
// that everything hanging off it went too, and nothing else.
func TestCascade(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db, u := storetest.OpenURL(t, b)
			raw := storetest.Raw(t, u)

			team := newTeam(t, db, "Ops", map[string]string{"a": "1", "b": "2"}, 0)
			keep := newTeam(t, db, "Keep", nil, 0)
			acct := newAccount(t, db, "bot", 0)
			user := newUser(t, db, "u@example.com", 0)
			newToken(t, db, accountRef(acct), "t1", 0)
			newToken(t, db, accountRef(acct), "t2", 0)
			newToken(t, db, userRef(user), "pat", 0)
			newRole(t, db, accountRef(acct), "Admin", "Portals", 0)
			newRole(t, db, userRef(user), "Admin", "Portals", 0)
			newRole(t, db, teamRef(team), "Admin", "Portals", 0)
			newRole(t, db, teamRef(keep), "Admin", "Portals", 0)
			write(t, db, func(tx storage.Tx) error {
				for _, m := range []struct {
					team string
					ref  keyhold.Ref
				}{{team.ID, accountRef(acct)}, {team.ID, userRef(user)}, {keep.ID, accountRef(acct)}, {keep.ID, userRef(user)}} {
					if err := tx.Teams().AddTeamMember(ctx, m.team, m.ref, t0); err != nil {
						return err
					}
				}
				return nil
			})
			equal(t, "before", countRows(t, raw), map[string]int{"system_accounts": 1, "users": 1, "teams": 2,
				"tokens": 3, "team_labels": 2, "team_members": 4, "assigned_roles": 4})

			write(t, db, func(tx storage.Tx) error { return tx.Accounts().DeleteSystemAccount(ctx, acct.ID) })
			equal(t, "account deleted", countRows(t, raw), map[string]int{"system_accounts": 0, "users": 1, "teams": 2,
				"tokens": 1, "team_labels": 2, "team_members": 2, "assigned_roles": 3})

			write(t, db, func(tx storage.Tx) error { return tx.Teams().DeleteTeam(ctx, team.ID) })
			equal(t, "team deleted", countRows(t, raw), map[string]int{"system_accounts": 0, "users": 1, "teams": 1,
				"tokens": 1, "team_labels": 0, "team_members": 1, "assigned_roles": 2})

			write(t, db, func(tx storage.Tx) error { return tx.Users().DeleteUser(ctx, user.ID) })
			equal(t, "user deleted", countRows(t, raw), map[string]int{"system_accounts": 0, "users": 0, "teams": 1,
				"tokens": 0, "team_labels": 0, "team_members": 0, "assigned_roles": 1})
		})
	}
}
