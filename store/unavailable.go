package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyhold/keyhold"
)

var errUnavailable = &keyhold.Error{Code: keyhold.EUNAVAILABLE, Message: "The database is unavailable; try again shortly"}

// unavailable turns an error that means the database cannot be reached
// (refused or lost connections, a server shutting down) into EUNAVAILABLE,
// so that clients get 503 instead of 500 and know to retry; other errors
// pass through unchanged.
func unavailable(err error) error {
	if err == nil || keyhold.ErrorCode(err) != keyhold.EINTERNAL {
		return err
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
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
