package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestUserCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		u := &keyhold.User{ID: newID(), Email: "Ada@Example.com", FullName: "Ada Lovelace",
			PreferredName: "Ada", Active: true, InferredRegion: "eu",
			PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: t0, UpdatedAt: t0}
		write(t, db, func(tx storage.Tx) error { return tx.Users().CreateUser(ctx, u) })

		t.Run("OK", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Users().GetUser(ctx, u.ID)
				if err != nil {
					return err
				}
				equal(t, "by id", got, u)
				got, err = tx.Users().GetUserByEmail(ctx, "ada@EXAMPLE.com")
				if err != nil {
					return err
				}
				equal(t, "by email, case-insensitive", got, u)
				return nil
			})
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				_, err := tx.Users().GetUser(ctx, newID())
				wantCode(t, err, keyhold.ENOTFOUND)
				_, err = tx.Users().GetUserByEmail(ctx, "nobody@example.com")
				wantCode(t, err, keyhold.ENOTFOUND)
				return nil
			})
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Users().UpdateUser(ctx, &keyhold.User{ID: newID(), Email: "x@example.com", UpdatedAt: t0})
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Users().DeleteUser(ctx, newID()) }), keyhold.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.Write(ctx, func(tx storage.Tx) error {
				return tx.Users().CreateUser(ctx, &keyhold.User{ID: newID(), Email: "ADA@example.COM", CreatedAt: t0, UpdatedAt: t0})
			})
			wantCode(t, err, keyhold.ECONFLICT)
			if msg := keyhold.ErrorMessage(err); msg != "A user with this email already exists" {
				t.Fatalf("message = %q", msg)
			}
		})
		t.Run("Update", func(t *testing.T) {
			u.FullName, u.PreferredName, u.Active, u.PasswordHash, u.UpdatedAt = "Augusta Ada King", "", false, "", at(3)
			write(t, db, func(tx storage.Tx) error { return tx.Users().UpdateUser(ctx, u) })
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Users().GetUser(ctx, u.ID)
				equal(t, "updated", got, u)
				return err
			})
		})
		t.Run("Delete", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error { return tx.Users().DeleteUser(ctx, u.ID) })
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, err := tx.Users().GetUser(ctx, u.ID)
				return err
			}), keyhold.ENOTFOUND)
		})
	})
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := newUser(t, db, "bob@example.com", 2)
		a := newUser(t, db, "Alice@Example.com", 1)
		c := newUser(t, db, "carol@other.org", 3)
		c.Active = false
		write(t, db, func(tx storage.Tx) error { return tx.Users().UpdateUser(ctx, c) })

		for _, tc := range []struct {
			name  string
			f     keyhold.UserFilter
			want  []*keyhold.User
			total int
		}{
			{"All", keyhold.UserFilter{}, []*keyhold.User{a, b, c}, 3},
			{"ID", keyhold.UserFilter{ID: &b.ID}, []*keyhold.User{b}, 1},
			{"EmailEq", keyhold.UserFilter{Email: eq("Alice@Example.com")}, []*keyhold.User{a}, 1},
			{"EmailEqIsExact", keyhold.UserFilter{Email: eq("alice@example.com")}, []*keyhold.User{}, 0},
			{"EmailContains", keyhold.UserFilter{Email: contains("EXAMPLE")}, []*keyhold.User{a, b}, 2},
			{"FullNameContains", keyhold.UserFilter{FullName: contains("full CAROL")}, []*keyhold.User{c}, 1},
			{"Active", keyhold.UserFilter{Active: ptr(true)}, []*keyhold.User{a, b}, 2},
			{"Inactive", keyhold.UserFilter{Active: ptr(false)}, []*keyhold.User{c}, 1},
			{"Page", keyhold.UserFilter{Page: page(2, 1)}, []*keyhold.User{b}, 3},
			{"PastTheEnd", keyhold.UserFilter{Email: contains("example"), Page: page(3, 1)}, []*keyhold.User{}, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Users().ListUsers(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "users", items, tc.want)
					equal(t, "total", total, tc.total)
					return nil
				})
			})
		}
	})
}
