package store_test

import (
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// CountActiveTokens agrees with keyhold.Token.State on a token of every
// state, and counts only the owner's tokens of the kind asked.
func TestCountActiveTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		u := newUser(t, db, "count@example.com", 0)
		other := newUser(t, db, "other@example.com", 0)
		now := at(100)
		past, future := at(50), at(150)
		succ := newToken(t, db, userRef(u), "successor", 1)
		tokens := []*keyhold.Token{
			{Name: "active"},
			{Name: "never-expires"},
			{Name: "expires-later", ExpiresAt: &future},
			{Name: "expired", ExpiresAt: &past},
			{Name: "expires-now", ExpiresAt: &now},
			{Name: "revoked", RevokedAt: &past},
			{Name: "rotating", SuccessorID: &succ.ID, RotationDeadline: &future},
			{Name: "rotation-over", SuccessorID: &succ.ID, RotationDeadline: &past},
		}
		write(t, db, func(tx storage.Tx) error {
			for i, k := range tokens {
				k.ID, k.Kind, k.Owner, k.Digest = newID(), keyhold.TokenKindPersonal, userRef(u), []byte("count-"+k.Name)
				k.CreatedAt, k.UpdatedAt = at(i), at(i)
				if err := tx.Tokens().CreateToken(ctx, k); err != nil {
					return err
				}
			}
			return nil
		})
		newToken(t, db, userRef(other), "someone-else", 2)
		want := 1 // the successor
		for _, k := range tokens {
			if k.State(now) == keyhold.TokenActive {
				want++
			}
		}
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Tokens().CountActiveTokens(ctx, userRef(u), keyhold.TokenKindPersonal, now)
			if err != nil {
				return err
			}
			equal(t, "active personal tokens", got, want)
			got, err = tx.Tokens().CountActiveTokens(ctx, userRef(u), keyhold.TokenKindSystemAccount, now)
			if err != nil {
				return err
			}
			equal(t, "active system-account tokens of a user", got, 0)
			_, err = tx.Tokens().CountActiveTokens(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: newID()}, keyhold.TokenKindPersonal, now)
			wantCode(t, err, keyhold.EINVALID)
			return nil
		})
	})
}

func TestGetTeamBySystemKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tm := &keyhold.Team{ID: newID(), Name: "Admins", SystemTeam: true, SystemKey: "organization-admin",
			Labels: map[string]string{"k": "v"}, CreatedAt: t0, UpdatedAt: t0}
		write(t, db, func(tx storage.Tx) error { return tx.Teams().CreateTeam(ctx, tm) })
		newTeam(t, db, "plain", nil, 1)
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Teams().GetTeamBySystemKey(ctx, "organization-admin")
			if err != nil {
				return err
			}
			equal(t, "team", got, tm)
			_, err = tx.Teams().GetTeamBySystemKey(ctx, "portal-admin")
			wantCode(t, err, keyhold.ENOTFOUND)
			// A plain team has the empty key, which names no team.
			_, err = tx.Teams().GetTeamBySystemKey(ctx, "")
			wantCode(t, err, keyhold.ENOTFOUND)
			return nil
		})
	})
}

func TestListMemberTeamIDs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAccount(t, db, "member", 0)
		u := newUser(t, db, "member@example.com", 0)
		var want []string
		write(t, db, func(tx storage.Tx) error {
			// More than a page, so that nothing stops at the first one.
			for i := range keyhold.MaxPageSize + 1 {
				tm := &keyhold.Team{ID: newID(), Name: "t", CreatedAt: at(i), UpdatedAt: at(i)}
				if err := tx.Teams().CreateTeam(ctx, tm); err != nil {
					return err
				}
				if err := tx.Teams().AddTeamMember(ctx, tm.ID, accountRef(a), t0); err != nil {
					return err
				}
				want = append(want, tm.ID)
			}
			return nil
		})
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Teams().ListMemberTeamIDs(ctx, accountRef(a))
			if err != nil {
				return err
			}
			slices.Sort(got)
			slices.Sort(want)
			equal(t, "team ids", got, want)
			got, err = tx.Teams().ListMemberTeamIDs(ctx, userRef(u))
			if err != nil {
				return err
			}
			equal(t, "team ids of a user in none", got, []string{})
			_, err = tx.Teams().ListMemberTeamIDs(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: newID()})
			wantCode(t, err, keyhold.EINVALID)
			return nil
		})
	})
}

// ListRotating and ListAutoRotateDue go on from a cursor, through ties of
// deadline or expiry, without a token twice or one left out.
func TestBatchCursors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAccount(t, db, "batched", 0)
		succ := newToken(t, db, accountRef(a), "successor", 0)
		var want []string
		write(t, db, func(tx storage.Tx) error {
			for i := range 7 {
				when := at(100 + i/3) // ties of three
				k := &keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: accountRef(a), Name: "k" + string(rune('a'+i)),
					Digest: []byte("cursor-" + newID()), CreatedAt: t0, UpdatedAt: t0, ExpiresAt: &when, AutoRotate: true,
					SuccessorID: &succ.ID, RotationDeadline: &when}
				if err := tx.Tokens().CreateToken(ctx, k); err != nil {
					return err
				}
				want = append(want, k.ID)
			}
			return nil
		})
		var rotating, due []string
		read(t, db, func(tx storage.Tx) error {
			var after *keyhold.Token
			for {
				batch, err := tx.Expiry().ListRotating(ctx, after, 3)
				if err != nil {
					return err
				}
				for _, r := range batch {
					rotating = append(rotating, r.ID)
				}
				if len(batch) < 3 {
					break
				}
				after = &batch[len(batch)-1].Token
			}
			return nil
		})
		// Auto-rotation wants tokens without a successor: the same tokens,
		// their successors cleared.
		write(t, db, func(tx storage.Tx) error {
			for _, id := range want {
				k, err := tx.Tokens().GetTokenByID(ctx, id)
				if err != nil {
					return err
				}
				k.SuccessorID, k.RotationDeadline = nil, nil
				if err := tx.Tokens().UpdateToken(ctx, k); err != nil {
					return err
				}
			}
			return nil
		})
		read(t, db, func(tx storage.Tx) error {
			var after *keyhold.Token
			for {
				batch, err := tx.Expiry().ListAutoRotateDue(ctx, at(0), at(200), after, 3)
				if err != nil {
					return err
				}
				for _, k := range batch {
					due = append(due, k.ID)
				}
				if len(batch) < 3 {
					break
				}
				after = batch[len(batch)-1]
			}
			return nil
		})
		// Within a tie the order is by id, which newID makes the order of
		// creation.
		equal(t, "rotating, batch after batch", rotating, want)
		equal(t, "auto-rotation due, batch after batch", due, want)
	})
}
