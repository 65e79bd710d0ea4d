package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// Migration 0018 renames the actions of events that schema version 17
// holds: every name of keyhold.RenamedAuditActions becomes its new one;
// names it does not list, kept ones and unknown ones alike, stay as they
// were.
func TestMigrateRenamesAuditActions(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := migratedFrom(t, b, 17)
			want := map[string]string{} // event id → action after the migration
			seed := func(action, after string) { want[seedEventRaw(t, db, action, "", "", len(want))] = after }
			for old, renamed := range keyhold.RenamedAuditActions {
				seed(old, renamed)
			}
			for _, same := range []string{"auth.failed", "ldap.bind", "token.created", "custom.thing", "Token.Create", "token.create.extra"} {
				seed(same, same)
			}

			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			read(t, db, func(tx storage.Tx) error {
				events, total, err := tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Page: page(1, 1000)})
				if err != nil {
					return err
				}
				equal(t, "events", total, len(want))
				for _, e := range events {
					if e.Action != want[e.ID] {
						t.Errorf("event %s: action %q, want %q", e.ID, e.Action, want[e.ID])
					}
				}
				return nil
			})
		})
	}
}
