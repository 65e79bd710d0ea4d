package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestTeamCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tm := &keyhold.Team{ID: newID(), Name: "Platform", Description: ptr("Runs things"),
			SystemTeam: true, SystemKey: "platform", Labels: map[string]string{"env": "prod", "tier": "1"},
			CreatedAt: t0, UpdatedAt: t0}
		write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, tm) })

		get := func(t *testing.T, id string) *keyhold.Team {
			var got *keyhold.Team
			read(t, db, func(tx storage.Tx) (err error) { got, err = tx.Teams().GetTeam(ctx, id); return err })
			return got
		}
		t.Run("OK", func(t *testing.T) {
			equal(t, "team", get(t, tm.ID), tm)
			// Names may repeat; descriptions may be absent; labels are never nil.
			plain := newTeam(t, db, "Platform", nil, 1)
			equal(t, "plain team", get(t, plain.ID), plain)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error { _, err := tx.Teams().GetTeam(ctx, newID()); return err }), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().UpdateTeam(ctx, &keyhold.Team{ID: newID(), Name: "x", UpdatedAt: t0})
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Teams().DeleteTeam(ctx, newID()) }), keyhold.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().CreateTeam(ctx, &keyhold.Team{ID: newID(), Name: "Again", SystemKey: "platform", CreatedAt: t0, UpdatedAt: t0})
			}), keyhold.ECONFLICT)
		})
		t.Run("UpdateReplacesLabels", func(t *testing.T) {
			tm.Name, tm.Description, tm.UpdatedAt = "Platform Team", nil, at(4)
			tm.Labels = map[string]string{"env": "staging", "owner": "ops"}
			write(t, db, func(tx storage.Tx) error { return tx.Teams().UpdateTeam(ctx, tm) })
			equal(t, "updated", get(t, tm.ID), tm)
			tm.Labels = map[string]string{}
			write(t, db, func(tx storage.Tx) error { return tx.Teams().UpdateTeam(ctx, tm) })
			equal(t, "labels cleared", get(t, tm.ID), tm)
		})
	})
}

func TestListTeams(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := newTeam(t, db, "Backend", map[string]string{"env": "Prod-EU", "tier": "1"}, 2)
		a := newTeam(t, db, "API 50%", map[string]string{"env": "prod"}, 1)
		c := newTeam(t, db, "Console", nil, 3)

		for _, tc := range []struct {
			name  string
			f     keyhold.TeamFilter
			want  []*keyhold.Team
			total int
		}{
			{"All", keyhold.TeamFilter{}, []*keyhold.Team{a, b, c}, 3},
			{"NameEq", keyhold.TeamFilter{Name: eq("Console")}, []*keyhold.Team{c}, 1},
			{"NameContains", keyhold.TeamFilter{Name: contains("n")}, []*keyhold.Team{b, c}, 2},
			{"NameContainsPercent", keyhold.TeamFilter{Name: contains("0%")}, []*keyhold.Team{a}, 1},
			{"LabelEq", keyhold.TeamFilter{Labels: []keyhold.LabelFilter{{Key: "env", Op: keyhold.OpEq, Value: "prod"}}}, []*keyhold.Team{a}, 1},
			{"LabelContains", keyhold.TeamFilter{Labels: []keyhold.LabelFilter{{Key: "env", Op: keyhold.OpContains, Value: "PROD"}}}, []*keyhold.Team{a, b}, 2},
			{"LabelExists", keyhold.TeamFilter{Labels: []keyhold.LabelFilter{{Key: "tier", Op: keyhold.OpExists}}}, []*keyhold.Team{b}, 1},
			{"LabelsAnd", keyhold.TeamFilter{Labels: []keyhold.LabelFilter{
				{Key: "env", Op: keyhold.OpContains, Value: "prod"}, {Key: "tier", Op: keyhold.OpEq, Value: "1"}}}, []*keyhold.Team{b}, 1},
			{"LabelOtherKey", keyhold.TeamFilter{Labels: []keyhold.LabelFilter{{Key: "tier", Op: keyhold.OpEq, Value: "prod"}}}, []*keyhold.Team{}, 0},
			{"Page", keyhold.TeamFilter{Page: page(2, 2)}, []*keyhold.Team{c}, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Teams().ListTeams(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "teams", items, tc.want)
					equal(t, "total", total, tc.total)
					return nil
				})
			})
		}
	})
}

func TestListTeamsByName(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := &keyhold.Team{ID: newID(), Name: "Admins", SystemTeam: true, SystemKey: "admins",
			Labels: map[string]string{}, CreatedAt: at(0), UpdatedAt: at(0)}
		write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, sys) })
		zeta := newTeam(t, db, "zeta", nil, 1)
		beta := newTeam(t, db, "Beta", nil, 2)
		alpha := newTeam(t, db, "alpha", nil, 3)
		for _, tc := range []struct {
			name  string
			f     keyhold.TeamFilter
			want  []*keyhold.Team
			total int
		}{
			{"CustomFirstFolded", keyhold.TeamFilter{ByName: true, Page: page(1, 100)}, []*keyhold.Team{alpha, beta, zeta, sys}, 4},
			{"Page", keyhold.TeamFilter{ByName: true, Page: page(2, 2)}, []*keyhold.Team{zeta, sys}, 4},
			{"Filtered", keyhold.TeamFilter{ByName: true, Name: contains("TA"), Page: page(1, 100)}, []*keyhold.Team{beta, zeta}, 2},
			{"Oldest", keyhold.TeamFilter{Page: page(1, 100)}, []*keyhold.Team{sys, zeta, beta, alpha}, 4},
		} {
			t.Run(tc.name, func(t *testing.T) {
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Teams().ListTeams(ctx, tc.f)
					equal(t, "teams", items, tc.want)
					equal(t, "total", total, tc.total)
					return err
				})
			})
		}
	})
}

func TestTeamMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		team := newTeam(t, db, "Ops", nil, 0)
		other := newTeam(t, db, "Dev", map[string]string{"k": "v"}, 1)
		acct := newAccount(t, db, "bot", 0)
		acct2 := newAccount(t, db, "bot2", 1)
		user := newUser(t, db, "u@example.com", 0)
		write(t, db, func(tx storage.Tx) error {
			for _, m := range []struct {
				team string
				ref  keyhold.Ref
			}{{team.ID, accountRef(acct)}, {team.ID, accountRef(acct2)}, {team.ID, userRef(user)}, {other.ID, accountRef(acct)}} {
				if err := tx.Teams().AddTeamMember(ctx, m.team, m.ref, t0); err != nil {
					return err
				}
			}
			return nil
		})

		t.Run("Lists", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				accts, total, err := tx.Teams().ListTeamSystemAccounts(ctx, team.ID, keyhold.SystemAccountFilter{Page: page(1, 10)})
				equal(t, "accounts", accts, []*keyhold.SystemAccount{acct, acct2})
				equal(t, "total", total, 2)
				if err != nil {
					return err
				}
				accts, total, err = tx.Teams().ListTeamSystemAccounts(ctx, team.ID, keyhold.SystemAccountFilter{Name: eq("bot2"), Page: page(1, 10)})
				equal(t, "filtered accounts", accts, []*keyhold.SystemAccount{acct2})
				equal(t, "total", total, 1)
				if err != nil {
					return err
				}
				users, total, err := tx.Teams().ListTeamUsers(ctx, team.ID, keyhold.UserFilter{Page: page(1, 10)})
				equal(t, "users", users, []*keyhold.User{user})
				equal(t, "total", total, 1)
				if err != nil {
					return err
				}
				teams, total, err := tx.Teams().ListMemberTeams(ctx, accountRef(acct), keyhold.TeamFilter{Page: page(1, 10)})
				equal(t, "teams", teams, []*keyhold.Team{team, other})
				equal(t, "total", total, 2)
				if err != nil {
					return err
				}
				teams, _, err = tx.Teams().ListMemberTeams(ctx, userRef(user), keyhold.TeamFilter{Name: contains("OP"), Page: page(1, 10)})
				equal(t, "user teams", teams, []*keyhold.Team{team})
				return err
			})
		})
		t.Run("Counts", func(t *testing.T) {
			empty := newTeam(t, db, "Empty", nil, 2)
			read(t, db, func(tx storage.Tx) error {
				counts, err := tx.Teams().CountTeamMembers(ctx, []string{team.ID, other.ID, empty.ID, newID()})
				equal(t, "counts", counts, map[string]keyhold.MemberCount{
					team.ID: {Accounts: 2, Users: 1}, other.ID: {Accounts: 1}})
				if err != nil {
					return err
				}
				counts, err = tx.Teams().CountTeamMembers(ctx, nil)
				equal(t, "no teams", counts, map[string]keyhold.MemberCount{})
				return err
			})
		})
		t.Run("ErrConflict", func(t *testing.T) {
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().AddTeamMember(ctx, team.ID, userRef(user), t0)
			}), keyhold.ECONFLICT)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().AddTeamMember(ctx, newID(), userRef(user), t0)
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().AddTeamMember(ctx, team.ID, keyhold.Ref{Type: keyhold.PrincipalUser, ID: newID()}, t0)
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Teams().RemoveTeamMember(ctx, other.ID, userRef(user))
			}), keyhold.ENOTFOUND)
		})
		t.Run("Remove", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error { return tx.Teams().RemoveTeamMember(ctx, team.ID, accountRef(acct2)) })
			read(t, db, func(tx storage.Tx) error {
				accts, total, err := tx.Teams().ListTeamSystemAccounts(ctx, team.ID, keyhold.SystemAccountFilter{Page: page(1, 10)})
				equal(t, "accounts", accts, []*keyhold.SystemAccount{acct})
				equal(t, "total", total, 1)
				return err
			})
		})
	})
}
