package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestSystemAccountCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := &keyhold.SystemAccount{ID: newID(), Name: "Deployer", Description: "CI",
			KonnectManaged: true, ManagedBy: keyhold.Ref{Type: keyhold.PrincipalUser, ID: newID()},
			CreatedAt: t0, UpdatedAt: at(1)}
		write(t, db, func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, a) })

		t.Run("OK", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Accounts().GetSystemAccount(ctx, a.ID)
				if err != nil {
					return err
				}
				equal(t, "by id", got, a)
				got, err = accountNamed(ctx, tx, "Deployer")
				if err != nil {
					return err
				}
				equal(t, "by name", got, a)
				return nil
			})
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				_, err := tx.Accounts().GetSystemAccount(ctx, newID())
				wantCode(t, err, keyhold.ENOTFOUND)
				// By name is exact: another case is another name.
				_, err = accountNamed(ctx, tx, "deployer")
				wantCode(t, err, keyhold.ENOTFOUND)
				return nil
			})
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Accounts().UpdateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "x", UpdatedAt: t0})
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Accounts().DeleteSystemAccount(ctx, newID())
			}), keyhold.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.Write(ctx, func(tx storage.Tx) error {
				return tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "DEPLOYER", CreatedAt: t0, UpdatedAt: t0})
			})
			wantCode(t, err, keyhold.ECONFLICT)
			if msg := keyhold.ErrorMessage(err); msg != "A system account with this name already exists" {
				t.Fatalf("message = %q", msg)
			}
			b := newAccount(t, db, "other", 2)
			b.Name = "deployer"
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Accounts().UpdateSystemAccount(ctx, b) }), keyhold.ECONFLICT)
		})
		t.Run("Update", func(t *testing.T) {
			a.Name, a.Description, a.KonnectManaged, a.ManagedBy, a.UpdatedAt = "Deployer2", "", false, keyhold.Ref{}, at(5)
			write(t, db, func(tx storage.Tx) error { return tx.Accounts().UpdateSystemAccount(ctx, a) })
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Accounts().GetSystemAccount(ctx, a.ID)
				equal(t, "updated", got, a)
				return err
			})
		})
		t.Run("Delete", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error { return tx.Accounts().DeleteSystemAccount(ctx, a.ID) })
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, err := tx.Accounts().GetSystemAccount(ctx, a.ID)
				return err
			}), keyhold.ENOTFOUND)
		})
	})
}

func TestListSystemAccounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Created out of order, to show that lists follow created_at.
		newAccount(t, db, "gamma_ci", 3)
		newAccount(t, db, "Alpha-CI", 1)
		newAccount(t, db, "beta 100%", 2)
		newAccount(t, db, "deltaXci", 4)
		managed := &keyhold.SystemAccount{ID: newID(), Name: "Managed", KonnectManaged: true, CreatedAt: at(5), UpdatedAt: at(5)}
		write(t, db, func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, managed) })
		newAccount(t, db, `dom\svc`, 6)

		for _, tc := range []struct {
			name  string
			f     keyhold.SystemAccountFilter
			want  []string
			total int
		}{
			{"All", keyhold.SystemAccountFilter{}, []string{"Alpha-CI", "beta 100%", "gamma_ci", "deltaXci", "Managed", `dom\svc`}, 6},
			{"EqIsExact", keyhold.SystemAccountFilter{Name: eq("alpha-ci")}, []string{}, 0},
			{"Eq", keyhold.SystemAccountFilter{Name: eq("Alpha-CI")}, []string{"Alpha-CI"}, 1},
			{"ContainsFoldsCase", keyhold.SystemAccountFilter{Name: contains("CI")}, []string{"Alpha-CI", "gamma_ci", "deltaXci"}, 3},
			{"ContainsEscapesUnderscore", keyhold.SystemAccountFilter{Name: contains("_ci")}, []string{"gamma_ci"}, 1},
			{"ContainsEscapesPercent", keyhold.SystemAccountFilter{Name: contains("0%")}, []string{"beta 100%"}, 1},
			{"ContainsPercentAlone", keyhold.SystemAccountFilter{Name: contains("%")}, []string{"beta 100%"}, 1},
			{"ContainsBackslash", keyhold.SystemAccountFilter{Name: contains(`M\S`)}, []string{`dom\svc`}, 1},
			{"Description", keyhold.SystemAccountFilter{Description: contains("ABOUT BETA")}, []string{"beta 100%"}, 1},
			{"Managed", keyhold.SystemAccountFilter{KonnectManaged: ptr(true)}, []string{"Managed"}, 1},
			{"Unmanaged", keyhold.SystemAccountFilter{KonnectManaged: ptr(false), Name: contains("a")}, []string{"Alpha-CI", "beta 100%", "gamma_ci", "deltaXci"}, 4},
			{"Page2", keyhold.SystemAccountFilter{Page: page(2, 2)}, []string{"gamma_ci", "deltaXci"}, 6},
			{"LastPage", keyhold.SystemAccountFilter{Page: page(3, 2)}, []string{"Managed", `dom\svc`}, 6},
			{"PastTheEnd", keyhold.SystemAccountFilter{Page: page(9, 2)}, []string{}, 6},
			{"PastTheEndFiltered", keyhold.SystemAccountFilter{Name: contains("ci"), Page: page(2, 3)}, []string{}, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Accounts().ListSystemAccounts(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "names", accountNames(items), tc.want)
					equal(t, "total", total, tc.total)
					return nil
				})
			})
		}
		t.Run("ErrInvalid", func(t *testing.T) {
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, _, err := tx.Accounts().ListSystemAccounts(ctx, keyhold.SystemAccountFilter{
					Name: &keyhold.StringFilter{Op: "gt", Value: "a"}, Page: page(1, 10)})
				return err
			}), keyhold.EINVALID)
		})
	})
}
