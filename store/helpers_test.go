package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
)

// t0 has a microsecond part, so that a round trip that dropped or rounded
// it would show.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

var idSeq atomic.Int64

// newID returns a UUID-shaped id, increasing within a test binary.
func newID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", idSeq.Add(1))
}

var ctx = context.Background()

// write runs fn in a write transaction and fails the test on error.
func write(t *testing.T, db *store.DB, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := db.Write(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// read runs fn in a read transaction and fails the test on error.
func read(t *testing.T, db *store.DB, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := db.Read(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := keyhold.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if code != "" && keyhold.ErrorMessage(err) == "" {
		t.Fatalf("error %v has no message", err)
	}
}

// equal fails unless got and want are deeply equal.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func newAccount(t *testing.T, db *store.DB, name string, n int) *keyhold.SystemAccount {
	t.Helper()
	a := &keyhold.SystemAccount{ID: newID(), Name: name, Description: "about " + name,
		CreatedAt: at(n), UpdatedAt: at(n)}
	write(t, db, func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, a) })
	return a
}

func newUser(t *testing.T, db *store.DB, email string, n int) *keyhold.User {
	t.Helper()
	u := &keyhold.User{ID: newID(), Email: email, FullName: "Full " + email, PreferredName: "P",
		Active: true, InferredRegion: "us", CreatedAt: at(n), UpdatedAt: at(n)}
	write(t, db, func(tx storage.Tx) error { return tx.Users().CreateUser(ctx, u) })
	return u
}

func newTeam(t *testing.T, db *store.DB, name string, labels map[string]string, n int) *keyhold.Team {
	t.Helper()
	if labels == nil {
		labels = map[string]string{}
	}
	tm := &keyhold.Team{ID: newID(), Name: name, Labels: labels, CreatedAt: at(n), UpdatedAt: at(n)}
	write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, tm) })
	return tm
}

func newToken(t *testing.T, db *store.DB, owner keyhold.Ref, name string, n int) *keyhold.Token {
	t.Helper()
	kind := keyhold.TokenKindSystemAccount
	if owner.Type == keyhold.PrincipalUser {
		kind = keyhold.TokenKindPersonal
	}
	k := &keyhold.Token{ID: newID(), Kind: kind, Owner: owner, Name: name,
		Digest: []byte("digest-" + newID()), CreatedAt: at(n), UpdatedAt: at(n), Intent: keyhold.IntentAPI}
	write(t, db, func(tx storage.Tx) error { return tx.Tokens().CreateToken(ctx, k) })
	return k
}

func accountRef(a *keyhold.SystemAccount) keyhold.Ref {
	return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
}

func userRef(u *keyhold.User) keyhold.Ref { return keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID} }

func teamRef(tm *keyhold.Team) keyhold.Ref {
	return keyhold.Ref{Type: keyhold.PrincipalTeam, ID: tm.ID}
}

func page(number, size int) keyhold.Page { return keyhold.Page{Number: number, Size: size} }

func eq(v string) *keyhold.StringFilter { return &keyhold.StringFilter{Op: keyhold.OpEq, Value: v} }

func contains(v string) *keyhold.StringFilter {
	return &keyhold.StringFilter{Op: keyhold.OpContains, Value: v}
}

func ptr[T any](v T) *T { return &v }

// names returns the names of accounts, in order.
func accountNames(as []*keyhold.SystemAccount) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// accountNamed returns the account of exactly that name through the list
// filter; ENOTFOUND when there is none.
func accountNamed(ctx context.Context, tx storage.Tx, name string) (*keyhold.SystemAccount, error) {
	items, _, err := tx.Accounts().ListSystemAccounts(ctx, keyhold.SystemAccountFilter{
		Name: &keyhold.StringFilter{Op: keyhold.OpEq, Value: name}, Page: keyhold.Page{Number: 1, Size: 1}})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, keyhold.Errorf(keyhold.ENOTFOUND, "no system account is named %q", name)
	}
	return items[0], nil
}
