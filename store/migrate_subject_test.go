package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// Migration 0015 gives the events of schema version 14 the subject their
// rows show: the principal an event targets, the owner of a token that
// still exists. Events of a deleted token and membership events, which
// never named their member, keep none.
func TestMigrateBackfillsAuditSubject(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := migratedFrom(t, b, 14)
			acct, user, team := seedAccountRaw(t, db, "bot", 0), seedUserRaw(t, db, "u@example.com", 0), seedTeamRaw(t, db, "Ops", 0)
			userTok := seedTokenRaw(t, db, userRef(user), "laptop", 1)
			acctTok := seedTokenRaw(t, db, accountRef(acct), "ci", 1)
			gone := newID() // a token deleted before the migration
			want := map[string]string{}
			seed := func(action, targetType, targetID, subject string) {
				want[seedEventRaw(t, db, action, targetType, targetID, len(want))] = subject
			}
			seed("system_account.create", "system_account", acct.ID, acct.ID)
			seed("user.update", "user", user.ID, user.ID)
			seed("role.assign", "system_account", acct.ID, acct.ID)
			seed("role.assign", "team", team.ID, "")
			seed("token.create", "token", acctTok.ID, acct.ID)
			seed("token.rotate", "token", userTok.ID, user.ID)
			seed("token.delete", "token", gone, "")
			seed("team.member.add", "team", team.ID, "")
			seed("auth.failed", "token", "", "")
			seed("token_policy.update", "organization", "", "")

			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			read(t, db, func(tx storage.Tx) error {
				events, total, err := tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Page: page(1, 100)})
				if err != nil {
					return err
				}
				equal(t, "events", total, len(want))
				for _, e := range events {
					if e.SubjectID != want[e.ID] {
						t.Errorf("%s on %s %q: subject %q, want %q", e.Action, e.TargetType, e.TargetID, e.SubjectID, want[e.ID])
					}
				}
				hist, n, err := tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Involving: &acct.ID, Page: page(1, 100)})
				if err != nil {
					return err
				}
				equal(t, "the account's history", n, 3)
				for _, e := range hist {
					if e.SubjectID != acct.ID {
						t.Errorf("the account's history holds %+v", e)
					}
				}
				return nil
			})
		})
	}
}
