package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func newRole(t *testing.T, db *store.DB, p keyhold.Ref, role, entityType string, n int) *keyhold.AssignedRole {
	t.Helper()
	r := &keyhold.AssignedRole{ID: newID(), Principal: p, RoleName: role, EntityTypeName: entityType,
		EntityID: "*", EntityRegion: "*", CreatedAt: at(n)}
	write(t, db, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r) })
	return r
}

func TestAssignedRoles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "bot", 0)
		team := newTeam(t, db, "Ops", nil, 0)
		user := newUser(t, db, "u@example.com", 0)
		r2 := newRole(t, db, accountRef(acct), "Viewer", "Control Planes", 2)
		r1 := newRole(t, db, accountRef(acct), "Admin", "Control Planes", 1)
		r3 := &keyhold.AssignedRole{ID: newID(), Principal: accountRef(acct), RoleName: "Admin",
			EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "eu", CreatedAt: at(3)}
		write(t, db, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r3) })
		// The same assignment for other principals is no conflict.
		rt := newRole(t, db, teamRef(team), "Admin", "Control Planes", 1)
		ru := newRole(t, db, userRef(user), "Admin", "Control Planes", 1)

		t.Run("OK", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				for _, want := range []*keyhold.AssignedRole{r3, rt, ru} {
					got, err := tx.Roles().GetAssignedRole(ctx, want.Principal, want.ID)
					if err != nil {
						return err
					}
					equal(t, "role", got, want)
				}
				return nil
			})
		})
		t.Run("List", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				f    keyhold.AssignedRoleFilter
				want []*keyhold.AssignedRole
			}{
				{"All", keyhold.AssignedRoleFilter{}, []*keyhold.AssignedRole{r1, r2, r3}},
				{"RoleName", keyhold.AssignedRoleFilter{RoleName: ptr("Admin")}, []*keyhold.AssignedRole{r1, r3}},
				{"EntityID", keyhold.AssignedRoleFilter{EntityID: ptr("cp-1")}, []*keyhold.AssignedRole{r3}},
				{"EntityType", keyhold.AssignedRoleFilter{EntityTypeName: ptr("Portals")}, []*keyhold.AssignedRole{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					read(t, db, func(tx storage.Tx) error {
						got, err := tx.Roles().ListAssignedRoles(ctx, accountRef(acct), tc.f)
						equal(t, "roles", got, tc.want)
						return err
					})
				})
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.Write(ctx, func(tx storage.Tx) error {
				r := *r3
				r.ID = newID()
				return tx.Roles().CreateAssignedRole(ctx, &r)
			})
			wantCode(t, err, keyhold.ECONFLICT)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				// Another principal's assignment, or the right id under another type.
				_, err := tx.Roles().GetAssignedRole(ctx, userRef(user), r1.ID)
				wantCode(t, err, keyhold.ENOTFOUND)
				_, err = tx.Roles().GetAssignedRole(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: acct.ID}, r1.ID)
				wantCode(t, err, keyhold.ENOTFOUND)
				return nil
			})
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Roles().DeleteAssignedRole(ctx, teamRef(team), r1.ID)
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Roles().CreateAssignedRole(ctx, &keyhold.AssignedRole{ID: newID(),
					Principal: keyhold.Ref{Type: keyhold.PrincipalTeam, ID: newID()}, RoleName: "Admin",
					EntityTypeName: "Portals", EntityID: "*", EntityRegion: "*", CreatedAt: t0})
			}), keyhold.ENOTFOUND)
		})
		t.Run("Delete", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error { return tx.Roles().DeleteAssignedRole(ctx, accountRef(acct), r2.ID) })
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Roles().ListAssignedRoles(ctx, accountRef(acct), keyhold.AssignedRoleFilter{})
				equal(t, "roles", got, []*keyhold.AssignedRole{r1, r3})
				return err
			})
		})
	})
}

func TestGrants(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		admins := &keyhold.Team{ID: newID(), Name: "Organization Admin", SystemTeam: true,
			SystemKey: "organization-admin", Labels: map[string]string{}, CreatedAt: t0, UpdatedAt: t0}
		write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, admins) })
		ops := newTeam(t, db, "Ops", nil, 1)
		lonely := newTeam(t, db, "Lonely", nil, 1)
		user := newUser(t, db, "u@example.com", 0)
		acct := newAccount(t, db, "bot", 0)

		rAdmins := newRole(t, db, teamRef(admins), "Admin", "Identity", 1)
		rOps := newRole(t, db, teamRef(ops), "Deployer", "Control Planes", 2)
		newRole(t, db, teamRef(lonely), "Admin", "Portals", 3)
		rUser := newRole(t, db, userRef(user), "Viewer", "Portals", 4)
		rAcct := newRole(t, db, accountRef(acct), "Viewer", "Control Planes", 0)
		write(t, db, func(tx storage.Tx) error {
			if err := tx.Teams().AddTeamMember(ctx, admins.ID, userRef(user), t0); err != nil {
				return err
			}
			if err := tx.Teams().AddTeamMember(ctx, ops.ID, userRef(user), t0); err != nil {
				return err
			}
			return tx.Teams().AddTeamMember(ctx, ops.ID, accountRef(acct), t0)
		})

		for _, tc := range []struct {
			name string
			p    keyhold.Ref
			want *keyhold.Grants
		}{
			{"User", userRef(user), &keyhold.Grants{Roles: []*keyhold.AssignedRole{rAdmins, rOps, rUser},
				SystemTeams: []string{"organization-admin"}}},
			{"Account", accountRef(acct), &keyhold.Grants{Roles: []*keyhold.AssignedRole{rAcct, rOps},
				SystemTeams: []string{}}},
			{"Team", teamRef(ops), &keyhold.Grants{Roles: []*keyhold.AssignedRole{rOps}, SystemTeams: []string{}}},
			{"Nobody", keyhold.Ref{Type: keyhold.PrincipalUser, ID: newID()},
				&keyhold.Grants{Roles: []*keyhold.AssignedRole{}, SystemTeams: []string{}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				read(t, db, func(tx storage.Tx) error {
					g, err := tx.Roles().Grants(ctx, tc.p)
					equal(t, "grants", g, tc.want)
					return err
				})
			})
		}
	})
}

// The entity ids in use on a type: distinct (in any case), most used
// first, never *, never another type's, at most the limit.
func TestEntityIDsInUse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "bot", 0)
		team := newTeam(t, db, "Ops", nil, 0)
		user := newUser(t, db, "u@example.com", 0)
		const (
			a = "0a0a0a0a-0000-4000-8000-00000000000a"
			b = "0b0b0b0b-0000-4000-8000-00000000000b"
			c = "0c0c0c0c-0000-4000-8000-00000000000c"
		)
		assign := func(p keyhold.Ref, role, typ, id string) {
			r := &keyhold.AssignedRole{ID: newID(), Principal: p, RoleName: role, EntityTypeName: typ,
				EntityID: id, EntityRegion: "*", CreatedAt: t0}
			write(t, db, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r) })
		}
		assign(accountRef(acct), "Admin", "Control Planes", a)
		assign(accountRef(acct), "Admin", "Control Planes", b)
		assign(teamRef(team), "Viewer", "Control Planes", b)
		// The same id in capitals is the same entity.
		assign(userRef(user), "Admin", "Control Planes", "0B0B0B0B-0000-4000-8000-00000000000B")
		assign(userRef(user), "Viewer", "Control Planes", a)
		assign(teamRef(team), "Admin", "Control Planes", "*")
		assign(userRef(user), "Deployer", "Control Planes", "*")
		assign(teamRef(team), "Admin", "Portals", c)
		for _, tc := range []struct {
			name, typ string
			limit     int
			want      []string
		}{
			{"MostUsedFirst", "Control Planes", 50, []string{b, a}},
			{"Limit", "Control Planes", 1, []string{b}},
			{"OtherType", "Portals", 50, []string{c}},
			{"None", "Identity", 50, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				read(t, db, func(tx storage.Tx) error {
					got, err := tx.Roles().EntityIDsInUse(ctx, tc.typ, tc.limit)
					if len(got) == len(tc.want) {
						for i := range got {
							got[i] = keyhold.FoldID(got[i])
						}
					}
					equal(t, "ids", got, tc.want)
					return err
				})
			})
		}
	})
}
