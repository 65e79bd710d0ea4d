package store_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestGetTokenByID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newToken(t, db, userRef(newUser(t, db, "u@example.com", 0)), "laptop", 1)
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Tokens().GetTokenByID(ctx, k.ID)
			equal(t, "token", got, k)
			if err != nil {
				return err
			}
			_, err = tx.Tokens().GetTokenByID(ctx, newID())
			wantCode(t, err, keyhold.ENOTFOUND)
			return nil
		})
	})
}

// expiringToken stores a token of owner that expires at at(n).
func expiringToken(t *testing.T, tx storage.Tx, owner keyhold.Ref, n int) *keyhold.Token {
	t.Helper()
	kind := keyhold.TokenKindSystemAccount
	if owner.Type == keyhold.PrincipalUser {
		kind = keyhold.TokenKindPersonal
	}
	k := &keyhold.Token{ID: newID(), Kind: kind, Owner: owner,
		Name: "expires-" + newID(), Digest: []byte("digest-" + newID()), CreatedAt: t0, UpdatedAt: t0, Intent: keyhold.IntentAPI,
		ExpiresAt: ptr(at(n))}
	if err := tx.Tokens().CreateToken(ctx, k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMarkExpiredTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		owner := accountRef(newAccount(t, db, "ci", 0))
		var soon, later, now, future, revoked *keyhold.Token
		write(t, db, func(tx storage.Tx) error {
			later = expiringToken(t, tx, owner, 2)
			soon = expiringToken(t, tx, owner, 1)
			now = expiringToken(t, tx, owner, 5)
			future = expiringToken(t, tx, owner, 6)
			revoked = expiringToken(t, tx, owner, 1)
			revoked.RevokedAt, revoked.UpdatedAt = ptr(at(0)), at(0)
			return tx.Tokens().UpdateToken(ctx, revoked)
		})
		newToken(t, db, owner, "forever", 0)
		mark := func(n, limit int) []*keyhold.Token {
			t.Helper()
			var got []*keyhold.Token
			write(t, db, func(tx storage.Tx) (err error) {
				got, err = tx.Expiry().MarkExpiredTokens(ctx, at(n), limit)
				return err
			})
			return got
		}

		// Soonest expired first, up to the limit; expiry at now counts.
		equal(t, "first call", mark(5, 2), []*keyhold.Token{soon, later})
		equal(t, "second call", mark(5, 10), []*keyhold.Token{now})
		equal(t, "third call", mark(5, 10), []*keyhold.Token{})
		equal(t, "later", mark(100, 10), []*keyhold.Token{future})
		equal(t, "after all", mark(100, 10), []*keyhold.Token{})

		t.Run("RolledBackMarkIsUndone", func(t *testing.T) {
			var k *keyhold.Token
			write(t, db, func(tx storage.Tx) error { k = expiringToken(t, tx, owner, 7); return nil })
			boom := errors.New("boom")
			err := db.Write(ctx, func(tx storage.Tx) error {
				got, err := tx.Expiry().MarkExpiredTokens(ctx, at(100), 10)
				if err != nil {
					return err
				}
				equal(t, "marked", got, []*keyhold.Token{k})
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			equal(t, "after a rollback", mark(100, 10), []*keyhold.Token{k})
		})
		t.Run("ErrLimit", func(t *testing.T) {
			if err := db.Write(ctx, func(tx storage.Tx) error {
				_, err := tx.Expiry().MarkExpiredTokens(ctx, at(100), 0)
				return err
			}); err == nil {
				t.Fatal("MarkExpiredTokens with limit 0 succeeded")
			}
		})
	})
}

// TestMarkExpiredTokensConcurrent has several callers mark the same
// expired tokens at once: each token is returned exactly once.
func TestMarkExpiredTokensConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		owner := accountRef(newAccount(t, db, "ci", 0))
		const tokens = 120
		want := map[string]bool{}
		write(t, db, func(tx storage.Tx) error {
			for i := range tokens {
				want[expiringToken(t, tx, owner, i%7).ID] = true
			}
			return nil
		})
		const callers = 6
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		errs := make([]error, callers)
		for c := range callers {
			wg.Go(func() {
				for {
					var got []*keyhold.Token
					err := db.Write(ctx, func(tx storage.Tx) (err error) {
						got, err = tx.Expiry().MarkExpiredTokens(ctx, at(10), 7)
						return err
					})
					if err != nil || len(got) == 0 {
						errs[c] = err
						return
					}
					mu.Lock()
					for _, k := range got {
						seen[k.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for c, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v", c, err)
			}
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Fatalf("token %s returned %d times (expected: %v)", id, n, want[id])
			}
		}
		equal(t, "tokens returned", len(seen), tokens)
	})
}
