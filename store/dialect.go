package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/keyhold/keyhold"
)

// dialect is what differs between SQLite and PostgreSQL. Everything else,
// the SQL included, is shared.
type dialect interface {
	name() string
	// classify tells a unique or foreign-key violation from other errors;
	// it is the one place each driver's errors are inspected.
	classify(err error) errClass
	// savepoints reports whether a failed statement aborts the whole
	// transaction (PostgreSQL) so constraint-prone writes need a savepoint.
	savepoints() bool
	// lock takes the migration lock for the rest of the transaction.
	lock(ctx context.Context, tx *sql.Tx) error
	// hasTable reports whether a table exists in the current schema.
	hasTable(ctx context.Context, q querier, table string) (bool, error)
	// backup writes a consistent copy of the database to outPath.
	backup(ctx context.Context, outPath string) error
	// skipLocked is the clause that makes a subquery of a conditional update
	// lock the rows it picks and skip those another transaction holds, or ""
	// where a write transaction is exclusive anyway.
	skipLocked() string
	// rawTime wraps a time column of a scan so that the driver hands over
	// what the database has, which scanTime parses faster than the driver.
	rawTime(col string) string
	// bulkParam is the placeholder of the i-th parameter, from 1, of long
	// statements such as TouchTokens' UPDATE … FROM (VALUES …).
	bulkParam(i int) string
	// timeParam types a time parameter where nothing else would: in a
	// VALUES list PostgreSQL takes an untyped parameter for text.
	timeParam(param string) string
	// asciiLower is an expression of col with the ASCII letters A-Z in
	// lower case and every other character as it is: the fold both
	// databases agree on (SQLite's lower() folds ASCII only).
	asciiLower(col string) string
	// watch calls notify after connecting and whenever another process may
	// have committed changes, until ctx ends; see DB.WatchChanges.
	watch(ctx context.Context, notify func(), log *slog.Logger) error
}

type errClass int

const (
	errOther errClass = iota
	errUnique
	errForeignKey
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// msgs are the client-facing messages an operation returns when a row is
// missing, a unique constraint fails, or a referenced row is missing.
type msgs struct {
	notFound string
	conflict string
	missing  string // foreign-key violation; notFound when empty
}

// translate turns a driver error into a *keyhold.Error when it has a
// meaning the client may see, and wraps it with op otherwise.
func (t *tx) translate(op string, err error, m msgs) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows) && m.notFound != "":
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: m.notFound}
	}
	switch t.d.classify(err) {
	case errUnique:
		if m.conflict != "" {
			return &keyhold.Error{Code: keyhold.ECONFLICT, Message: m.conflict}
		}
	case errForeignKey:
		if m.missing != "" {
			return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: m.missing}
		} else if m.notFound != "" {
			return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: m.notFound}
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ts prepares a time for writing: UTC, truncated to microseconds, which is
// what PostgreSQL keeps, so that both dialects read back the same value.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS is ts for optional times.
func nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// timeFormats are the layouts SQLite text times come in when the driver
// does not convert them itself (an expression instead of a column).
var timeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// scanTime scans a NOT NULL time column into *t, in UTC.
type scanTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s scanTime) Scan(v any) error {
	t, ok, err := parseTime(v)
	if err != nil {
		return err
	} else if !ok {
		return errors.New("scan time: unexpected NULL")
	}
	*s.t = t
	return nil
}

// scanNullTime scans a nullable time column into *t, in UTC: a new
// time.Time for a value, nil for NULL, so *t is never shared.
type scanNullTime struct{ t **time.Time }

// Scan implements sql.Scanner.
func (s scanNullTime) Scan(v any) error {
	t, ok, err := parseTime(v)
	if err != nil {
		return err
	} else if !ok {
		*s.t = nil
		return nil
	}
	*s.t = &t
	return nil
}

// parseTime converts what a driver returns for a time column; ok is false
// for NULL.
func parseTime(v any) (t time.Time, ok bool, err error) {
	var s string
	switch v := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return time.Time{}, false, fmt.Errorf("scan time: unsupported type %T", v)
	}
	if t, ok := parseUTC(s); ok {
		return t, true, nil
	}
	for _, f := range timeFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("scan time: cannot parse %q", s)
}

// parseUTC parses what the store writes on SQLite, "2006-01-02
// 15:04:05.999999999+00:00" (UTC, the fraction optional), a dozen times
// faster than time.Parse, which matters when scanning a million tokens.
// Anything else is not ok, and left to time.Parse.
func parseUTC(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
		s[len(s)-6:] != "+00:00" {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := s[19 : len(s)-6]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}
