package store_test

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// scanned holds copies of everything the Scan methods stream.
type scanned struct {
	tokens      map[string]keyhold.Token
	accounts    map[string]keyhold.SystemAccount
	users       map[string]keyhold.User
	teams       map[string]keyhold.Team
	roles       map[string]keyhold.AssignedRole
	memberships []string // "team member-type member-id", sorted
}

// scanAll runs every Scan method in one read transaction, as the index
// load does, keeping a copy of each struct it is given.
func scanAll(t *testing.T, db *store.DB, now int) *scanned {
	t.Helper()
	s := &scanned{tokens: map[string]keyhold.Token{}, accounts: map[string]keyhold.SystemAccount{},
		users: map[string]keyhold.User{}, teams: map[string]keyhold.Team{}, roles: map[string]keyhold.AssignedRole{}}
	read(t, db, func(tx storage.Tx) error {
		return errors.Join(
			tx.Snapshot().ScanTokens(ctx, at(now), func(k *keyhold.Token) error {
				if k.Name != "" || !k.UpdatedAt.IsZero() || k.LastUsedAt != nil {
					t.Errorf("ScanTokens read more than the index needs: %+v", k)
				}
				s.tokens[k.ID] = *k
				return nil
			}),
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

// byID maps pointers to copies by id.
func byID[T any](items []*T, id func(*T) string) map[string]T {
	m := map[string]T{}
	for _, it := range items {
		m[id(it)] = *it
	}
	return m
}

func membership(team *keyhold.Team, m keyhold.Ref) string {
	return strings.Join([]string{team.ID, string(m.Type), m.ID}, " ")
}

func TestScan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		u1 := newUser(t, db, "one@example.com", 0)
		u2 := newUser(t, db, "two@example.com", 1)
		u2.Active, u2.PasswordHash, u2.UpdatedAt = false, "$argon2id$x", at(2)
		write(t, db, func(tx storage.Tx) error { return tx.Users().UpdateUser(ctx, u2) })
		a1 := newAccount(t, db, "ci", 0)
		a2 := &keyhold.SystemAccount{ID: newID(), Name: "managed", KonnectManaged: true,
			ManagedBy: userRef(u1), CreatedAt: at(1), UpdatedAt: at(1)}
		write(t, db, func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, a2) })
		admins := &keyhold.Team{ID: newID(), Name: "Admins", Description: ptr("the admins"), SystemTeam: true,
			SystemKey: "organization-admin", Labels: map[string]string{"env": "prod"}, CreatedAt: t0, UpdatedAt: t0}
		write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, admins) })
		devs := newTeam(t, db, "devs", nil, 1)
		write(t, db, func(tx storage.Tx) error {
			return errors.Join(
				tx.Teams().AddTeamMember(ctx, admins.ID, userRef(u1), t0),
				tx.Teams().AddTeamMember(ctx, devs.ID, userRef(u1), t0),
				tx.Teams().AddTeamMember(ctx, devs.ID, accountRef(a1), t0))
		})
		var roles []*keyhold.AssignedRole
		for _, p := range []keyhold.Ref{accountRef(a1), teamRef(devs), userRef(u2)} {
			r := &keyhold.AssignedRole{ID: newID(), Principal: p, RoleName: "Viewer", EntityTypeName: "Teams",
				EntityID: "*", EntityRegion: "*", CreatedAt: at(3)}
			write(t, db, func(tx storage.Tx) error { return tx.Roles().CreateAssignedRole(ctx, r) })
			roles = append(roles, r)
		}

		// now is at(5): tokens expiring then or before, and revoked ones,
		// are left out.
		forever := newToken(t, db, accountRef(a1), "forever", 0)
		pat := newToken(t, db, userRef(u1), "laptop", 1)
		// Two tokens with expiry times show that each copy keeps its own.
		var future, future2 *keyhold.Token
		write(t, db, func(tx storage.Tx) error {
			future = expiringToken(t, tx, accountRef(a1), 6)
			future2 = expiringToken(t, tx, userRef(u2), 7)
			expiringToken(t, tx, accountRef(a1), 5)
			expiringToken(t, tx, accountRef(a2), 1)
			revoked := expiringToken(t, tx, accountRef(a2), 60)
			revoked.RevokedAt, revoked.RevokedBy, revoked.UpdatedAt = ptr(at(2)), &u1.ID, at(2)
			return tx.Tokens().UpdateToken(ctx, revoked)
		})
		pat.LastUsedAt = ptr(at(4))
		if err := db.TouchTokens(ctx, map[string]keyhold.TokenUse{pat.ID: {At: at(4)}}); err != nil {
			t.Fatal(err)
		}

		got := scanAll(t, db, 5)
		tokens := map[string]keyhold.Token{}
		for _, k := range []*keyhold.Token{forever, pat, future, future2} {
			tokens[k.ID] = indexed(*k)
		}
		equal(t, "tokens", got.tokens, tokens)
		equal(t, "accounts", got.accounts, byID([]*keyhold.SystemAccount{a1, a2},
			func(a *keyhold.SystemAccount) string { return a.ID }))
		equal(t, "users", got.users, byID([]*keyhold.User{u1, u2}, func(u *keyhold.User) string { return u.ID }))
		// Scans leave labels out.
		admins.Labels, devs.Labels = nil, nil
		equal(t, "teams", got.teams, byID([]*keyhold.Team{admins, devs}, func(tm *keyhold.Team) string { return tm.ID }))
		equal(t, "roles", got.roles, byID(roles, func(r *keyhold.AssignedRole) string { return r.ID }))
		want := []string{membership(admins, userRef(u1)), membership(devs, userRef(u1)), membership(devs, accountRef(a1))}
		slices.Sort(want)
		equal(t, "memberships", got.memberships, want)

		t.Run("FnErrorStops", func(t *testing.T) {
			stop := errors.New("stop")
			calls := 0
			err := db.Read(ctx, func(tx storage.Tx) error {
				return tx.Snapshot().ScanTokens(ctx, at(5), func(*keyhold.Token) error { calls++; return stop })
			})
			if !errors.Is(err, stop) || calls != 1 {
				t.Fatalf("ScanTokens = %v after %d calls, want stop after 1", err, calls)
			}
		})
	})
}
