package store_test

import (
	"testing"
	"time"

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

// The summaries count each account's working tokens and its tokens' last
// use in the page's query, and the token conditions select by working
// tokens only, the same on both databases.
func TestListAccountSummaries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := at(100000)
		day := 24 * time.Hour
		tp := func(d time.Duration) *time.Time { return ptr(now.Add(d)) }
		token := func(a *keyhold.SystemAccount, name string, set func(k *keyhold.Token)) {
			k := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: accountRef(a), Name: name,
				Digest: []byte("digest-" + newID()), CreatedAt: at(10), UpdatedAt: at(10)}
			set(k)
			write(t, db, func(tx storage.Tx) error { return tx.Tokens().CreateToken(ctx, k) })
		}
		newAccount(t, db, "idle", 1)
		fresh := newAccount(t, db, "fresh", 2)
		token(fresh, "a", func(k *keyhold.Token) { k.LastUsedAt = tp(-time.Hour) })
		token(fresh, "b", func(k *keyhold.Token) { k.LastUsedAt, k.RevokedAt = tp(-10*time.Minute), tp(-5*time.Minute) })
		soon := newAccount(t, db, "soon", 3)
		token(soon, "a", func(k *keyhold.Token) { k.ExpiresAt = tp(3 * day) })
		stale := newAccount(t, db, "stale", 4)
		token(stale, "a", func(k *keyhold.Token) { k.LastUsedAt = tp(-40 * day) })
		token(stale, "b", func(k *keyhold.Token) { k.ExpiresAt, k.LastUsedAt = tp(-day), tp(-35*day) })
		token(stale, "c", func(k *keyhold.Token) { k.ExpiresAt, k.RevokedAt = tp(2*day), tp(-day) })
		rotated := newAccount(t, db, "rotated", 5)
		token(rotated, "a", func(k *keyhold.Token) {
			k.SuccessorID, k.RotationDeadline, k.ExpiresAt = ptr(newID()), tp(-time.Hour), tp(5*day)
		})
		off := newAccount(t, db, "off", 6)
		off.Disabled = true
		write(t, db, func(tx storage.Tx) error { return tx.Accounts().UpdateSystemAccount(ctx, off) })
		token(off, "a", func(k *keyhold.Token) { k.ExpiresAt, k.LastUsedAt = tp(10*day), tp(-2*day) })
		edge := newAccount(t, db, "edge", 7)
		token(edge, "a", func(k *keyhold.Token) { k.ExpiresAt = tp(14 * day) })
		later := newAccount(t, db, "later", 8)
		token(later, "a", func(k *keyhold.Token) { k.ExpiresAt = tp(14*day + time.Second) })
		// A user's tokens count for no account.
		newToken(t, db, userRef(newUser(t, db, "pat@example.com", 9)), "mine", 9)

		read(t, db, func(tx storage.Tx) error {
			items, total, err := tx.Accounts().ListAccountSummaries(ctx, keyhold.SystemAccountFilter{Now: now, Page: page(1, 100)})
			if err != nil {
				return err
			}
			equal(t, "total", total, 8)
			type row struct {
				Name     string
				Active   int
				LastUsed *time.Time
				Disabled bool
			}
			var got []row
			for _, s := range items {
				got = append(got, row{s.Name, s.ActiveTokens, s.LastUsedAt, s.Disabled})
			}
			equal(t, "rows", got, []row{
				{"idle", 0, nil, false}, {"fresh", 1, tp(-10 * time.Minute), false}, {"soon", 1, nil, false},
				{"stale", 1, tp(-35 * day), false}, {"rotated", 0, nil, false}, {"off", 1, tp(-2 * day), true},
				{"edge", 1, nil, false}, {"later", 1, nil, false},
			})
			return nil
		})

		expiring, unused := tp(14*day), tp(-30*day)
		for _, tc := range []struct {
			name  string
			f     keyhold.SystemAccountFilter
			want  []string
			total int
		}{
			{"Expiring", keyhold.SystemAccountFilter{TokensExpiringBefore: expiring}, []string{"soon", "off", "edge"}, 3},
			{"ExpiringEnabled", keyhold.SystemAccountFilter{TokensExpiringBefore: expiring, Disabled: ptr(false)}, []string{"soon", "edge"}, 2},
			{"Disabled", keyhold.SystemAccountFilter{Disabled: ptr(true)}, []string{"off"}, 1},
			{"Unused", keyhold.SystemAccountFilter{TokensUnusedSince: unused}, []string{"soon", "stale", "edge", "later"}, 4},
			{"UnusedByName", keyhold.SystemAccountFilter{TokensUnusedSince: unused, Name: contains("S")}, []string{"soon", "stale"}, 2},
			{"Both", keyhold.SystemAccountFilter{TokensUnusedSince: unused, TokensExpiringBefore: expiring}, []string{"soon", "edge"}, 2},
			{"UnusedPage2", keyhold.SystemAccountFilter{TokensUnusedSince: unused, Page: page(2, 3)}, []string{"later"}, 4},
			{"UnusedPastTheEnd", keyhold.SystemAccountFilter{TokensUnusedSince: unused, Page: page(3, 3)}, []string{}, 4},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.f.Now = now
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Accounts().ListAccountSummaries(ctx, tc.f)
					if err != nil {
						return err
					}
					names := []string{}
					for _, s := range items {
						names = append(names, s.Name)
					}
					equal(t, "summaries", names, tc.want)
					equal(t, "total", total, tc.total)
					// The plain list applies the same conditions.
					plain, total, err := tx.Accounts().ListSystemAccounts(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "accounts", accountNames(plain), tc.want)
					equal(t, "plain total", total, tc.total)
					return nil
				})
			})
		}
		t.Run("ErrInvalidWithoutNow", func(t *testing.T) {
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, _, err := tx.Accounts().ListSystemAccounts(ctx, keyhold.SystemAccountFilter{TokensUnusedSince: unused, Page: page(1, 10)})
				return err
			}), keyhold.EINVALID)
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, _, err := tx.Accounts().ListAccountSummaries(ctx, keyhold.SystemAccountFilter{Page: page(1, 10)})
				return err
			}), keyhold.EINVALID)
		})
	})
}
