package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel the trigger of the changes table notifies.
const changesChannel = "keyhold_changes"

// Reconnection delays of WatchChanges on PostgreSQL: the first, doubled
// after every failed attempt up to the last.
const (
	watchMinBackoff = 100 * time.Millisecond
	watchMaxBackoff = 5 * time.Second
)

// WatchChanges blocks until ctx ends, calling notify whenever another
// process may have committed changes, and returns nil when ctx ends.
//
// On PostgreSQL it holds a connection of its own, outside the pools, that
// LISTENs on keyhold_changes. It calls notify once after every successful
// (re)connection, so that the caller catches up on what was committed while
// nobody listened, and on every notification of the channel whose payload
// is the schema of this database's changes table (or empty: a manual
// NOTIFY keyhold_changes wakes every replica). A lost connection is
// retried after 100 ms, doubling to at most 5 s, and logged.
//
// On SQLite, where one process owns the database, it only waits.
func (db *DB) WatchChanges(ctx context.Context, notify func()) error {
	return db.d.watch(ctx, notify, db.log)
}

// watch waits: every change of a SQLite database is made by this process.
func (sqliteDialect) watch(ctx context.Context, _ func(), _ *slog.Logger) error {
	<-ctx.Done()
	return nil
}

func (d postgresDialect) watch(ctx context.Context, notify func(), log *slog.Logger) error {
	backoff := watchMinBackoff
	for {
		listened, err := d.listen(ctx, notify)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = watchMinBackoff
		}
		log.Warn("watch changes: not listening; retrying", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, watchMaxBackoff)
	}
}

// listen connects, LISTENs, calls notify, then waits for notifications
// until the connection fails or ctx ends. listened reports whether it got
// as far as listening.
func (d postgresDialect) listen(ctx context.Context, notify func()) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, d.cfg.Copy())
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		// ctx may be over; closing still deserves a moment.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	// The trigger sends the schema of the changes table it fired on.
	var schema string
	err = conn.QueryRow(ctx, `SELECT COALESCE((SELECT n.nspname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('changes')), '')`).Scan(&schema)
	if err != nil {
		return false, fmt.Errorf("find changes table: %w", err)
	}
	notify()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		if n.Payload == "" || schema == "" || n.Payload == schema {
			notify()
		}
	}
}
