package store

import (
	"context"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

var accountMsgs = msgs{
	notFound: "The requested system account was not found",
	conflict: "A system account with this name already exists",
}

const accountCols = `a.id, a.name, a.description, a.konnect_managed, a.managed_by_type,
	a.managed_by_id, a.disabled, a.created_at, a.updated_at, COALESCE(a.uid_number, 0)`

func scanAccount(s scanner, extra ...any) (*keyhold.SystemAccount, error) {
	var a keyhold.SystemAccount
	var managedType string
	err := s.Scan(append([]any{&a.ID, &a.Name, &a.Description, &a.KonnectManaged, &managedType,
		&a.ManagedBy.ID, &a.Disabled, scanTime{&a.CreatedAt}, scanTime{&a.UpdatedAt}, &a.UIDNumber}, extra...)...)
	if err != nil {
		return nil, err
	}
	a.ManagedBy.Type = keyhold.PrincipalType(managedType)
	return &a, nil
}

// CreateSystemAccount stores a with the next uidNumber, which it sets;
// ECONFLICT when the folded name is taken.
func (t *tx) CreateSystemAccount(ctx context.Context, a *keyhold.SystemAccount) error {
	uid, err := t.nextPOSIX(ctx, posixUID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO system_accounts (id, name, name_fold, description,
		description_fold, konnect_managed, managed_by_type, managed_by_id, disabled, created_at, updated_at, uid_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.ID, a.Name, strings.ToLower(a.Name), a.Description, strings.ToLower(a.Description),
		a.KonnectManaged, string(a.ManagedBy.Type), a.ManagedBy.ID, a.Disabled, ts(a.CreatedAt), ts(a.UpdatedAt), uid)
	if err == nil {
		a.UIDNumber = uid
	}
	return t.translate("create system account", err, accountMsgs)
}

// GetSystemAccount returns one account; ENOTFOUND.
func (t *tx) GetSystemAccount(ctx context.Context, id string) (*keyhold.SystemAccount, error) {
	a, err := scanAccount(t.tx.QueryRowContext(ctx,
		`SELECT `+accountCols+` FROM system_accounts a WHERE a.id = $1`, id))
	if err != nil {
		return nil, t.translate("get system account", err, accountMsgs)
	}
	return a, nil
}

// ListSystemAccounts returns a page of accounts, oldest first, and the total.
func (t *tx) ListSystemAccounts(ctx context.Context, f keyhold.SystemAccountFilter) ([]*keyhold.SystemAccount, int, error) {
	return t.listAccounts(ctx, "list system accounts", "system_accounts a", &where{}, f)
}

// ListTeamSystemAccounts returns a page of a team's accounts. A missing team
// has no accounts; the caller checks it exists.
func (t *tx) ListTeamSystemAccounts(ctx context.Context, teamID string, f keyhold.SystemAccountFilter) ([]*keyhold.SystemAccount, int, error) {
	w := &where{}
	w.add("m.team_id = %s", teamID)
	return t.listAccounts(ctx, "list team system accounts",
		"system_accounts a JOIN team_members m ON m.account_id = a.id", w, f)
}

func (t *tx) listAccounts(ctx context.Context, op, from string, w *where, f keyhold.SystemAccountFilter) ([]*keyhold.SystemAccount, int, error) {
	if err := w.str("a.name", "a.name_fold", f.Name); err != nil {
		return nil, 0, err
	}
	if err := w.str("a.description", "a.description_fold", f.Description); err != nil {
		return nil, 0, err
	}
	if err := accountWhere(w, f); err != nil {
		return nil, 0, err
	}
	return list(ctx, t, listQuery{op: op, cols: accountCols, from: from, w: w,
		order: "a.created_at, a.id", page: f.Page}, scanAccount)
}

// accountWhere adds the conditions of f but its name and description.
func accountWhere(w *where, f keyhold.SystemAccountFilter) error {
	if f.KonnectManaged != nil {
		w.add("a.konnect_managed = %s", *f.KonnectManaged)
	}
	if f.Disabled != nil {
		w.add("a.disabled = %s", *f.Disabled)
	}
	if f.TokensExpiringBefore == nil && f.TokensUnusedSince == nil {
		return nil
	}
	if f.Now.IsZero() {
		return keyhold.Errorf(keyhold.EINVALID, "A token condition needs the time it is judged at")
	}
	if f.TokensExpiringBefore != nil {
		w.conds = append(w.conds, `EXISTS (SELECT 1 FROM tokens k WHERE k.account_id = a.id AND `+
			working(w, f.Now)+` AND k.expires_at <= `+w.arg(ts(*f.TokensExpiringBefore))+`)`)
	}
	if f.TokensUnusedSince != nil {
		w.conds = append(w.conds, `EXISTS (SELECT 1 FROM tokens k WHERE k.account_id = a.id AND `+
			working(w, f.Now)+` AND (k.last_used_at IS NULL OR k.last_used_at < `+w.arg(ts(*f.TokensUnusedSince))+`))`)
	}
	return nil
}

// working is the condition that the token k works at now
// (keyhold.Token.Usable): neither revoked, nor expired, nor past its
// rotation deadline. Its placeholders are w's.
func working(w *where, now time.Time) string {
	return `k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ` + w.arg(ts(now)) +
		`) AND (k.rotation_deadline IS NULL OR k.rotation_deadline > ` + w.arg(ts(now)) + `)`
}

// ListAccountSummaries returns a page of accounts, oldest first, each with
// its working tokens at f.Now counted and its tokens' last use, in the
// query of the page; and the total.
func (t *tx) ListAccountSummaries(ctx context.Context, f keyhold.SystemAccountFilter) ([]*keyhold.AccountSummary, int, error) {
	if f.Now.IsZero() {
		return nil, 0, keyhold.Errorf(keyhold.EINVALID, "Counting working tokens needs the time they are judged at")
	}
	w := &where{}
	// The aggregate's placeholders come first: FROM precedes WHERE, and
	// every placeholder is numbered by its argument.
	from := `system_accounts a LEFT JOIN (SELECT k.account_id,
		SUM(CASE WHEN ` + working(w, f.Now) + ` THEN 1 ELSE 0 END) AS active,
		MAX(k.last_used_at) AS last_used
		FROM tokens k WHERE k.account_id IS NOT NULL GROUP BY k.account_id) s ON s.account_id = a.id`
	if err := w.str("a.name", "a.name_fold", f.Name); err != nil {
		return nil, 0, err
	}
	if err := w.str("a.description", "a.description_fold", f.Description); err != nil {
		return nil, 0, err
	}
	if err := accountWhere(w, f); err != nil {
		return nil, 0, err
	}
	return list(ctx, t, listQuery{op: "list account summaries", cols: accountCols + ", COALESCE(s.active, 0), s.last_used",
		from: from, w: w, order: "a.created_at, a.id", page: f.Page}, scanAccountSummary)
}

func scanAccountSummary(s scanner, extra ...any) (*keyhold.AccountSummary, error) {
	var sum keyhold.AccountSummary
	a, err := scanAccount(s, append([]any{&sum.ActiveTokens, scanNullTime{&sum.LastUsedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	sum.SystemAccount = *a
	return &sum, nil
}

// UpdateSystemAccount writes every field but id and created_at; ENOTFOUND,
// ECONFLICT.
func (t *tx) UpdateSystemAccount(ctx context.Context, a *keyhold.SystemAccount) error {
	return t.execOne(ctx, "update system account", accountMsgs, `UPDATE system_accounts
		SET name = $1, name_fold = $2, description = $3, description_fold = $4,
		konnect_managed = $5, managed_by_type = $6, managed_by_id = $7, disabled = $8, updated_at = $9
		WHERE id = $10`,
		a.Name, strings.ToLower(a.Name), a.Description, strings.ToLower(a.Description),
		a.KonnectManaged, string(a.ManagedBy.Type), a.ManagedBy.ID, a.Disabled, ts(a.UpdatedAt), a.ID)
}

// DeleteSystemAccount deletes an account; its tokens, assignments and
// memberships go with it (ON DELETE CASCADE). ENOTFOUND.
func (t *tx) DeleteSystemAccount(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete system account", accountMsgs,
		`DELETE FROM system_accounts WHERE id = $1`, id)
}
