package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhold/keyhold"
)

var (
	errUnavailable = &keyhold.Error{Code: keyhold.EUNAVAILABLE, Message: "The database is unavailable; try again shortly"}
	// errDiskFull is SQLITE_FULL: the disk under the database has no room.
	// Nothing of the failed transaction was written; writes work again as
	// soon as an operator frees space.
	errDiskFull = &keyhold.Error{Code: keyhold.EUNAVAILABLE, Message: "The database cannot write: its disk is full; try again once space is freed"}
	// errBusy is SQLITE_BUSY or SQLITE_LOCKED after busy_timeout: another
	// process held the database's write lock for too long.
	errBusy = &keyhold.Error{Code: keyhold.EUNAVAILABLE, Message: "The database is busy with another writer; try again shortly"}
)

// unavailable turns an error that means the database cannot be reached
// (refused or lost connections, a server shutting down) into EUNAVAILABLE,
// so that clients get 503 instead of 500 and know to retry; other errors
// pass through unchanged. On SQLite, a full disk (SQLITE_FULL) and a
// write lock another process held past busy_timeout (SQLITE_BUSY,
// SQLITE_LOCKED) are unavailable too: the transaction was rolled back
// whole, and the same request succeeds once the condition ends.
func unavailable(err error) error {
	if err == nil || keyhold.ErrorCode(err) != keyhold.EINTERNAL {
		return err
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &liteErr):
		// Code is the extended result code; its low byte is the primary one.
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return errDiskFull
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return errBusy
		}
		return err
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-03: the server is shutting
		// down or cannot accept connections now.
		if len(pgErr.Code) == 5 && (pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03") {
			return errUnavailable
		}
		return err
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.SafeToRetry(err), isClosedConn(err):
		return errUnavailable
	}
	return err
}

// isClosedConn matches pgx's error for a connection it already closed,
// which carries no typed value to test for.
func isClosedConn(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "conn closed" {
			return true
		}
	}
	return false
}
