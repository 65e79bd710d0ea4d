package service

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "horse") {
		t.Fatalf("hash %q", h)
	}
	if !VerifyPassword(h, "correct horse battery staple") {
		t.Error("the right password was refused")
	}
	for _, bad := range []string{"", "correct horse battery stapl", "Correct horse battery staple"} {
		if VerifyPassword(h, bad) {
			t.Errorf("%q was accepted", bad)
		}
	}
	if VerifyPassword("$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "x") || VerifyPassword("garbage", "x") {
		t.Error("a malformed hash verified")
	}
}

func TestFailureRecorderAggregatesPerAddressAndMinute(t *testing.T) {
	f := newFailureRecorder()
	t0 := time.Date(2026, 1, 1, 10, 0, 5, 0, time.UTC)
	for i := 0; i < 5; i++ {
		f.record("192.0.2.1", "curl", t0.Add(time.Duration(i)*time.Second))
	}
	f.record("192.0.2.2", "curl", t0)
	f.record("192.0.2.1", "curl", t0.Add(time.Minute))
	if got := f.drain(t0.Add(30*time.Second), false); len(got) != 0 {
		t.Fatalf("the current minute was flushed early: %d events", len(got))
	}
	got := f.drain(t0.Add(time.Minute), false)
	counts := map[string]int{}
	for _, e := range got {
		counts[e.ClientIP] = e.Count
		if e.Action != "auth.failed" || e.Outcome != keyhold.OutcomeFailure || !e.Time.Equal(t0.Truncate(time.Minute)) {
			t.Errorf("event %+v", e)
		}
	}
	if counts["192.0.2.1"] != 5 || counts["192.0.2.2"] != 1 || len(got) != 2 {
		t.Errorf("counts = %v", counts)
	}
	if rest := f.drain(t0.Add(time.Minute), true); len(rest) != 1 || rest[0].Count != 1 {
		t.Errorf("final drain = %v", rest)
	}
}

func TestFailureRecorderIsBounded(t *testing.T) {
	f := newFailureRecorder()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := 0; i < maxFailureKeys+500; i++ {
		f.record(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "", t0)
	}
	got := f.drain(t0, true)
	if len(got) > maxFailureKeys+1 {
		t.Fatalf("%d keys kept, bound is %d", len(got), maxFailureKeys)
	}
	total := 0
	for _, e := range got {
		total += e.Count
	}
	if total != maxFailureKeys+500 {
		t.Errorf("counted %d failures, want %d", total, maxFailureKeys+500)
	}
}

func TestPolicy(t *testing.T) {
	cat := keyhold.DefaultCatalogue()
	type role struct{ et, r, id, region string }
	cases := []struct {
		name  string
		teams []string // system keys
		roles []role
		perm  keyhold.Permission
		holds bool
	}{
		{"org admin writes", []string{teamOrgAdmin}, nil, keyhold.PermIdentityWrite, true},
		{"read-only admin reads", []string{teamOrgAdminReadOnly}, nil, keyhold.PermIdentityRead, true},
		{"read-only admin cannot write", []string{teamOrgAdminReadOnly}, nil, keyhold.PermIdentityWrite, false},
		{"identity admin writes", nil, []role{{"Identity", "Admin", "*", "*"}}, keyhold.PermIdentityWrite, true},
		{"identity admin in one region still administers identities", nil, []role{{"Identity", "Admin", "*", "us"}}, keyhold.PermIdentityWrite, true},
		{"identity admin on one entity is not global", nil, []role{{"Identity", "Admin", "0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11", "*"}}, keyhold.PermIdentityWrite, false},
		{"control plane admin is not an identity admin", nil, []role{{"Control Planes", "Admin", "*", "*"}}, keyhold.PermIdentityRead, false},
		{"audit logs admin reads the audit trail", nil, []role{{"Audit Logs", "Admin", "*", "*"}}, keyhold.PermAuditRead, true},
		{"audit logs admin cannot read identities", nil, []role{{"Audit Logs", "Admin", "*", "*"}}, keyhold.PermIdentityRead, false},
		{"other system team grants nothing here", []string{"portal-admin"}, nil, keyhold.PermIdentityRead, false},
		{"nothing", nil, nil, keyhold.PermAuditRead, false},
	}
	for i, c := range cases {
		ix := authz.New(cat)
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprint(i)}
		st := authz.PrincipalState{Ref: ref, Name: "p", Active: true}
		for j, key := range c.teams {
			id := fmt.Sprint("team", j)
			ix.PutTeam(authz.TeamState{ID: id, SystemKey: key})
			st.Teams = append(st.Teams, id)
		}
		for _, r := range c.roles {
			g, ok := ix.GrantOf(&keyhold.AssignedRole{EntityTypeName: r.et, RoleName: r.r, EntityID: r.id, EntityRegion: r.region})
			if !ok {
				t.Fatalf("%s: unknown role", c.name)
			}
			st.Direct = append(st.Direct, g)
		}
		ix.PutPrincipal(st)
		s := &core{index: ix, catalogue: cat}
		if got := s.holds(&keyhold.Principal{Type: ref.Type, ID: ref.ID}, c.perm); got != c.holds {
			t.Errorf("%s: holds = %v", c.name, got)
		}
	}
}

func TestUsageRecorderKeepsLatest(t *testing.T) {
	u := newUsageRecorder(5 * time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	use := func(d time.Duration, ip string) keyhold.TokenUse {
		return keyhold.TokenUse{At: t0.Add(d), IP: ip, UserAgent: strings.Repeat("x", 600)}
	}
	a := [16]byte{15: 7}
	u.record(a, use(time.Minute, "192.0.2.1"))
	u.record(a, use(0, "192.0.2.2"))
	batch := u.drain(t0.Add(time.Minute), -1)
	if got := batch[a]; !got.At.Equal(t0.Add(time.Minute)) || got.IP != "192.0.2.1" || len(got.UserAgent) != maxUserAgent || len(u.drain(t0, -1)) != 0 {
		t.Fatalf("batch = %+v", batch)
	}
	// The write failed: the batch comes back, but a newer use wins.
	u.record(a, use(6*time.Minute, "192.0.2.3"))
	u.restore(batch)
	if got := u.drain(t0.Add(6*time.Minute), -1)[a]; !got.At.Equal(t0.Add(6*time.Minute)) || got.IP != "192.0.2.3" {
		t.Errorf("restore overwrote a newer use: %+v", got)
	}
}

// Waiting uses share their clients: one entry per address and user agent
// in a shard, rebuilt when a drain leaves most of them unused, without
// mixing up whose use came from where.
func TestUsageRecorderInternsClients(t *testing.T) {
	u := newUsageRecorder(5 * time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := func(i int) [16]byte { return [16]byte{13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)} }
	ip := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)) }
	const n = 20000
	for i := range n {
		u.record(id(i), keyhold.TokenUse{At: t0, IP: ip(i), UserAgent: "agent"})
	}
	if got := len(u.drain(t0.Add(time.Second), n-1000)); got != n-1000 {
		t.Fatalf("drained %d, want %d", got, n-1000)
	}
	clients := 0
	for i := range u.shards {
		sh := &u.shards[i]
		clients += len(sh.clients.list)
		if len(sh.clients.list) > max(64, 2*len(sh.pending)) || len(sh.clients.by) != len(sh.clients.list) {
			t.Errorf("shard %d keeps %d clients (%d indexed) for %d waiting uses", i, len(sh.clients.list), len(sh.clients.by), len(sh.pending))
		}
	}
	if clients > 1000 {
		t.Errorf("%d clients kept for 1000 waiting uses", clients)
	}
	for k, use := range u.drain(t0.Add(2*time.Second), -1) {
		i := int(k[13])<<16 | int(k[14])<<8 | int(k[15])
		if use.IP != ip(i) || use.UserAgent != "agent" || !use.At.Equal(t0) {
			t.Fatalf("token %d: use %+v, want from %s", i, use, ip(i))
		}
	}
	// Many tokens used from one client keep one entry per shard.
	for i := range n {
		u.record(id(i), keyhold.TokenUse{At: t0, IP: "192.0.2.1", UserAgent: "agent"})
	}
	for i := range u.shards {
		if n := len(u.shards[i].clients.list); n != 1 {
			t.Fatalf("shard %d keeps %d clients for one", i, n)
		}
	}
}

// A flush writes at most its limit, the oldest waiting uses not first but
// every use that has waited a resolution whatever the limit.
func TestUsageRecorderLimit(t *testing.T) {
	const res = 5 * time.Minute
	u := newUsageRecorder(res)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		u.record([16]byte{14: byte(i >> 8), 15: byte(i)}, keyhold.TokenUse{At: t0})
	}
	written := u.drain(t0.Add(30*time.Second), 100)
	if len(written) != 100 {
		t.Fatalf("first flush wrote %d, want the limit, 100", len(written))
	}
	second := u.drain(t0.Add(time.Minute), 100)
	if len(second) != 100 {
		t.Fatalf("second flush wrote %d, want 100", len(second))
	}
	maps.Copy(written, second)
	// A newer use of a waiting token keeps its place in the queue. (The
	// index reports no new use of the tokens just written within the
	// resolution.)
	for i := range 300 {
		id := [16]byte{14: byte(i >> 8), 15: byte(i)}
		if _, ok := written[id]; !ok {
			u.record(id, keyhold.TokenUse{At: t0.Add(2 * time.Minute)})
		}
	}
	if got := u.drain(t0.Add(res), 10); len(got) != 100 {
		t.Fatalf("flush a resolution later wrote %d, want every waiting use, 100", len(got))
	}
}

// The feed position waits at a missing sequence number (a transaction
// that took it may not have committed yet) and passes it only once it is
// seen or gapTimeout has gone by.
func TestFeedAdvanceWaitsAtGaps(t *testing.T) {
	s := &Feed{feed: feed{applied: 10, seen: map[int64]bool{}, gaps: map[int64]time.Time{}}}
	apply := func(seqs ...int64) {
		var cs []keyhold.Change
		for _, q := range seqs {
			s.feed.seen[q] = true
			cs = append(cs, keyhold.Change{Seq: q})
		}
		s.advance(cs)
	}
	apply(11, 13, 14)
	if s.feed.applied != 11 {
		t.Fatalf("applied = %d, want 11 (waiting at 12)", s.feed.applied)
	}
	apply(12)
	if s.feed.applied != 14 || len(s.feed.seen) != 0 || len(s.feed.gaps) != 0 {
		t.Fatalf("after 12 arrived: applied %d, seen %v, gaps %v", s.feed.applied, s.feed.seen, s.feed.gaps)
	}
	apply(16)
	if s.feed.applied != 14 {
		t.Fatalf("applied = %d, want 14 (waiting at 15)", s.feed.applied)
	}
	s.feed.gaps[15] = time.Now().Add(-gapTimeout - time.Second) // 15 rolled back long ago
	apply()
	s.advance([]keyhold.Change{{Seq: 16}})
	if s.feed.applied != 16 {
		t.Errorf("applied = %d, want 16 once the gap timed out", s.feed.applied)
	}
}

// Deliveries reach public addresses, and non-public ones only in the
// networks an operator allows.
func TestEgressPolicy(t *testing.T) {
	def := egressPolicy{}
	allow := egressPolicy{allowed: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("::1/128")}}
	cases := []struct {
		addr          string
		def, allowing bool // refused by default, refused with allow
	}{
		{"8.8.8.8", false, false},
		{"2001:4860:4860::8888", false, false},
		{"127.0.0.1", true, true},
		{"127.8.9.10", true, true},
		{"::1", true, false},
		{"::ffff:127.0.0.1", true, true},
		{"169.254.169.254", true, true},
		{"10.20.30.40", true, false},
		{"::ffff:10.20.30.40", true, false},
		{"10.21.0.1", true, true},
		{"172.31.255.255", true, true},
		{"172.32.0.1", false, false},
		{"192.168.1.1", true, true},
		{"100.64.0.1", true, true},
		{"0.0.0.0", true, true},
		{"::", true, true},
		{"fd12:3456::1", true, true},
		{"fe80::1%eth0", true, true},
		{"64:ff9b::7f00:1", true, true},
		{"2002:7f00:1::1", true, true},
		{"224.0.0.1", true, true},
		{"255.255.255.255", true, true},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		if got := def.refuses(a); got != c.def {
			t.Errorf("%s: refused %v by default, want %v", c.addr, got, c.def)
		}
		if got := allow.refuses(a); got != c.allowing {
			t.Errorf("%s: refused %v with 10.20.0.0/16 and ::1 allowed, want %v", c.addr, got, c.allowing)
		}
	}
	if err := def.control("tcp", "169.254.169.254:80", nil); err == nil || !strings.Contains(err.Error(), "--webhook-allow-networks") {
		t.Errorf("dial to the metadata address: %v", err)
	}
	if err := def.control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("dial to a public address: %v", err)
	}
}

// The console sets apart the predefined teams that make their members
// administrators, by keyhold.Team.AdminGrant: exactly the privileged teams
// and those giving an Admin role, each saying what it grants.
func TestSystemTeamAdminGrants(t *testing.T) {
	for _, st := range systemTeams {
		admin := st.key == teamOrgAdmin || st.key == teamOrgAdminReadOnly
		for _, r := range st.roles {
			admin = admin || r.role == "Admin"
		}
		grant := (&keyhold.Team{SystemTeam: true, SystemKey: st.key}).AdminGrant()
		if admin != (grant != "") {
			t.Errorf("%s: administrator %v, AdminGrant %q", st.name, admin, grant)
		}
		if (&keyhold.Team{SystemKey: st.key}).AdminGrant() != "" {
			t.Errorf("%s: an ordinary team with its key counts as a system team", st.name)
		}
	}
}
