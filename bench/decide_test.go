// Package bench holds keyhold's benchmarks and load tools. Figures and the
// commands that produce them are in README.md; nothing here is a timed
// test.
package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/service"
)

// org is a synthetic organization loaded into an index: accounts in teams,
// each team holding a role, each account one direct role, and tokens
// spread over the accounts.
type org struct {
	ix     *authz.Index
	values []string
	query  *authz.Query
}

// packed lays token values end to end in one buffer, so that drawing one
// at random costs one cache miss for its bytes, not a second for a string
// header: the benchmark should measure the index, not its own fixture.
func packed(values []string) (buf []byte, width int) {
	width = len(values[0])
	buf = make([]byte, 0, len(values)*width)
	for _, v := range values {
		buf = append(buf, v...)
	}
	return buf, width
}

var (
	orgs   = map[int]*org{}
	orgsMu sync.Mutex
)

// buildOrg returns an index of n tokens over n/10 accounts and n/100 teams
// (1,000,000 tokens: 100,000 accounts, 10,000 teams), built once per size.
func buildOrg(tb testing.TB, tokens int) *org {
	orgsMu.Lock()
	defer orgsMu.Unlock()
	if o := orgs[tokens]; o != nil {
		return o
	}
	cat := keyhold.DefaultCatalogue()
	o := &org{ix: authz.New(cat), values: make([]string, tokens)}
	// As serve does: a decision reports a token's use once per resolution.
	o.ix.ReportUseEvery(service.DefaultLastUseResolution)
	accounts, teams := max(tokens/10, 1), max(tokens/100, 1)
	viewer, _ := cat.Role("Control Planes", "Viewer")
	admin, _ := cat.Role("Control Planes", "Admin")
	for t := 0; t < teams; t++ {
		o.ix.PutTeam(authz.TeamState{ID: fmt.Sprintf("team-%d", t), Grants: []authz.Grant{{Role: viewer, EntityID: "*", Region: "eu"}}})
	}
	for a := 0; a < accounts; a++ {
		o.ix.PutPrincipal(authz.PrincipalState{
			Ref: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("acct-%d", a)}, Name: fmt.Sprintf("bot-%d", a), Active: true,
			Direct: []authz.Grant{{Role: admin, EntityID: fmt.Sprintf("cp-%d", a), Region: "us"}},
			Teams:  []string{fmt.Sprintf("team-%d", a%teams)},
		})
	}
	expires := time.Now().Add(365 * 24 * time.Hour)
	for i := range o.values {
		v, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
		if err != nil {
			tb.Fatal(err)
		}
		o.values[i] = v
		o.ix.PutToken(&keyhold.Token{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Kind: keyhold.TokenKindSystemAccount,
			Owner:  keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("acct-%d", i%accounts)},
			Digest: keyhold.TokenDigest(v), CreatedAt: time.Now(), ExpiresAt: &expires})
	}
	// Viewer on a control plane in eu: granted through every team, implied
	// by nothing direct, so that evaluation walks the grants.
	o.query = &authz.Query{Role: viewer, EntityID: "11111111-1111-4111-8111-111111111111", Region: "eu"}
	orgs[tokens] = o
	runtime.GC()
	return o
}

// BenchmarkDecide is row 1 of bench/README.md: parse, hash, look up and
// evaluate one decision, with tokens drawn at random from the whole set.
func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			o := buildOrg(b, n)
			buf, w := packed(o.values)
			order := make([]int32, 1<<20)
			for i := range order {
				order[i] = int32(rand.IntN(len(o.values)))
			}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				at := int(order[i&(len(order)-1)]) * w
				v := unsafe.String(&buf[at], w)
				if d := o.ix.Decide(v, o.query, "", now); d.Outcome != authz.Allowed {
					b.Fatalf("decision %v: %s", d.Outcome, d.Reason)
				}
			}
		})
	}
}

// BenchmarkDecideBasic is row 1 with HTTP Basic credentials: the user name
// must be the token's principal's name, ignoring case. "exact" sends the
// name as stored, the common case; "folded" sends it in upper case.
func BenchmarkDecideBasic(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		o := buildOrg(b, n)
		accounts := max(n/10, 1)
		for _, c := range []struct {
			name string
			user func(i int) string
		}{
			{"exact", func(i int) string { return fmt.Sprintf("bot-%d", i%accounts) }},
			{"folded", func(i int) string { return fmt.Sprintf("BOT-%d", i%accounts) }},
		} {
			b.Run(fmt.Sprintf("tokens=%d/%s", n, c.name), func(b *testing.B) {
				buf, w := packed(o.values)
				users := make([]string, len(o.values))
				for i := range users {
					users[i] = c.user(i)
				}
				order := make([]int32, 1<<20)
				for i := range order {
					order[i] = int32(rand.IntN(len(o.values)))
				}
				now := time.Now()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					k := int(order[i&(len(order)-1)])
					v := unsafe.String(&buf[k*w], w)
					if d := o.ix.DecideBasic(users[k], v, o.query, "", now); d.Outcome != authz.Allowed {
						b.Fatalf("decision %v: %s", d.Outcome, d.Reason)
					}
				}
			})
		}
	}
}

// TestIndexMemoryPerToken is row 4: the resident memory an index grows by
// per loaded token. It is a measurement, printed with -v, whose bound the
// README records; it fails only far above the target, so that a noisy
// machine does not make it flaky.
func TestIndexMemoryPerToken(t *testing.T) {
	if os.Getenv("KEYHOLD_BENCH") == "" {
		t.Skip("a measurement, not a test: set KEYHOLD_BENCH=1 (bench/README.md)")
	}
	const n = 1_000_000
	values := make([]string, n)
	digests := make([][]byte, n)
	for i := range values {
		values[i], _ = keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
		digests[i] = keyhold.TokenDigest(values[i])
	}
	ix := authz.New(keyhold.DefaultCatalogue())
	for a := 0; a < n/10; a++ {
		ix.PutPrincipal(authz.PrincipalState{Ref: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("acct-%d", a)}, Name: fmt.Sprintf("bot-%d", a), Active: true})
	}
	// The token table lives outside the Go heap on Linux: count it.
	before := heap() + uint64(ix.Stats().TableBytes)
	expires := time.Now().Add(time.Hour)
	for i := 0; i < n; i++ {
		ix.PutToken(&keyhold.Token{ID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Kind: keyhold.TokenKindSystemAccount,
			Owner: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("acct-%d", i%(n/10))}, Digest: digests[i], ExpiresAt: &expires})
	}
	table := ix.Stats().TableBytes
	after := heap() + uint64(table)
	per := float64(after-before) / n
	t.Logf("index growth: %.0f bytes per token (%d tokens, heap and token table %d → %d MiB, of which the table %d MiB)", per, n, before>>20, after>>20, table>>20)
	if per > 600 {
		t.Errorf("%.0f bytes per token: far above the 300-byte target", per)
	}
	runtime.KeepAlive(ix)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
