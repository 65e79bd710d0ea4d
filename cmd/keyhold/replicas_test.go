package main

import (
	"bufio"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/store/storetest"
)

// Three replicas on one PostgreSQL work as one service: migrations and
// bootstrap run once, a token deleted through one is refused by the others
// within the change feed's bound, and background jobs run once across them.
func TestReplicas(t *testing.T) {
	if !hasPostgres(t) {
		t.Skip("KEYHOLD_TEST_POSTGRES is not set")
	}
	db := storetest.NewURL(t, storetest.Postgres)
	procs := make([]*process, 3)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { procs[i] = startServe(t, "--db", db, "--job-tick", "100ms", "--job-period", "1s") })
	}
	wg.Wait()
	start := time.Now()
	var admin string
	for _, p := range procs {
		if tok := kpatPattern.FindString(p.out.String()); tok != "" {
			admin = tok
		}
	}
	if admin == "" {
		t.Fatal("no replica bootstrapped")
	}
	raw := storetest.Raw(t, db)
	var dup int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM (SELECT version FROM schema_migrations GROUP BY version HAVING COUNT(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("migrations applied more than once: %d (%v)", dup, err)
	}

	a, b, c := procs[0], procs[1], procs[2]
	status, acct := a.call(t, "POST", "/v3/system-accounts", admin, `{"name":"fleet","description":""}`)
	if status != 201 {
		t.Fatalf("create account: %d %v", status, acct)
	}
	id := acct["id"].(string)
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	_, tok := a.call(t, "POST", "/v3/system-accounts/"+id+"/access-tokens", admin, `{"name":"t","expires_at":"`+expires+`"}`)
	spat, tokID := tok["token"].(string), tok["id"].(string)
	for _, p := range []*process{b, c} {
		waitStatus(t, p, spat, 200, "a new token on another replica")
	}
	// Revocation through one replica reaches the others.
	deleted := time.Now()
	if status, _ := a.call(t, "DELETE", "/v3/system-accounts/"+id+"/access-tokens/"+tokID, admin, ""); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := a.call(t, "GET", "/v1/authorize", spat, ""); status != 401 {
		t.Errorf("the deleting replica still accepts the token: %d", status)
	}
	for _, p := range []*process{b, c} {
		waitStatus(t, p, spat, 401, "a deleted token on another replica")
	}
	t.Logf("deleted token refused by both other replicas after %v", time.Since(deleted))

	// A token that expires is reported once, whichever replica sweeps.
	soon := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	_, short := b.call(t, "POST", "/v3/system-accounts/"+id+"/access-tokens", admin, `{"name":"short","expires_at":"`+soon+`"}`)
	shortID := short["id"].(string)
	deadline := time.Now().Add(15 * time.Second)
	var events int
	for time.Now().Before(deadline) {
		_, page := c.call(t, "GET", "/v3/audit-events?filter[action][eq]=token.expired&filter[target_id][eq]="+shortID, admin, "")
		events = int(page["meta"].(map[string]any)["page"].(map[string]any)["total"].(float64))
		if events > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let every replica's sweep have its chance to report it again
	_, page := c.call(t, "GET", "/v3/audit-events?filter[action][eq]=token.expired&filter[target_id][eq]="+shortID, admin, "")
	if n := int(page["meta"].(map[string]any)["page"].(map[string]any)["total"].(float64)); n != 1 {
		t.Errorf("expiry reported %d times, want once", n)
	}
	// Each replica tries every 100 ms; together they ran the sweep about
	// once a second, not three times as often.
	elapsed := time.Since(start)
	runs := 0.0
	for _, p := range procs {
		runs += metric(t, p, `keyhold_background_job_runs_total{job="expire-tokens"}`)
	}
	if limit := elapsed.Seconds()/1 + 2; runs < 1 || runs > limit {
		t.Errorf("expire-tokens ran %v times in %v across 3 replicas, want 1..%v", runs, elapsed, limit)
	}
}

// hasPostgres reports whether the tests have a PostgreSQL server
// (KEYHOLD_TEST_POSTGRES).
func hasPostgres(t *testing.T) bool {
	return slices.Contains(storetest.Backends(t), storetest.Postgres)
}

// waitStatus polls /v1/authorize until it answers want; the change feed's
// bound is well under a second, so 10 s means it is broken.
func waitStatus(t *testing.T, p *process, token string, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := p.call(t, "GET", "/v1/authorize", token, "")
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d after 10 s, want %d", what, status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric reads one sample from a replica's /metrics.
func metric(t *testing.T, p *process, name string) float64 {
	t.Helper()
	res, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(fmt.Errorf("metric %s: %w", name, err))
			}
			return f
		}
	}
	return 0
}
