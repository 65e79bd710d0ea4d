package bench_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/bench"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// seedSize is the shape of a generated data set.
type seedSize struct{ accounts, users, teams, tokens int }

// seedID is a UUID-shaped id of the i-th entity of a kind.
func seedID(kind, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, i) }

// genBulk generates a data set: tokens spread over accounts, one in ten a
// user's personal token, one in fifty expired before t0 and one in a hundred
// revoked; every account and user in a team or two; roles for every team,
// every user and one account in ten.
func genBulk(n seedSize) *bench.Bulk {
	b := &bench.Bulk{}
	ref := func(kind, i int) keyhold.Ref {
		if kind == 1 {
			return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: seedID(1, i)}
		}
		return keyhold.Ref{Type: keyhold.PrincipalUser, ID: seedID(2, i)}
	}
	role := func(i int, p keyhold.Ref) keyhold.AssignedRole {
		return keyhold.AssignedRole{ID: seedID(6, i), Principal: p, RoleName: "Viewer",
			EntityTypeName: "Teams", EntityID: "*", EntityRegion: "*", CreatedAt: t0}
	}
	for i := range n.accounts {
		b.Accounts = append(b.Accounts, keyhold.SystemAccount{ID: seedID(1, i), Name: fmt.Sprintf("account-%d", i),
			Description: "Seeded", KonnectManaged: i%7 == 0, CreatedAt: t0, UpdatedAt: t0})
	}
	for i := range n.users {
		b.Users = append(b.Users, keyhold.User{ID: seedID(2, i), Email: fmt.Sprintf("user-%d@example.com", i),
			FullName: fmt.Sprintf("User %d", i), Active: i%5 != 0, InferredRegion: "us", CreatedAt: t0, UpdatedAt: t0})
	}
	for i := range n.teams {
		tm := keyhold.Team{ID: seedID(3, i), Name: fmt.Sprintf("team-%d", i),
			Labels: map[string]string{"n": fmt.Sprint(i)}, CreatedAt: t0, UpdatedAt: t0}
		if i == 0 {
			tm.SystemTeam, tm.SystemKey, tm.Description = true, "organization-admin", ptr("Admins")
		}
		b.Teams = append(b.Teams, tm)
		b.Roles = append(b.Roles, role(len(b.Roles), keyhold.Ref{Type: keyhold.PrincipalTeam, ID: tm.ID}))
	}
	for i := range n.tokens {
		k := keyhold.Token{ID: seedID(4, i), Name: fmt.Sprintf("token-%d", i), CreatedAt: t0, UpdatedAt: t0}
		if i%10 == 9 && n.users > 0 {
			k.Kind, k.Owner = keyhold.TokenKindPersonal, ref(2, i%n.users)
		} else {
			k.Kind, k.Owner = keyhold.TokenKindSystemAccount, ref(1, i%n.accounts)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		d := sha256.Sum256(buf[:])
		k.Digest = d[:]
		switch {
		case i%50 == 0:
			k.ExpiresAt = ptr(at(-60))
		case i%3 == 0:
			k.ExpiresAt = ptr(at(60 * 24 * 90))
		}
		if i%100 == 1 {
			k.RevokedAt, k.RevokedBy = ptr(t0), ptr(seedID(2, 0))
		}
		b.Tokens = append(b.Tokens, k)
	}
	for i := range n.accounts {
		b.Memberships = append(b.Memberships, bench.Membership{TeamID: seedID(3, i%n.teams), Member: ref(1, i), At: t0})
		if i%10 == 0 {
			b.Roles = append(b.Roles, role(len(b.Roles), ref(1, i)))
		}
	}
	for i := range n.users {
		for j := range min(2, n.teams) {
			b.Memberships = append(b.Memberships, bench.Membership{TeamID: seedID(3, (i+j)%n.teams), Member: ref(2, i), At: t0})
		}
		b.Roles = append(b.Roles, role(len(b.Roles), ref(2, i)))
	}
	return b
}

func TestBulkLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := genBulk(seedSize{accounts: 30, users: 6, teams: 4, tokens: 120})
		for _, tc := range []struct {
			name  string
			db    *store.DB
			batch int
		}{
			{"SmallBatches", db, 7}, // full batches and a remainder
			{"OneBatch", storetest.Open(t, db.Dialect()), 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.BatchRows = tc.batch
				if err := bench.BulkLoad(ctx, tc.db, b); err != nil {
					t.Fatal(err)
				}
				got := scanAll(t, tc.db, 0)
				tokens := map[string]keyhold.Token{}
				for _, k := range b.Tokens {
					if k.State(t0) == keyhold.TokenActive {
						tokens[k.ID] = indexed(k)
					}
				}
				if len(tokens) == len(b.Tokens) || len(tokens) == 0 {
					t.Fatalf("the seed should have active and inactive tokens")
				}
				equal(t, "tokens", got.tokens, tokens)
				equal(t, "accounts", len(got.accounts), len(b.Accounts))
				equal(t, "account", got.accounts[b.Accounts[7].ID], b.Accounts[7])
				equal(t, "users", len(got.users), len(b.Users))
				equal(t, "user", got.users[b.Users[5].ID], b.Users[5])
				equal(t, "teams", len(got.teams), len(b.Teams))
				admins := b.Teams[0]
				admins.Labels = nil
				equal(t, "team", got.teams[admins.ID], admins)
				equal(t, "roles", len(got.roles), len(b.Roles))
				equal(t, "role", got.roles[b.Roles[len(b.Roles)-1].ID], b.Roles[len(b.Roles)-1])
				equal(t, "memberships", len(got.memberships), len(b.Memberships))
				read(t, tc.db, func(tx storage.Tx) error {
					tm, err := tx.Teams().GetTeam(ctx, b.Teams[3].ID)
					equal(t, "team with labels", tm, &b.Teams[3])
					return err
				})
			})
		}
		// A table that fails to load is rolled back whole: on SQLite, where
		// its indexes are dropped for the load, they come back with it.
		t.Run("FailedTableKeepsIndexes", func(t *testing.T) {
			dup := b.Tokens[0]
			dup.ID, dup.Name = newID(), "dup"
			if err := bench.BulkLoad(ctx, db, &bench.Bulk{Tokens: []keyhold.Token{dup}}); err == nil {
				t.Fatal("a token with an existing digest was loaded")
			}
			dup.ID, dup.Name = newID(), "dup2"
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Tokens().CreateToken(ctx, &dup) }), keyhold.ECONFLICT)
		})
	})
}

// TestBulkLoadSeed times BulkLoad of a production-sized data set (a million
// tokens, a hundred thousand accounts, ten thousand teams) and a scan of all
// of it, as a replica's index load does. It runs only with
// KEYHOLD_BENCH_SEED=1 (go test -run TestBulkLoadSeed -v ./bench), on every
// backend of the run; KEYHOLD_BENCH_SEED_TOKENS changes the number of tokens.
func TestBulkLoadSeed(t *testing.T) {
	if os.Getenv("KEYHOLD_BENCH_SEED") != "1" {
		t.Skip("KEYHOLD_BENCH_SEED is not 1")
	}
	size := seedSize{accounts: 100_000, users: 1_000, teams: 10_000, tokens: 1_000_000}
	if v := os.Getenv("KEYHOLD_BENCH_SEED_TOKENS"); v != "" {
		if _, err := fmt.Sscan(v, &size.tokens); err != nil {
			t.Fatalf("KEYHOLD_BENCH_SEED_TOKENS: %v", err)
		}
	}
	b := genBulk(size)
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.Open(t, backend)
			start := time.Now()
			if err := bench.BulkLoad(ctx, db, b); err != nil {
				t.Fatal(err)
			}
			t.Logf("BulkLoad: %d tokens, %d accounts, %d users, %d teams, %d memberships, %d roles in %v",
				len(b.Tokens), len(b.Accounts), len(b.Users), len(b.Teams), len(b.Memberships), len(b.Roles),
				time.Since(start).Round(time.Millisecond))

			start = time.Now()
			var n [6]int
			read(t, db, func(tx storage.Tx) error {
				return errors.Join(
					tx.Snapshot().ScanAssignedRoles(ctx, func(*keyhold.AssignedRole) error { n[0]++; return nil }),
					tx.Snapshot().ScanTeams(ctx, func(*keyhold.Team) error { n[1]++; return nil }),
					tx.Snapshot().ScanMemberships(ctx, func(string, keyhold.Ref) error { n[2]++; return nil }),
					tx.Snapshot().ScanSystemAccounts(ctx, func(*keyhold.SystemAccount) error { n[3]++; return nil }),
					tx.Snapshot().ScanUsers(ctx, func(*keyhold.User) error { n[4]++; return nil }),
					tx.Snapshot().ScanTokens(ctx, t0, func(k *keyhold.Token) error { n[5]++; return nil }),
				)
			})
			t.Logf("Scan: %d roles, %d teams, %d memberships, %d accounts, %d users, %d tokens in %v",
				n[0], n[1], n[2], n[3], n[4], n[5], time.Since(start).Round(time.Millisecond))
		})
	}
}

// t0 has a microsecond part, so that a round trip that dropped or rounded
// it would show.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func ptr[T any](v T) *T { return &v }

var idSeq atomic.Int64

// newID returns a UUID-shaped id, increasing within a test binary.
func newID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", idSeq.Add(1))
}

var ctx = context.Background()

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

// scanned holds copies of everything the store's Scan methods stream.
type scanned struct {
	tokens      map[string]keyhold.Token
	accounts    map[string]keyhold.SystemAccount
	users       map[string]keyhold.User
	teams       map[string]keyhold.Team
	roles       map[string]keyhold.AssignedRole
	memberships []string // "team member-type member-id", sorted
}

// scanAll reads back what BulkLoad wrote through the store's Scan methods,
// in one read transaction, as the index load does.
func scanAll(t *testing.T, db *store.DB, now int) *scanned {
	t.Helper()
	s := &scanned{tokens: map[string]keyhold.Token{}, accounts: map[string]keyhold.SystemAccount{},
		users: map[string]keyhold.User{}, teams: map[string]keyhold.Team{}, roles: map[string]keyhold.AssignedRole{}}
	read(t, db, func(tx storage.Tx) error {
		return errors.Join(
			tx.Snapshot().ScanTokens(ctx, at(now), func(k *keyhold.Token) error { s.tokens[k.ID] = *k; return nil }),
			tx.Snapshot().ScanSystemAccounts(ctx, func(a *keyhold.SystemAccount) error { s.accounts[a.ID] = *a; return nil }),
			tx.Snapshot().ScanUsers(ctx, func(u *keyhold.User) error { s.users[u.ID] = *u; return nil }),
			tx.Snapshot().ScanTeams(ctx, func(tm *keyhold.Team) error { s.teams[tm.ID] = *tm; return nil }),
			tx.Snapshot().ScanAssignedRoles(ctx, func(r *keyhold.AssignedRole) error { s.roles[r.ID] = *r; return nil }),
			tx.Snapshot().ScanMemberships(ctx, func(team string, m keyhold.Ref) error {
				s.memberships = append(s.memberships, strings.Join([]string{team, string(m.Type), m.ID}, " "))
				return nil
			}),
		)
	})
	slices.Sort(s.memberships)
	return s
}

// indexed returns the token as ScanTokens streams it: the fields the
// index needs only.
func indexed(k keyhold.Token) keyhold.Token {
	return keyhold.Token{ID: k.ID, Kind: k.Kind, Owner: k.Owner, Digest: k.Digest,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Intent: cmp.Or(k.Intent, keyhold.IntentAPI)}
}
