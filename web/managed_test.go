package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// The account page shows the service's verdict on a managed account: locked
// while its manager exists, editable once the manager is gone.
func TestManagedAccountLock(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		manager, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "integration"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		managed := &keyhold.SystemAccount{ID: "4b0c7f4e-2f0c-4d4e-9a53-6f1d0c1b2a3e", Name: "managed", KonnectManaged: true,
			ManagedBy: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: manager.ID}, CreatedAt: now, UpdatedAt: now}
		if err := e.db.Write(context.Background(), func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(context.Background(), managed) }); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		path := "/ui/accounts/" + managed.ID
		p := b.get(path).want(t, http.StatusOK, `id="locked"`, manager.ID)
		if strings.Contains(p.body, path+"/edit") {
			t.Fatal("a locked account offers an edit link")
		}
		b.get(path + "/edit")
		b.post(path+"/edit", url.Values{"name": {"mine-now"}}).want(t, http.StatusForbidden)

		// The manager is gone: those who may write identities clean up.
		if err := e.svc.Accounts.DeleteSystemAccount(ctx, manager.ID); err != nil {
			t.Fatal(err)
		}
		if p := b.get(path).want(t, http.StatusOK, path+"/edit"); strings.Contains(p.body, `id="locked"`) {
			t.Fatalf("an account whose manager no longer exists is shown locked:\n%s", p.body)
		}
		b.get(path + "/edit")
		b.post(path+"/edit", url.Values{"name": {"orphan"}}).want(t, http.StatusOK, "System account saved", "orphan")
	})
}
