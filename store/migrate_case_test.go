package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Migration 0013 merges assignments that differ only in the case of their
// entity id, seeded through the store at schema version 12, when they could
// still be stored: the oldest of each stays as it was spelled, every other
// one is removed with an audit event and a change of its principal, and
// from then on the case of an entity id makes no new assignment.
func TestMigrateMergesEntityIDCase(t *testing.T) {
	t.Parallel()
	const ent = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	upper, mixed := strings.ToUpper(ent), strings.ToUpper(ent[:18])+ent[18:]
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			migratedAt := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
			db, err := store.Open(ctx, storetest.NewURL(t, b), store.Options{Now: func() time.Time { return migratedAt }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			if err := db.MigrateToForTest(ctx, 12); err != nil {
				t.Fatal(err)
			}
			acct, team, user := seedAccountRaw(t, db, "bot", 0), seedTeamRaw(t, db, "Ops", 0), seedUserRaw(t, db, "u@example.com", 0)
			role := func(p keyhold.Ref, name, entity, region string, n int) *keyhold.AssignedRole {
				r := &keyhold.AssignedRole{ID: newID(), Principal: p, RoleName: name, EntityTypeName: "Control Planes",
					EntityID: entity, EntityRegion: region, CreatedAt: at(n)}
				write(t, db, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r) })
				return r
			}
			A, T, U := accountRef(acct), teamRef(team), userRef(user)
			// Created out of order: the oldest is kept, whatever its case
			// or its id.
			a2 := role(A, "Admin", ent, "us", 2)
			a1 := role(A, "Admin", upper, "us", 1)
			a3 := role(A, "Admin", mixed, "us", 3)
			aViewer := role(A, "Viewer", upper, "us", 4) // another role
			aEU := role(A, "Admin", ent, "eu", 5)        // another region
			t1 := role(T, "Admin", ent, "us", 1)
			t2 := role(T, "Admin", upper, "us", 2)
			u1 := role(U, "Admin", upper, "us", 1) // the same as a1's, for another principal
			var before int64
			read(t, db, func(tx storage.Tx) (err error) { before, err = tx.Changes().LastChangeSeq(ctx); return err })

			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ids := func(rs []*keyhold.AssignedRole) []string {
				var out []string
				for _, r := range rs {
					out = append(out, r.ID+" "+r.EntityID)
				}
				return out
			}
			read(t, db, func(tx storage.Tx) error {
				for _, c := range []struct {
					p    keyhold.Ref
					want []*keyhold.AssignedRole
				}{{A, []*keyhold.AssignedRole{a1, aViewer, aEU}}, {T, []*keyhold.AssignedRole{t1}}, {U, []*keyhold.AssignedRole{u1}}} {
					got, err := tx.Roles().ListAssignedRoles(ctx, c.p, keyhold.AssignedRoleFilter{})
					if err != nil {
						return err
					}
					equal(t, string(c.p.Type)+" assignments", ids(got), ids(c.want))
				}
				return nil
			})

			var events []*keyhold.AuditEvent
			read(t, db, func(tx storage.Tx) (err error) {
				events, _, err = tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Action: eq("role.unassigned"), Page: page(1, 100)})
				return err
			})
			removed := map[string]string{a2.ID: a1.ID, a3.ID: a1.ID, t2.ID: t1.ID}
			if len(events) != len(removed) {
				t.Fatalf("%d role.unassigned events, want %d: %+v", len(events), len(removed), events)
			}
			for _, e := range events {
				if u, err := uuid.Parse(e.ID); err != nil || len(e.ID) != 36 || e.ID != strings.ToLower(e.ID) || u.Version() != 4 {
					t.Errorf("event id %q is no lower-case version 4 UUID", e.ID)
				}
				if e.ActorType != keyhold.PrincipalAnonymous || e.ActorID != "" || e.ActorName != "keyhold" ||
					e.Outcome != keyhold.OutcomeSuccess || !e.Time.Equal(migratedAt) || e.Count != 1 {
					t.Errorf("event %+v: want keyhold's own, a success, at %v", e, migratedAt)
				}
				found := false
				for gone, kept := range removed {
					if strings.Contains(e.TargetName, "assignment "+gone+", a repeat of assignment "+kept) {
						found = true
						delete(removed, gone)
						wantTarget := A
						if gone == t2.ID {
							wantTarget = T
						}
						if e.TargetType != string(wantTarget.Type) || e.TargetID != wantTarget.ID {
							t.Errorf("event for %s targets %s %s, want %v", gone, e.TargetType, e.TargetID, wantTarget)
						}
						if !strings.HasPrefix(e.TargetName, "Control Planes/Admin on ") {
							t.Errorf("target name %q", e.TargetName)
						}
					}
				}
				if !found {
					t.Errorf("event %q names no removed assignment", e.TargetName)
				}
			}

			// Every replica's index reloads the principals that lost one.
			var changes []keyhold.Change
			read(t, db, func(tx storage.Tx) (err error) { changes, err = tx.Changes().ListChanges(ctx, before, 100); return err })
			var changed []string
			for _, c := range changes {
				changed = append(changed, string(c.Kind)+" "+c.ID)
				if !c.At.Equal(migratedAt) || len(c.Digest) != 0 {
					t.Errorf("change %+v: want at %v, without digest", c, migratedAt)
				}
			}
			slices.Sort(changed)
			want := []string{"system_account " + acct.ID, "team " + team.ID}
			slices.Sort(want)
			equal(t, "changes", changed, want)

			t.Run("ErrConflictInAnyCase", func(t *testing.T) {
				for _, r := range []*keyhold.AssignedRole{
					{ID: newID(), Principal: A, RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: ent, EntityRegion: "us", CreatedAt: at(9)},
					{ID: newID(), Principal: T, RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: mixed, EntityRegion: "us", CreatedAt: at(9)},
					{ID: newID(), Principal: U, RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: ent, EntityRegion: "us", CreatedAt: at(9)},
				} {
					wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r) }), keyhold.ECONFLICT)
				}
			})
			t.Run("FilterInAnyCase", func(t *testing.T) {
				for _, f := range []string{ent, upper, mixed} {
					read(t, db, func(tx storage.Tx) error {
						got, err := tx.Roles().ListAssignedRoles(ctx, A, keyhold.AssignedRoleFilter{EntityID: &f})
						equal(t, "filter "+f, ids(got), ids([]*keyhold.AssignedRole{a1, aViewer, aEU}))
						return err
					})
				}
			})
		})
	}
}
