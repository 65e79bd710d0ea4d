package store_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// A form nonce is used once: the second use conflicts, also from another
// transaction, until the nonce expires and its row is deleted.
func TestUseFormNonce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := sha256.Sum256([]byte("nonce a")), sha256.Sum256([]byte("nonce b"))
		use := func(d [32]byte, expires time.Time) error {
			return db.Write(ctx, func(tx storage.Tx) error { return tx.Sessions().UseFormNonce(ctx, d[:], expires) })
		}
		if err := use(a, at(10)); err != nil {
			t.Fatalf("first use: %v", err)
		}
		err := use(a, at(10))
		wantCode(t, err, keyhold.ECONFLICT)
		if msg := keyhold.ErrorMessage(err); msg != "This form was sent before" {
			t.Fatalf("message = %q", msg)
		}
		if err := use(b, at(10)); err != nil {
			t.Fatalf("another nonce: %v", err)
		}
		write(t, db, func(tx storage.Tx) error { return tx.Sessions().DeleteExpiredSessions(ctx, at(9)) })
		wantCode(t, use(a, at(10)), keyhold.ECONFLICT)
		write(t, db, func(tx storage.Tx) error { return tx.Sessions().DeleteExpiredSessions(ctx, at(10)) })
		if err := use(a, at(20)); err != nil {
			t.Fatalf("use after expiry: %v", err)
		}
	})
}
