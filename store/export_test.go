package store

import (
	"context"

	"github.com/keyhold/keyhold/storage"
)

// MigrateToForTest applies the migrations up to version upTo only, so that
// a test can seed data that a later migration converts.
func (db *DB) MigrateToForTest(ctx context.Context, upTo int) error { return db.migrate(ctx, upTo) }

// PragmaForTest reads a pragma on one of the store's writer connections.
func (db *DB) PragmaForTest(ctx context.Context, name string) (string, error) {
	var v string
	err := db.Write(ctx, func(stx storage.Tx) error {
		return stx.(*tx).tx.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	})
	return v, err
}

// ExecForTest runs one statement in a write transaction, for a test that
// seeds rows as an older schema had them.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	return db.Write(ctx, func(stx storage.Tx) error {
		_, err := stx.(*tx).exec(ctx, query, args...)
		return err
	})
}
