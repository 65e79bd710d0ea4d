package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/server"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

// stack is keyhold's serving stack in-process, wired as `keyhold serve`
// wires it: store, service with metrics, httpapi.
type stack struct {
	svc     *service.Service
	handler http.Handler
	server  *httptest.Server
}

// seedDB initializes a SQLite database and seeds it; it returns the
// database's URL, the first admin's token and the token values.
func seedDB(tb testing.TB, tokens int) (url, admin string, values []string) {
	tb.Helper()
	ctx := context.Background()
	url = "sqlite:" + filepath.Join(tb.TempDir(), "keyhold.db")
	db := openDB(tb, url)
	defer closeDB(tb, db)
	tok, err := service.New(service.Config{Store: db}).Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "bench", AdminEmail: "admin@localhost"})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := Seed(ctx, db, SeedConfig{Tokens: tokens})
	if err != nil {
		tb.Fatal(err)
	}
	return url, tok.Value, res.Values
}

func openDB(tb testing.TB, url string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// closeDB closes db and fails tb if that fails: seedDB's database is
// opened again by URL, so a close that did not finish its work is a
// broken fixture.
func closeDB(tb testing.TB, db *store.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Error(err)
	}
}

// startStack serves a database, with its background work running, until
// the test ends.
func startStack(tb testing.TB, url string, poll time.Duration) *stack {
	return startStackLimited(tb, url, poll, 0)
}

// startStackLimited is startStack with a limit of failed authentications
// per address and minute (0: the default; negative: none).
func startStackLimited(tb testing.TB, url string, poll time.Duration, limit int) *stack {
	tb.Helper()
	db := openDB(tb, url)
	m := metrics.New()
	log := slog.New(slog.DiscardHandler)
	main := server.New(server.Config{DB: db, Logger: log, Metrics: m, NoConsole: true,
		Service: service.Config{Feed: service.FeedConfig{PollInterval: poll}, Decider: service.DeciderConfig{AuthFailureLimit: limit}}})
	if err := main.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	s := &stack{svc: main.Service, handler: main.Handler, server: httptest.NewServer(main.Handler)}
	tb.Cleanup(func() {
		s.server.Close()
		_ = main.Close()
		closeDB(tb, db)
	})
	return s
}

// A seeded organization answers the load generator's default decision
// with 200 for every token: the role is held through the teams.
func TestSeedAndLoad(t *testing.T) {
	url, _, values := seedDB(t, 500)
	s := startStack(t, url, time.Second)
	if st := s.svc.Feed.IndexStats(); st.Tokens != 501 || st.Principals != 51 {
		t.Errorf("index holds %+v, want 501 tokens (500 and the admin's) and 51 principals", st)
	}
	res, err := Load(context.Background(), LoadConfig{URLs: []string{s.server.URL}, Tokens: values,
		Concurrency: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Requests == 0 || res.Status[200] != res.Requests {
		t.Errorf("%d requests, %d errors, statuses %v; want only 200", res.Requests, res.Errors, res.Status)
	}
}

// Two servers over one SQLite file see each other's writes through the
// change feed's poll; the tool measures both directions.
func TestRevoke(t *testing.T) {
	url, admin, _ := seedDB(t, 10)
	a, b := startStack(t, url, 10*time.Millisecond), startStack(t, url, 10*time.Millisecond)
	var progress strings.Builder
	res, err := Revoke(context.Background(), RevokeConfig{URLs: []string{a.server.URL, b.server.URL},
		Admin: admin, Count: 3, Bound: 5 * time.Second, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refuse) != 3 || len(res.Accept) != 3 || res.Late+res.Skipped+res.Unaccepted+res.WriterAccepted != 0 {
		t.Errorf("result %+v", res)
	}
	if out := res.String(); !strings.Contains(out, "result n=3 p50_ms=") {
		t.Errorf("no result line:\n%s", out)
	}
}

// The write benchmark creates tokens through the API, each a token the
// server then holds, and counts only 201s of the measured window.
func TestMint(t *testing.T) {
	url, admin, _ := seedDB(t, 10)
	s := startStack(t, url, time.Second)
	before := s.svc.Feed.IndexStats().Tokens
	res, err := Mint(context.Background(), MintConfig{URL: s.server.URL, Admin: admin, Concurrency: 3,
		Warmup: 100 * time.Millisecond, Duration: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created == 0 || res.Failed != 0 || len(res.Latency) != res.Created {
		t.Fatalf("result %+v", res)
	}
	// The warm-up's creations and those past the window are not counted.
	if got := s.svc.Feed.IndexStats().Tokens - before; got < res.Created {
		t.Errorf("the server holds %d new tokens, the tool counted %d", got, res.Created)
	}
	if out := res.String(); !strings.Contains(out, "result created=") {
		t.Errorf("no result line:\n%s", out)
	}
	if _, err := Mint(context.Background(), MintConfig{URL: s.server.URL, Admin: "kpat_wrong", Duration: time.Second}); err == nil {
		t.Error("a refused admin token did not stop the run")
	}
}

// Probes of refused tokens are failed authentications, all from one
// address: a replica that rate-limits them stops the run with a clear
// error instead of timing out on every token.
func TestRevokeRateLimited(t *testing.T) {
	url, admin, _ := seedDB(t, 10)
	a, b := startStackLimited(t, url, 50*time.Millisecond, -1), startStackLimited(t, url, 50*time.Millisecond, 1)
	start := time.Now()
	_, err := Revoke(context.Background(), RevokeConfig{URLs: []string{a.server.URL, b.server.URL}, Admin: admin, Count: 20, Bound: 5 * time.Second})
	if !errors.Is(err, errRateLimited) {
		t.Errorf("err %v, want errRateLimited", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %v to notice", took)
	}
}

// A run whose time is up keeps the deletions it measured.
func TestRevokeStoppedEarly(t *testing.T) {
	url, admin, _ := seedDB(t, 10)
	a, b := startStack(t, url, 10*time.Millisecond), startStack(t, url, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := Revoke(ctx, RevokeConfig{URLs: []string{a.server.URL, b.server.URL}, Admin: admin, Count: 4, Pace: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped == nil || len(res.Refuse) == 0 || len(res.Refuse) == 4 || res.Late != 0 {
		t.Errorf("stopped %v after %d deletions, %d late; want stopped after 1 to 3, none late", res.Stopped, len(res.Refuse), res.Late)
	}
}

// nopWriter is the cheapest ResponseWriter, so that the handler
// benchmarks measure the handler.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(status int)      { w.status = status }

// benchHandler serves GET DefaultPath through h with tokens drawn at
// random, with no network and no server: the part of a request that is
// the handler's own. Row 2 compares the two handlers' servers; these
// benchmarks and their profiles tell where the difference goes.
func benchHandler(b *testing.B, h http.Handler, values []string) {
	auth := make([][]string, len(values))
	for i, v := range values {
		auth[i] = []string{"Bearer " + v}
	}
	order := make([]int32, 1<<16)
	for i := range order {
		order[i] = int32(rand.IntN(len(values)))
	}
	req := httptest.NewRequest("GET", DefaultPath, nil)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req.Header["Authorization"] = auth[order[i&(len(order)-1)]]
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkAuthorizeHandler is keyhold's GET /v1/authorize handler over a
// seeded SQLite database, as `keyhold serve` wires it.
func BenchmarkAuthorizeHandler(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			url, _, values := seedDB(b, n)
			benchHandler(b, startStack(b, url, time.Second).handler, values)
		})
	}
}

// BenchmarkBaselineHandler is the comparison server's handler.
func BenchmarkBaselineHandler(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			values := make([]string, n)
			for i := range values {
				values[i] = fmt.Sprintf("spat_%049d", i)
			}
			benchHandler(b, NewBaseline(values), values)
		})
	}
}

// BenchmarkLoadIndex is the start-up work of row 6: a replica's full scan
// of a seeded SQLite database into its index. Row 6 itself is measured on
// a real process by run.sh; this benchmark's profile tells where the
// time goes.
func BenchmarkLoadIndex(b *testing.B) {
	url, _, _ := seedDB(b, 100_000)
	db := openDB(b, url)
	defer closeDB(b, db)
	svc := service.New(service.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	for b.Loop() {
		if err := svc.Feed.LoadIndex(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
