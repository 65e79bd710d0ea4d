package store

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/keyhold/keyhold"
)

func openTestSQLite(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyhold.db")
	db, err := Open(t.Context(), "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// A full disk is SQLITE_FULL, which the store reports as unavailable
// (503) with a message that says so, not as an internal error; the
// transaction leaves nothing behind.
func TestSQLiteFullIsUnavailable(t *testing.T) {
	db, _ := openTestSQLite(t)
	ctx := t.Context()
	// max_page_count stands for the disk: the file may not grow past it.
	err := db.write1(ctx, func(t *tx) error {
		if _, err := t.tx.ExecContext(ctx, `CREATE TABLE filler (b BLOB)`); err != nil {
			return err
		}
		var pages int
		if err := t.tx.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `PRAGMA max_page_count = `+strconv.Itoa(pages+2)); err != nil {
			return err
		}
		_, err := t.tx.ExecContext(ctx, `INSERT INTO filler VALUES (randomblob(1048576))`)
		return err
	})
	if keyhold.ErrorCode(err) != keyhold.EUNAVAILABLE || keyhold.ErrorMessage(err) != errDiskFull.Message {
		t.Fatalf("write on a full disk: code %q, %v; want %s %q", keyhold.ErrorCode(err), err, keyhold.EUNAVAILABLE, errDiskFull.Message)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'filler'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed transaction left its table: n=%d err=%v", n, err)
	}
}

// Another process holding the write lock past busy_timeout is SQLITE_BUSY,
// which the store reports as unavailable (503), not as an internal error.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	db, path := openTestSQLite(t)
	ctx := t.Context()
	// A short wait keeps the test short; the pool has one write connection,
	// so the setting holds for the writes below.
	if err := db.write1(ctx, func(t *tx) error {
		_, err := t.tx.ExecContext(ctx, `PRAGMA busy_timeout = 100`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path+"?"+sqliteParams)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	write := func() error {
		return db.write1(ctx, func(t *tx) error {
			_, err := t.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS busy_probe (n INTEGER)`)
			return err
		})
	}
	err = write()
	if keyhold.ErrorCode(err) != keyhold.EUNAVAILABLE || keyhold.ErrorMessage(err) != errBusy.Message {
		t.Fatalf("write while another process holds the lock: code %q, %v; want %s", keyhold.ErrorCode(err), err, keyhold.EUNAVAILABLE)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := write(); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
}
