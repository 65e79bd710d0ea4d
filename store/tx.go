package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

var _ storage.Tx = (*tx)(nil)

// tx implements storage.Tx over one database transaction: one type holds
// every role's statements, and each role is the transaction seen through
// its interface.
type tx struct {
	tx *sql.Tx
	d  dialect
}

func (t *tx) Org() storage.Organization                    { return t }
func (t *tx) Accounts() storage.Accounts                   { return t }
func (t *tx) Users() storage.Users                         { return t }
func (t *tx) Tokens() storage.Tokens                       { return t }
func (t *tx) Expiry() storage.Expiry                       { return t }
func (t *tx) Teams() storage.Teams                         { return t }
func (t *tx) Roles() storage.Roles                         { return t }
func (t *tx) Changes() storage.Changes                     { return t }
func (t *tx) Snapshot() storage.Snapshot                   { return t }
func (t *tx) Audit() storage.Audit                         { return t }
func (t *tx) Webhooks() storage.Webhooks                   { return t }
func (t *tx) Deliveries() storage.Deliveries               { return t }
func (t *tx) AuditDestinations() storage.AuditDestinations { return t }
func (t *tx) Sessions() storage.Sessions                   { return t }
func (t *tx) POSIX() storage.POSIX                         { return t }
func (t *tx) Usage() storage.Usage                         { return t }

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

// exec runs a write that may violate a constraint. On PostgreSQL a failed
// statement aborts the transaction, while SQLite undoes only the statement;
// a savepoint makes PostgreSQL behave like SQLite, so a caller may go on
// after an ECONFLICT (for example, to create-if-missing) on both.
func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !t.d.savepoints() {
		return t.tx.ExecContext(ctx, query, args...)
	}
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT keyhold_stmt`); err != nil {
		return nil, err
	}
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		if _, rerr := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT keyhold_stmt`); rerr != nil {
			return nil, fmt.Errorf("%w (rollback to savepoint: %w)", err, rerr)
		}
		return nil, err
	}
	_, err = t.tx.ExecContext(ctx, `RELEASE SAVEPOINT keyhold_stmt`)
	return res, err
}

// execOne is exec for a statement that must touch a row: none touched is
// ENOTFOUND with m.notFound.
func (t *tx) execOne(ctx context.Context, op string, m msgs, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return t.translate(op, err, m)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	} else if n == 0 {
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: m.notFound}
	}
	return nil
}

// where collects the conditions and arguments of a query; arguments are
// numbered in the order they are added.
type where struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add adds a condition in which each %s is replaced by the placeholder of
// the matching argument.
func (w *where) add(cond string, args ...any) {
	ph := make([]any, len(args))
	for i, a := range args {
		ph[i] = w.arg(a)
	}
	w.conds = append(w.conds, fmt.Sprintf(cond, ph...))
}

// clause returns " WHERE …" or "".
func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// str adds a string filter: eq matches col exactly, contains matches a
// substring of foldCol, which holds strings.ToLower of col.
func (w *where) str(col, foldCol string, f *keyhold.StringFilter) error {
	if f == nil {
		return nil
	}
	switch f.Op {
	case keyhold.OpEq:
		w.add(col+" = %s", f.Value)
	case keyhold.OpContains:
		w.add(foldCol+` LIKE %s ESCAPE '\'`, containsPattern(f.Value))
	default:
		return keyhold.Errorf(keyhold.EINVALID, "Unsupported filter operator %q", f.Op)
	}
	return nil
}

// asciiStr is str for a column without a folded copy: contains matches a
// substring of col with ASCII letters folded to lower case on both sides,
// and every other character exactly, the same on SQLite and PostgreSQL.
func (t *tx) asciiStr(w *where, col string, f *keyhold.StringFilter) error {
	if f == nil {
		return nil
	}
	switch f.Op {
	case keyhold.OpEq:
		w.add(col+" = %s", f.Value)
	case keyhold.OpContains:
		w.add(t.d.asciiLower(col)+` LIKE %s ESCAPE '\'`, likeContains(asciiLower(f.Value)))
	default:
		return keyhold.Errorf(keyhold.EINVALID, "Unsupported filter operator %q", f.Op)
	}
	return nil
}

// asciiLower returns s with the ASCII letters A-Z in lower case.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// likeContains is a LIKE pattern matching s as a substring, with LIKE's
// own characters escaped by '\'.
func likeContains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// containsPattern is a LIKE pattern matching s as a case-insensitive
// substring, with LIKE's own characters escaped.
func containsPattern(s string) string {
	return likeContains(strings.ToLower(s))
}

// listQuery is a SELECT of one page of the matching rows, in order.
type listQuery struct {
	op    string
	cols  string // the select list
	from  string // tables and joins
	w     *where
	order string
	page  keyhold.Page
}

// list runs q and scans each row with scan, and returns the page and the
// total count of matching rows. The page is read on its own, so that the
// database stops after it (an index in the order reads only the page's
// rows, however long the table: the audit trail grows with every write);
// the total is counted apart, without sorting or reading the rows, and
// only when the page does not already tell it: a first page that is not
// full is the whole list. Both run in the caller's transaction, so they
// agree.
func list[T any](ctx context.Context, t *tx, q listQuery, scan func(s scanner, extra ...any) (T, error)) ([]T, int, error) {
	size, number := q.page.Size, q.page.Number
	if size < 1 {
		size = keyhold.DefaultPageSize
	}
	number = max(number, 1)
	offset := (number - 1) * size
	args := append([]any(nil), q.w.args...)
	n := len(args)
	query := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT $%d OFFSET $%d",
		q.cols, q.from, q.w.clause(), q.order, n+1, n+2)
	rows, err := t.tx.QueryContext(ctx, query, append(args, size, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", q.op, err)
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", q.op, err)
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", q.op, err)
	}
	if err := rows.Close(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", q.op, err)
	}
	if offset == 0 && len(items) < size {
		return items, len(items), nil
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+q.from+q.w.clause(), q.w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", q.op, err)
	}
	return items, total, nil
}

// principalColumn names the column that references a principal of type pt
// in tokens, team_members and assigned_roles.
func principalColumn(pt keyhold.PrincipalType) (string, bool) {
	switch pt {
	case keyhold.PrincipalSystemAccount:
		return "account_id", true
	case keyhold.PrincipalUser:
		return "user_id", true
	case keyhold.PrincipalTeam:
		return "team_id", true
	}
	return "", false
}

// memberColumn is principalColumn for principals that can be team members
// or own tokens: system accounts and users.
func memberColumn(pt keyhold.PrincipalType) (string, bool) {
	if pt == keyhold.PrincipalTeam {
		return "", false
	}
	return principalColumn(pt)
}

// principalArgs returns the values of account_id, team_id and user_id for
// a reference: its id in its own column, NULL in the others.
func principalArgs(r keyhold.Ref) (account, team, user any) {
	switch r.Type {
	case keyhold.PrincipalSystemAccount:
		account = r.ID
	case keyhold.PrincipalTeam:
		team = r.ID
	case keyhold.PrincipalUser:
		user = r.ID
	}
	return account, team, user
}

// principalRef is the inverse of principalArgs.
func principalRef(account, team, user sql.NullString) keyhold.Ref {
	switch {
	case account.Valid:
		return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: account.String}
	case team.Valid:
		return keyhold.Ref{Type: keyhold.PrincipalTeam, ID: team.String}
	case user.Valid:
		return keyhold.Ref{Type: keyhold.PrincipalUser, ID: user.String}
	}
	return keyhold.Ref{}
}
