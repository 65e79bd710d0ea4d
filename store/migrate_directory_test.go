package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// migratedFrom opens a fresh database at schema version v.
func migratedFrom(t *testing.T, backend string, v int) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, storetest.NewURL(t, backend), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.MigrateToForTest(ctx, v); err != nil {
		t.Fatal(err)
	}
	return db
}

// The seed functions insert rows by the columns of the first schema (every
// later column has a default), so that a migration test seeds the schema
// it starts from whatever columns the store writes today.

// seedAccountRaw inserts a system account created at minute n.
func seedAccountRaw(t *testing.T, db *store.DB, name string, n int) *keyhold.SystemAccount {
	t.Helper()
	a := &keyhold.SystemAccount{ID: newID(), Name: name, CreatedAt: at(n), UpdatedAt: at(n)}
	seedRaw(t, db, `INSERT INTO system_accounts (id, name, name_fold, description, description_fold,
		konnect_managed, managed_by_type, managed_by_id, created_at, updated_at)
		VALUES ($1, $2, $3, '', '', FALSE, '', '', $4, $4)`, a.ID, name, strings.ToLower(name), at(n).Format(time.RFC3339Nano))
	return a
}

// seedUserRaw inserts an active user created at minute n.
func seedUserRaw(t *testing.T, db *store.DB, email string, n int) *keyhold.User {
	t.Helper()
	u := &keyhold.User{ID: newID(), Email: email, Active: true, CreatedAt: at(n), UpdatedAt: at(n)}
	seedRaw(t, db, `INSERT INTO users (id, email, email_fold, full_name, full_name_fold, preferred_name,
		active, inferred_region, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, '', '', '', TRUE, 'us', '', $4, $4)`, u.ID, email, strings.ToLower(email), at(n).Format(time.RFC3339Nano))
	return u
}

// seedTeamRaw inserts a custom team created at minute n.
func seedTeamRaw(t *testing.T, db *store.DB, name string, n int) *keyhold.Team {
	t.Helper()
	tm := &keyhold.Team{ID: newID(), Name: name, CreatedAt: at(n), UpdatedAt: at(n)}
	seedRaw(t, db, `INSERT INTO teams (id, name, name_fold, description, system_team, system_key, created_at, updated_at)
		VALUES ($1, $2, $3, '', FALSE, '', $4, $4)`, tm.ID, name, strings.ToLower(name), at(n).Format(time.RFC3339Nano))
	return tm
}

// seedTokenRaw inserts a token of owner created at minute n.
func seedTokenRaw(t *testing.T, db *store.DB, owner keyhold.Ref, name string, n int) *keyhold.Token {
	t.Helper()
	k := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: owner, Name: name}
	col := "account_id"
	if owner.Type == keyhold.PrincipalUser {
		k.Kind, col = keyhold.TokenKindPersonal, "user_id"
	}
	seedRaw(t, db, `INSERT INTO tokens (id, kind, `+col+`, name, name_fold, digest, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $6)`, k.ID, string(k.Kind), owner.ID, name, []byte("digest-"+k.ID), at(n).Format(time.RFC3339Nano))
	return k
}

func seedRaw(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if err := db.ExecForTest(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
}

// Migration 0016 stores a token's intent; every token minted before it is
// an api token, so that none gains the power to bind to the directory.
func TestMigrateTokenIntent(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := migratedFrom(t, b, 15)
			acct := seedAccountRaw(t, db, "nas", 0).ID
			tok := seedTokenRaw(t, db, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct}, "old", 1).ID
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct}
			read(t, db, func(tx storage.Tx) error {
				k, err := tx.Tokens().GetToken(ctx, ref, tok)
				if err != nil {
					return err
				}
				equal(t, "intent of a token older than the migration", k.Intent, keyhold.IntentAPI)
				return nil
			})
			// The column refuses an intent keyhold does not know.
			if err := db.ExecForTest(ctx, `UPDATE tokens SET intent = 'ldap' WHERE id = $1`, tok); err == nil {
				t.Fatal("intent 'ldap' was stored")
			}
			// A token stored with an intent reads it back; an empty one is api.
			app := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: ref, Name: "app",
				Digest: []byte("digest-app"), CreatedAt: at(2), UpdatedAt: at(2), Intent: keyhold.IntentAppPassword}
			plain := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: ref, Name: "plain",
				Digest: []byte("digest-plain"), CreatedAt: at(2), UpdatedAt: at(2)}
			write(t, db, func(tx storage.Tx) error {
				if err := tx.Tokens().CreateToken(ctx, app); err != nil {
					return err
				}
				return tx.Tokens().CreateToken(ctx, plain)
			})
			got := map[string]string{}
			read(t, db, func(tx storage.Tx) error {
				return tx.Snapshot().ScanTokens(ctx, at(3), func(k *keyhold.Token) error { got[k.ID] = k.Intent; return nil })
			})
			equal(t, "scanned intents", got, map[string]string{tok: keyhold.IntentAPI, app.ID: keyhold.IntentAppPassword, plain.ID: keyhold.IntentAPI})
		})
	}
}

// seedEventRaw inserts an audit event of an admin at minute n, by the
// first schema's columns, and returns its id.
func seedEventRaw(t *testing.T, db *store.DB, action, targetType, targetID string, n int) string {
	t.Helper()
	id := newID()
	err := db.ExecForTest(ctx, `INSERT INTO audit_events (id, occurred_at, actor_type, actor_id,
		actor_name, action, target_type, target_id, target_name, outcome, request_id,
		client_ip, user_agent, count) VALUES ($1, $2, 'user', 'admin', 'admin', $3, $4, $5, '', 'success', '', '', '', 1)`,
		id, at(n).Format(time.RFC3339Nano), action, targetType, targetID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
