package store_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestTokenCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "ci", 0)
		other := newAccount(t, db, "other", 0)
		expires := at(60)
		k := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: accountRef(acct),
			Name: "deploy", Digest: []byte{0, 1, 2, 0xff}, CreatedAt: t0, UpdatedAt: t0, ExpiresAt: &expires,
			Intent: keyhold.IntentAppPassword}
		write(t, db, func(tx storage.Tx) error { return tx.Tokens().CreateToken(ctx, k) })

		t.Run("OK", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Tokens().GetToken(ctx, accountRef(acct), k.ID)
				if err != nil {
					return err
				}
				equal(t, "by owner and id", got, k)
				got, err = tx.Tokens().GetTokenByDigest(ctx, []byte{0, 1, 2, 0xff})
				if err != nil {
					return err
				}
				equal(t, "by digest", got, k)
				return nil
			})
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			read(t, db, func(tx storage.Tx) error {
				// Someone else's token is not found, whoever asks.
				_, err := tx.Tokens().GetToken(ctx, accountRef(other), k.ID)
				wantCode(t, err, keyhold.ENOTFOUND)
				_, err = tx.Tokens().GetToken(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: acct.ID}, k.ID)
				wantCode(t, err, keyhold.ENOTFOUND)
				_, err = tx.Tokens().GetTokenByDigest(ctx, []byte("nope"))
				wantCode(t, err, keyhold.ENOTFOUND)
				return nil
			})
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Tokens().DeleteToken(ctx, accountRef(other), k.ID)
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				k2 := *k
				k2.Owner = accountRef(other)
				return tx.Tokens().UpdateToken(ctx, &k2)
			}), keyhold.ENOTFOUND)
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
				return tx.Tokens().CreateToken(ctx, &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount,
					Owner: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: newID()}, Name: "x",
					Digest: []byte("x"), CreatedAt: t0, UpdatedAt: t0})
			}), keyhold.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.Write(ctx, func(tx storage.Tx) error {
				return tx.Tokens().CreateToken(ctx, &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount,
					Owner: accountRef(acct), Name: "deploy", Digest: []byte("fresh"), CreatedAt: t0, UpdatedAt: t0})
			})
			wantCode(t, err, keyhold.ECONFLICT)
			if msg := keyhold.ErrorMessage(err); msg != "A token with this name already exists" {
				t.Fatalf("message = %q", msg)
			}
			// The same name under another owner is fine.
			newToken(t, db, accountRef(other), "deploy", 1)
		})
		t.Run("RevokeFreesName", func(t *testing.T) {
			revoker := newID()
			k.RevokedAt, k.RevokedBy, k.UpdatedAt = ptr(at(2)), &revoker, at(2)
			write(t, db, func(tx storage.Tx) error { return tx.Tokens().UpdateToken(ctx, k) })
			read(t, db, func(tx storage.Tx) error {
				got, err := tx.Tokens().GetToken(ctx, accountRef(acct), k.ID)
				equal(t, "revoked", got, k)
				return err
			})
			k2 := newToken(t, db, accountRef(acct), "deploy", 3)
			// Renaming onto an unrevoked name conflicts; onto the revoked one does not.
			k3 := newToken(t, db, accountRef(acct), "spare", 4)
			k3.Name = "deploy"
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Tokens().UpdateToken(ctx, k3) }), keyhold.ECONFLICT)
			k2.Name, k2.UpdatedAt = "renamed", at(5)
			write(t, db, func(tx storage.Tx) error { return tx.Tokens().UpdateToken(ctx, k2) })
		})
		t.Run("Delete", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error { return tx.Tokens().DeleteToken(ctx, accountRef(acct), k.ID) })
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, err := tx.Tokens().GetTokenByDigest(ctx, k.Digest)
				return err
			}), keyhold.ENOTFOUND)
		})
	})
}

func TestListTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "ci", 0)
		user := newUser(t, db, "u@example.com", 0)
		b := newToken(t, db, accountRef(acct), "Build_Token", 2)
		a := newToken(t, db, accountRef(acct), "alpha", 1)
		c := newToken(t, db, accountRef(acct), "charlie", 3)
		p := newToken(t, db, userRef(user), "laptop", 1)

		for _, tc := range []struct {
			name  string
			f     keyhold.TokenFilter
			want  []*keyhold.Token
			total int
		}{
			{"Account", keyhold.TokenFilter{Owner: accountRef(acct)}, []*keyhold.Token{a, b, c}, 3},
			{"User", keyhold.TokenFilter{Owner: userRef(user), Kind: keyhold.TokenKindPersonal}, []*keyhold.Token{p}, 1},
			{"WrongKind", keyhold.TokenFilter{Owner: userRef(user), Kind: keyhold.TokenKindSystemAccount}, []*keyhold.Token{}, 0},
			{"NameEq", keyhold.TokenFilter{Owner: accountRef(acct), Name: eq("alpha")}, []*keyhold.Token{a}, 1},
			{"NameContains", keyhold.TokenFilter{Owner: accountRef(acct), Name: contains("D_T")}, []*keyhold.Token{b}, 1},
			{"Page", keyhold.TokenFilter{Owner: accountRef(acct), Page: page(2, 2)}, []*keyhold.Token{c}, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Tokens().ListTokens(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "tokens", items, tc.want)
					equal(t, "total", total, tc.total)
					return nil
				})
			})
		}
	})
}

func TestTouchTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "ci", 0)
		a := newToken(t, db, accountRef(acct), "a", 0)
		b := newToken(t, db, accountRef(acct), "b", 0)
		get := func(k *keyhold.Token) *keyhold.Token {
			var got *keyhold.Token
			read(t, db, func(tx storage.Tx) (err error) {
				got, err = tx.Tokens().GetToken(ctx, accountRef(acct), k.ID)
				return err
			})
			return got
		}
		lastUsed := func(k *keyhold.Token) *time.Time { return get(k).LastUsedAt }
		use := func(at time.Time, ip string) keyhold.TokenUse {
			return keyhold.TokenUse{At: at, IP: ip, UserAgent: "agent " + ip}
		}

		// A missing token is ignored; times are written in UTC, truncated.
		local := at(10).In(time.FixedZone("X", 3600)).Add(999 * time.Nanosecond)
		if err := db.TouchTokens(ctx, map[string]keyhold.TokenUse{a.ID: use(local, "192.0.2.10"), newID(): use(at(10), "x")}); err != nil {
			t.Fatal(err)
		}
		equal(t, "first use", lastUsed(a), ptr(at(10)))
		equal(t, "where from", get(a).LastUsedIP+" "+get(a).LastUsedUserAgent, "192.0.2.10 agent 192.0.2.10")
		equal(t, "untouched", lastUsed(b), (*time.Time)(nil))

		// Never backwards, and an older use does not overwrite where from.
		if err := db.TouchTokens(ctx, map[string]keyhold.TokenUse{a.ID: use(at(5), "192.0.2.5"), b.ID: use(at(7), "192.0.2.7")}); err != nil {
			t.Fatal(err)
		}
		equal(t, "older use", lastUsed(a), ptr(at(10)))
		equal(t, "older use's address", get(a).LastUsedIP, "192.0.2.10")
		equal(t, "b", lastUsed(b), ptr(at(7)))

		if err := db.TouchTokens(ctx, map[string]keyhold.TokenUse{a.ID: use(at(11), "2001:db8::1")}); err != nil {
			t.Fatal(err)
		}
		equal(t, "newer use", lastUsed(a), ptr(at(11)))
		equal(t, "newer address", get(a).LastUsedIP, "2001:db8::1")
		if err := db.TouchTokens(ctx, nil); err != nil {
			t.Fatal(err)
		}

		// A flush of many uses is written in several statements.
		many := map[string]keyhold.TokenUse{a.ID: use(at(20), "192.0.2.20"), b.ID: use(at(21), "192.0.2.21")}
		for len(many) < 2500 {
			many[newID()] = use(at(22), "x")
		}
		if err := db.TouchTokens(ctx, many); err != nil {
			t.Fatal(err)
		}
		equal(t, "a in a large flush", lastUsed(a), ptr(at(20)))
		equal(t, "b in a large flush", get(b).LastUsedIP, "192.0.2.21")
	})
}
