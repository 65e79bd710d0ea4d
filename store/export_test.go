package store

import "context"

// MigrateToForTest applies the migrations up to version upTo only, so that
// a test can seed data that a later migration converts.
func (db *DB) MigrateToForTest(ctx context.Context, upTo int) error { return db.migrate(ctx, upTo) }
