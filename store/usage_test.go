package store_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// TouchFirstUse sets and returns only the tokens never used, and leaves
// out missing ones; a second call finds them used.
func TestTouchFirstUse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db, "ci", 0)
		used := newToken(t, db, accountRef(acct), "used", 0)
		fresh := newToken(t, db, accountRef(acct), "fresh", 0)
		if err := db.TouchTokens(ctx, map[string]keyhold.TokenUse{used.ID: {At: at(1), IP: "192.0.2.1"}}); err != nil {
			t.Fatal(err)
		}
		batch := map[string]keyhold.TokenUse{
			used.ID: {At: at(5), IP: "192.0.2.5"}, fresh.ID: {At: at(5), IP: "192.0.2.6", UserAgent: "ua"}, newID(): {At: at(5)},
		}
		touch := func() (first []string) {
			t.Helper()
			write(t, db, func(tx storage.Tx) (err error) {
				first, err = tx.Usage().TouchFirstUse(ctx, batch)
				return err
			})
			return first
		}
		equal(t, "first uses", touch(), []string{fresh.ID})
		var got *keyhold.Token
		read(t, db, func(tx storage.Tx) (err error) {
			got, err = tx.Tokens().GetTokenByID(ctx, fresh.ID)
			return err
		})
		equal(t, "fresh's last use", got.LastUsedIP+" "+got.LastUsedUserAgent+" "+got.LastUsedAt.String(), "192.0.2.6 ua "+at(5).String())
		read(t, db, func(tx storage.Tx) (err error) {
			got, err = tx.Tokens().GetTokenByID(ctx, used.ID)
			return err
		})
		equal(t, "a used token is left to TouchTokens", *got.LastUsedAt, at(1))
		equal(t, "again", touch(), []string(nil))

		// TouchUsedTokens leaves a token never used alone and names it.
		never := newToken(t, db, accountRef(acct), "never", 0)
		var left []string
		write(t, db, func(tx storage.Tx) (err error) {
			left, err = tx.Usage().TouchUsedTokens(ctx, map[string]keyhold.TokenUse{never.ID: {At: at(9)}, used.ID: {At: at(9), IP: "192.0.2.9"}})
			return err
		})
		equal(t, "never used", left, []string{never.ID})
		for _, c := range []struct {
			k    *keyhold.Token
			want *time.Time
		}{{never, nil}, {used, ptr(at(9))}} {
			read(t, db, func(tx storage.Tx) (err error) {
				got, err = tx.Tokens().GetTokenByID(ctx, c.k.ID)
				return err
			})
			equal(t, c.k.Name+"'s last use after TouchUsedTokens", got.LastUsedAt, c.want)
		}
	})
}

// AddTokenNetworks returns the pairs it inserted, saying whether the token
// had a network before; it skips tokens that do not exist, and a token's
// networks go with it.
func TestAddTokenNetworks(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) { testAddTokenNetworks(t, backend) })
	}
}

func testAddTokenNetworks(t *testing.T, backend string) {
	t.Helper()
	db, url := storetest.OpenURL(t, backend)
	acct := newAccount(t, db, "ci", 0)
	u := newUser(t, db, "dev@example.com", 0)
	a := newToken(t, db, accountRef(acct), "a", 0)
	b := newToken(t, db, userRef(u), "b", 0)
	add := func(nets ...storage.TokenNetwork) (added []storage.TokenNetwork) {
		t.Helper()
		write(t, db, func(tx storage.Tx) (err error) {
			added, err = tx.Usage().AddTokenNetworks(ctx, nets)
			return err
		})
		for i := range added {
			added[i].FirstSeen = added[i].FirstSeen.UTC()
		}
		return added
	}
	net := func(id, n string) storage.TokenNetwork {
		return storage.TokenNetwork{TokenID: id, Network: n, FirstSeen: at(1)}
	}
	known := func(n storage.TokenNetwork) storage.TokenNetwork { n.Known = true; return n }
	missing := newID()
	equal(t, "first networks", add(net(a.ID, "192.0.2.0/24"), net(b.ID, "2001:db8::/64"), net(missing, "192.0.2.0/24")),
		[]storage.TokenNetwork{net(a.ID, "192.0.2.0/24"), net(b.ID, "2001:db8::/64")})
	equal(t, "the same again", add(net(a.ID, "192.0.2.0/24"), net(b.ID, "2001:db8::/64")), []storage.TokenNetwork(nil))
	equal(t, "a new one beside a known one", add(net(a.ID, "192.0.2.0/24"), net(b.ID, "198.51.100.0/24")),
		[]storage.TokenNetwork{known(net(b.ID, "198.51.100.0/24"))})

	var tokens []storage.UsedToken
	read(t, db, func(tx storage.Tx) (err error) {
		tokens, err = tx.Usage().UsedTokens(ctx, []string{b.ID, a.ID, missing})
		return err
	})
	want := []storage.UsedToken{
		{ID: a.ID, Name: "a", Digest: a.Digest, Owner: accountRef(acct), OwnerName: "ci"},
		{ID: b.ID, Name: "b", Digest: b.Digest, Owner: userRef(u), OwnerName: "dev@example.com"},
	}
	if want[1].ID < want[0].ID {
		want[0], want[1] = want[1], want[0]
	}
	equal(t, "used tokens", tokens, want)

	write(t, db, func(tx storage.Tx) error { return tx.Tokens().DeleteToken(ctx, userRef(u), b.ID) })
	n := 0
	if err := storetest.Raw(t, url).QueryRowContext(ctx, `SELECT COUNT(*) FROM token_networks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	equal(t, "networks left after b's deletion (a's)", n, 1)
}
