package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// useFrom decides on a request of the token value from ip, as the API's
// authorization does, and fails unless the token is allowed. With a
// basicUser, the token is sent by HTTP Basic.
func useFrom(t *testing.T, d *service.Decider, value, ip string, basicUser string) {
	t.Helper()
	c := keyhold.Credentials{Bearer: value}
	if basicUser != "" {
		c = keyhold.Credentials{BasicUser: basicUser, BasicPass: value}
	}
	if v := d.DecideRequest(keyhold.RequestInfo{ClientIP: ip, UserAgent: "usetest"}, "api", c, nil); v.Outcome != authz.Allowed {
		t.Fatalf("use from %s: %v %s", ip, v.Outcome, v.Reason)
	}
}

// usedEvents returns the token.used events of a token, oldest first.
func usedEvents(t *testing.T, a keyhold.AuditService, ctx context.Context, tokenID string) []*keyhold.AuditEvent {
	t.Helper()
	l, err := a.ListAuditEvents(ctx, keyhold.AuditFilter{
		Action: &keyhold.StringFilter{Op: keyhold.OpEq, Value: "token.used"}, TargetID: &tokenID,
		Page: keyhold.Page{Number: 1, Size: keyhold.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(l.Items, func(a, b *keyhold.AuditEvent) int { return int(a.Seq - b.Seq) })
	return l.Items
}

func reasons(evs []*keyhold.AuditEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Reason)
	}
	return out
}

// Successful use is audited without a write per request: the first use of
// a token, the first use from each network new to it (/24, /64), and an
// hourly roll-up of the uses this replica recorded, stamped with the start
// of the hour. Uses from a known network write nothing.
func TestTokenUseAudit(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		tok := e.mint(a.ID, keyhold.TokenCreate{Name: "ci"})
		d := e.svc.Decider
		next := func() { e.clock.Advance(service.DefaultLastUseResolution) }
		flush := func(want ...string) {
			t.Helper()
			d.Flush(e.ctx, false)
			if got := reasons(usedEvents(t, e.audit, e.sys, tok.ID)); !slices.Equal(got, want) {
				t.Fatalf("token.used reasons:\n got %q\nwant %q", got, want)
			}
		}
		flush() // minted, never used

		useFrom(t, d, tok.Value, "192.0.2.10", "")
		useFrom(t, d, tok.Value, "192.0.2.11", "") // within the resolution: not even recorded
		flush("first_use 192.0.2.0/24")
		first := usedEvents(t, e.audit, e.sys, tok.ID)[0]
		want := keyhold.AuditEvent{ActorType: keyhold.PrincipalSystemAccount, ActorID: a.ID, ActorName: "deployer",
			TargetType: "token", TargetID: tok.ID, TargetName: "ci", SubjectID: a.ID, Outcome: keyhold.OutcomeSuccess,
			ClientIP: "192.0.2.10", UserAgent: "usetest", Count: 1, Time: t0,
			Credential: keyhold.AuditCredential{ID: tok.ID, Fingerprint: keyhold.TokenFingerprint(keyhold.TokenDigest(tok.Value)), Method: keyhold.AuthBearer}}
		got := *first
		got.ID, got.Action, got.Reason, got.Seq, got.Hash, got.RequestID, got.Changes = "", "", "", 0, [32]byte{}, "", nil
		want.Time = want.Time.UTC()
		got.Time = got.Time.UTC()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("first use:\n got %+v\nwant %+v", got, want)
		}
		if tk := e.getToken(a.ID, tok.ID); tk.LastUsedAt == nil || !tk.LastUsedAt.Equal(t0) || tk.LastUsedIP != "192.0.2.10" {
			t.Errorf("last use %v from %q, want %v from 192.0.2.10", tk.LastUsedAt, tk.LastUsedIP, t0)
		}

		next()
		useFrom(t, d, tok.Value, "192.0.2.200", "") // the same /24
		flush("first_use 192.0.2.0/24")
		next()
		useFrom(t, d, tok.Value, "198.51.100.7", "deployer") // a new /24, by HTTP Basic
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24")
		if ev := usedEvents(t, e.audit, e.sys, tok.ID)[1]; ev.ClientIP != "198.51.100.7" || ev.Credential.Method != keyhold.AuthBasic || !ev.Time.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("new network: from %q by %q at %v", ev.ClientIP, ev.Credential.Method, ev.Time)
		}
		next()
		useFrom(t, d, tok.Value, "2001:db8:1:2::5", "")
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24", "new_network 2001:db8:1:2::/64")
		next()
		useFrom(t, d, tok.Value, "2001:db8:1:2:ffff::1", "") // the same /64
		next()
		useFrom(t, d, tok.Value, "::ffff:192.0.2.99", "") // IPv4-mapped: the first /24
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24", "new_network 2001:db8:1:2::/64")

		// The hour ends: its roll-up counts the six recorded uses, stamped
		// with 09:00, with the last client.
		e.clock.Advance(time.Hour)
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24", "new_network 2001:db8:1:2::/64", "rollup")
		r := usedEvents(t, e.audit, e.sys, tok.ID)[3]
		if !r.Time.Equal(t0) || r.Count != 6 || r.ClientIP != "::ffff:192.0.2.99" || r.SubjectID != a.ID || r.Outcome != keyhold.OutcomeSuccess {
			t.Errorf("roll-up at %v, count %d, from %q, subject %q, outcome %q; want 09:00, 6, the last client, the account, success",
				r.Time, r.Count, r.ClientIP, r.SubjectID, r.Outcome)
		}
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24", "new_network 2001:db8:1:2::/64", "rollup")

		// A use in the next hour: its roll-up waits for the hour's end, or
		// for a shutdown's flush, which writes it stamped 10:00.
		useFrom(t, d, tok.Value, "192.0.2.10", "")
		flush("first_use 192.0.2.0/24", "new_network 198.51.100.0/24", "new_network 2001:db8:1:2::/64", "rollup")
		d.Flush(e.ctx, true)
		evs := usedEvents(t, e.audit, e.sys, tok.ID)
		if len(evs) != 5 || evs[4].Reason != "rollup" || evs[4].Count != 1 || !evs[4].Time.Equal(t0.Add(time.Hour)) {
			t.Errorf("after the shutdown flush: %q, last %+v", reasons(evs), evs[len(evs)-1])
		}
		// Leaf order is append order, not time order: the roll-up of 09:00
		// came after the events of 09:00 to 09:20 it counts.
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq <= evs[i-1].Seq {
				t.Errorf("events out of leaf order: %d then %d", evs[i-1].Seq, evs[i].Seq)
			}
		}
	})
}

// A token deleted before its roll-up is written keeps the roll-up, naming
// the token by id; its networks go with it.
func TestTokenUseRollupOfDeletedToken(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		tok := e.mint(a.ID, keyhold.TokenCreate{Name: "ci"})
		useFrom(t, e.svc.Decider, tok.Value, "192.0.2.10", "")
		e.svc.Decider.Flush(e.ctx, false)
		ok(t, "delete", e.tokens.DeleteToken(e.admin, accountRef(a.ID), tok.ID))
		e.clock.Advance(time.Hour)
		e.svc.Decider.Flush(e.ctx, false)
		evs := usedEvents(t, e.audit, e.sys, tok.ID)
		if got := reasons(evs); !slices.Equal(got, []string{"first_use 192.0.2.0/24", "rollup"}) {
			t.Fatalf("reasons %q", got)
		}
		if r := evs[1]; r.Count != 1 || r.TargetID != tok.ID || r.Credential.ID != tok.ID || r.SubjectID != "" {
			t.Errorf("roll-up of a deleted token: %+v", r)
		}
	})
}

// Two replicas flushing the first uses of the same tokens at once write one
// first-use event per token between them; the replica that lost the race
// sees the winner's network as known and reports its own as new.
func TestTokenFirstUseRace(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			_, url := storetest.OpenURL(t, backend)
			now := t0
			clock := func() time.Time { return now }
			replica := func() *service.Service {
				db, err := store.Open(context.Background(), url, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				return service.New(service.Config{Store: db, Now: clock})
			}
			a, b := replica(), replica()
			ctx := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: clientIP})
			boot, err := a.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"})
			ok(t, "bootstrap", err)
			ok(t, "load a", a.Feed.LoadIndex(ctx))
			p, err := a.Decider.Authenticate(ctx, keyhold.Credentials{Bearer: boot.Value})
			ok(t, "admin", err)
			admin := keyhold.NewContextWithPrincipal(ctx, p)
			acct, err := a.Accounts.CreateSystemAccount(admin, keyhold.SystemAccountCreate{Name: "racer"})
			ok(t, "account", err)
			const n = 40
			var values, ids []string
			for i := range n {
				tok, err := a.Tokens.CreateToken(admin, accountRef(acct.ID), keyhold.TokenCreate{Name: fmt.Sprintf("t%d", i)})
				ok(t, "mint", err)
				values, ids = append(values, tok.Value), append(ids, tok.ID)
			}
			ok(t, "load b", b.Feed.LoadIndex(ctx))
			for _, v := range values {
				useFrom(t, a.Decider, v, "192.0.2.1", "")
				useFrom(t, b.Decider, v, "198.51.100.1", "")
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, s := range []*service.Service{a, b} {
				wg.Go(func() {
					<-start
					s.Decider.Flush(ctx, false)
				})
			}
			close(start)
			wg.Wait()
			// Should PostgreSQL have aborted one flush as a deadlock, its
			// uses went back to its recorder: these flushes write them.
			a.Decider.Flush(ctx, false)
			b.Decider.Flush(ctx, false)
			for _, id := range ids {
				evs := usedEvents(t, a.Audit, admin, id)
				var firsts, networks int
				for _, e := range evs {
					switch {
					case strings.HasPrefix(e.Reason, "first_use "):
						firsts++
					case strings.HasPrefix(e.Reason, "new_network "):
						networks++
					}
				}
				if firsts != 1 || networks != 1 || len(evs) != 2 {
					t.Fatalf("token %s: %q, want one first use and one new network", id, reasons(evs))
				}
			}
		})
	}
}

// A periodic flush writes a bounded number of use events: once it has
// written its limit, the rest of its batches raise last_used_at of tokens
// used before, and the first uses wait for the next flushes, each written
// once and counted once in the roll-up.
func TestTokenUseEventsPerFlushBounded(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		d := e.svc.Decider
		old := e.mint(a.ID, keyhold.TokenCreate{Name: "old"})
		useFrom(t, d, old.Value, "192.0.2.10", "")
		d.Flush(e.ctx, false) // old's first use, and the admin's
		service.SetUseBatchForTest(d, 1, 1)
		var fresh []*keyhold.MintedToken
		for _, n := range []string{"a", "b", "c"} {
			fresh = append(fresh, e.mint(a.ID, keyhold.TokenCreate{Name: n}))
		}
		e.clock.Advance(service.DefaultLastUseResolution)
		useAt := e.clock.Now()
		useFrom(t, d, old.Value, "192.0.2.10", "")
		for _, tok := range fresh {
			useFrom(t, d, tok.Value, "192.0.2.10", "")
		}
		firstUses := func() (n int) {
			for _, tok := range fresh {
				for _, ev := range usedEvents(t, e.audit, e.sys, tok.ID) {
					if strings.HasPrefix(ev.Reason, "first_use") {
						n++
					}
				}
			}
			return n
		}
		for flush := 1; flush <= 4; flush++ {
			d.Flush(e.ctx, false)
			if got := firstUses(); got != min(flush, 3) {
				t.Fatalf("after flush %d: %d first uses written, want %d", flush, got, min(flush, 3))
			}
			// The token used before is touched at the first flush, over
			// the limit or not.
			if tk := e.getToken(a.ID, old.ID); tk.LastUsedAt == nil || !tk.LastUsedAt.Equal(useAt) {
				t.Fatalf("after flush %d: the used token's last use is %v, want %v", flush, tk.LastUsedAt, useAt)
			}
		}
		for _, tok := range fresh {
			if tk := e.getToken(a.ID, tok.ID); tk.LastUsedAt == nil || !tk.LastUsedAt.Equal(useAt) {
				t.Errorf("%s: last use %v, want %v", tok.Name, tk.LastUsedAt, useAt)
			}
		}
		e.clock.Advance(time.Hour)
		d.Flush(e.ctx, false)
		for _, tok := range append(fresh, &keyhold.MintedToken{Token: keyhold.Token{ID: old.ID, Name: "old"}}) {
			evs := usedEvents(t, e.audit, e.sys, tok.ID)
			want := 1
			if tok.ID == old.ID {
				want = 2
			}
			if r := evs[len(evs)-1]; r.Reason != "rollup" || r.Count != want {
				t.Errorf("%s: last event %q count %d, want a roll-up of %d", tok.Name, r.Reason, r.Count, want)
			}
		}
	})
}

// A subject token checked for a caller (/v1/check, /oauth2/introspect) is
// used from the client_ip the caller passes: its network is the one
// audited, and the address last_used_ip keeps; without one, the caller's.
func TestTokenUseOfCheckedSubject(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		tok := e.mint(a.ID, keyhold.TokenCreate{Name: "ci"})
		check := func(c keyhold.Credentials, want ...string) {
			t.Helper()
			_, usable, _, err := e.svc.Decider.CheckSubject(e.admin, c, nil)
			ok(t, "check", err)
			if !usable {
				t.Fatal("the subject token is not usable")
			}
			e.svc.Decider.Flush(e.ctx, false)
			if got := reasons(usedEvents(t, e.audit, e.sys, tok.ID)); !slices.Equal(got, want) {
				t.Fatalf("token.used reasons:\n got %q\nwant %q", got, want)
			}
			e.clock.Advance(service.DefaultLastUseResolution)
		}
		check(keyhold.Credentials{Bearer: tok.Value, ClientIP: "203.0.113.5"}, "first_use 203.0.113.0/24")
		if tk := e.getToken(a.ID, tok.ID); tk.LastUsedIP != "203.0.113.5" {
			t.Errorf("last_used_ip = %q, want the client_ip passed", tk.LastUsedIP)
		}
		// Without client_ip, the caller's own address.
		check(keyhold.Credentials{Bearer: tok.Value}, "first_use 203.0.113.0/24", "new_network 192.0.2.0/24")
	})
}
