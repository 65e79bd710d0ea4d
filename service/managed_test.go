package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// GetSystemAccount carries the caller's verdict on a managed account: its
// manager may change it, others may not while the manager exists, and
// anyone who may write identities may once it is gone.
func TestManagedAccountVerdict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		manager, err := e.svc.Accounts.CreateSystemAccount(e.admin, keyhold.SystemAccountCreate{Name: "integration"})
		if err != nil {
			t.Fatal(err)
		}
		mref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: manager.ID}
		if _, err := e.svc.Roles.AssignRole(e.admin, mref, keyhold.AssignRole{RoleName: "Admin", EntityTypeName: "Identity", EntityID: "*", EntityRegion: "*"}); err != nil {
			t.Fatal(err)
		}
		a := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "managed", KonnectManaged: true, ManagedBy: mref, CreatedAt: e.now, UpdatedAt: e.now}
		e.bulk(func(ctx context.Context, tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, a) })
		m, err := e.svc.Tokens.CreateToken(e.admin, mref, keyhold.TokenCreate{Name: "t"})
		if err != nil {
			t.Fatal(err)
		}
		verdict := func(ctx context.Context) string {
			t.Helper()
			got, err := e.svc.Accounts.GetSystemAccount(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Locked
		}
		if why := verdict(e.admin); !strings.Contains(why, manager.ID) {
			t.Errorf("another caller's verdict %q does not name the manager", why)
		}
		if _, err := e.svc.Accounts.UpdateSystemAccount(e.admin, a.ID, keyhold.SystemAccountUpdate{Description: new(string)}); keyhold.ErrorCode(err) != keyhold.EFORBIDDEN {
			t.Errorf("another caller changed a locked account: %v", err)
		}
		if why := verdict(e.as(m.Value)); why != "" {
			t.Errorf("the manager's verdict is %q, want none", why)
		}
		if err := e.svc.Accounts.DeleteSystemAccount(e.admin, manager.ID); err != nil {
			t.Fatal(err)
		}
		if why := verdict(e.admin); why != "" {
			t.Errorf("with the manager gone the verdict is %q, want none", why)
		}
		if _, err := e.svc.Accounts.UpdateSystemAccount(e.admin, a.ID, keyhold.SystemAccountUpdate{Description: new(string)}); err != nil {
			t.Errorf("an orphan cannot be changed: %v", err)
		}
	})
}
