package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// SoakConfig is one run of the soak: a mixed load held for a long time
// while the server's resources are sampled.
type SoakConfig struct {
	// URL is the server's base URL, http://127.0.0.1:PORT. Loopback only.
	URL string
	// Admin is a token allowed to manage system accounts and read the
	// audit log (the first admin's).
	Admin string
	// Duration is the whole run, warm-up included; Warmup is its first
	// part, sampled and plotted but left out of the verdict. Sample is
	// the interval between two samples. Defaults 30m, 2m, 10s.
	Duration, Warmup, Sample time.Duration
	// Concurrency is the number of workers, each with one request in
	// flight; default 16.
	Concurrency int
	// Accounts is the number of system accounts made for the run; default
	// 50. Each holds between 1 and MaxTokens live tokens (default 4).
	Accounts, MaxTokens int
	// Timeout bounds one request; default 10s.
	Timeout time.Duration
	// CSV, if set, receives the header and then one row per sample as it
	// is taken, so that a run cut short keeps what it measured.
	CSV io.Writer
	// Progress, if set, receives a line now and then and the first
	// errors; a failed write is ignored.
	Progress io.Writer
}

// SoakSample is one interval of the run. The resources are the server's,
// read from its /metrics at the end of the interval; the operations and
// latencies are those completed in the interval, seen by the client.
type SoakSample struct {
	At                             time.Duration // since the start
	RSS, Goroutines, FDs, Heap     float64
	Decisions, Reads, Writes       int64
	Errors                         int64
	P50, P99, P999                 time.Duration // decisions
	ReadP99, WriteP99              time.Duration
	Status200, Status403, Status4x int64 // decisions: 200, 403 (both expected), other
}

// SoakResult is the samples of a run and its totals.
type SoakResult struct {
	Samples                  []SoakSample
	Warmup                   time.Duration
	Decisions, Reads, Writes int64
	// Mints, Rotations and Deletions split the writes.
	Mints, Rotations, Deletions int64
	// Allowed and Denied are the decisions answered 200 and 403, both
	// expected.
	Allowed, Denied int64
	Errors          int64
	// FirstErrors holds the first few errors' descriptions (never a
	// token value).
	FirstErrors []string
}

// soakAccount is a system account of the run and its tokens known live:
// only those are used for decisions. A writer takes a token out of the set
// before it rotates or deletes it, and only a token that no decision is
// using at that moment, so every decision's token is live from its request
// to its answer and any 401 is an error.
type soakAccount struct {
	id, entity string
	mu         sync.Mutex
	live       []*soakToken
}

type soakToken struct {
	ID, Token string
	inflight  int // decisions using it now; under the account's mu
}

// take removes and returns a live token that no decision is using, the
// oldest such if oldest is set, else one at random; false when keep or
// fewer tokens are live, or all are in use.
func (a *soakAccount) take(rng *rand.Rand, keep int, oldest bool) (*soakToken, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.live) <= keep {
		return nil, false
	}
	var idle []int
	for i, t := range a.live {
		if t.inflight == 0 {
			idle = append(idle, i)
		}
	}
	if len(idle) == 0 {
		return nil, false
	}
	i := idle[0]
	if !oldest {
		i = idle[rng.IntN(len(idle))]
	}
	t := a.live[i]
	a.live = append(a.live[:i], a.live[i+1:]...)
	return t, true
}

func (a *soakAccount) add(t *soakToken) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.live = append(a.live, t)
	return len(a.live)
}

// pick leases a live token for a decision; release ends the lease.
func (a *soakAccount) pick(rng *rand.Rand) (*soakToken, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.live) == 0 {
		return nil, false
	}
	t := a.live[rng.IntN(len(a.live))]
	t.inflight++
	return t, true
}

func (a *soakAccount) release(t *soakToken) {
	a.mu.Lock()
	t.inflight--
	a.mu.Unlock()
}

// soakStats is what one worker measured since the last sample.
type soakStats struct {
	mu                          sync.Mutex
	decisions, reads, writes    []time.Duration
	errors                      int64
	s200, s403, sOther          int64
	mints, rotations, deletions int64
}

type soaker struct {
	cfg      SoakConfig
	base     string
	client   *http.Client
	accounts []*soakAccount
	foreign  string // an entity no account holds a role on: decisions about it are 403
	expires  string
	stats    []*soakStats

	errMu       sync.Mutex
	firstErrors []string
}

func (c *SoakConfig) check() error {
	if c.Admin == "" {
		return errors.New("soak: no admin token")
	}
	u, err := CheckLoopbackURL(c.URL)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	c.URL = strings.TrimRight(u.String(), "/")
	if c.Duration == 0 {
		c.Duration = 30 * time.Minute
	}
	if c.Sample == 0 {
		c.Sample = 10 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.Accounts == 0 {
		c.Accounts = 50
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 4
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	switch {
	case c.Duration < 0 || c.Duration > 12*time.Hour:
		return errors.New("soak: the duration must be positive and at most 12h")
	case c.Sample <= 0 || c.Sample > c.Duration:
		return errors.New("soak: the sample interval must be positive and at most the duration")
	case c.Warmup < 0 || c.Warmup >= c.Duration:
		return errors.New("soak: the warm-up must be at least zero and shorter than the duration")
	case c.Concurrency < 1 || c.Concurrency > 1024:
		return errors.New("soak: the concurrency must be between 1 and 1024")
	case c.Accounts < 1 || c.Accounts > 10000:
		return errors.New("soak: the accounts must be between 1 and 10000")
	case c.MaxTokens < 2:
		return errors.New("soak: the token cap must be at least 2")
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return nil
}

// Soak sets up the accounts, roles and tokens of the run through the API
// with the admin token, then runs Concurrency workers in a closed loop for
// Duration: each picks 90% decisions, 9% reads, 1% writes (mints,
// rotations with a short overlap, deletions). Every Sample it scrapes the
// server's /metrics and records a SoakSample. It ends early, with the
// samples so far, when ctx ends; the accounts it made are deleted at the
// end.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	sk := &soaker{cfg: cfg, base: cfg.URL, foreign: uuid.NewString(),
		expires: time.Now().Add(cfg.Duration + 24*time.Hour).UTC().Format(time.RFC3339),
		client: &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
			DialContext: loopbackDialer.DialContext, MaxIdleConnsPerHost: cfg.Concurrency + 4, IdleConnTimeout: time.Minute}}}
	defer sk.client.CloseIdleConnections()
	if _, err := sk.scrape(ctx); err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	defer sk.cleanup(ctx)
	if err := sk.setup(ctx); err != nil {
		return nil, fmt.Errorf("soak: set up: %w", err)
	}
	_, _ = fmt.Fprintf(cfg.Progress, "set up %d accounts with %d tokens each; soaking for %s (warm-up %s, a sample every %s)\n",
		cfg.Accounts, cfg.MaxTokens/2, cfg.Duration, cfg.Warmup, cfg.Sample)

	var w *csv.Writer
	if cfg.CSV != nil {
		w = csv.NewWriter(cfg.CSV)
		if err := w.Write(SoakCSVHeader); err != nil {
			return nil, fmt.Errorf("soak: write the CSV: %w", err)
		}
		w.Flush()
	}
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer cancel()
	sk.stats = make([]*soakStats, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range sk.stats {
		st := &soakStats{}
		sk.stats[i] = st
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
		// The workers stop taking new operations at the end of the run but
		// finish the one in flight, so that no connection is cut and the
		// last sample sees the server as the load left it.
		wg.Go(func() { sk.work(ctx, runCtx.Done(), rng, st) })
	}

	res := &SoakResult{Warmup: cfg.Warmup}
	tick := time.NewTicker(cfg.Sample)
	defer tick.Stop()
	var werr error
	for done := false; !done; {
		select {
		case <-runCtx.Done():
			done = true
			wg.Wait() // the last interval holds every completed operation
		case <-tick.C:
		}
		at := time.Since(start)
		if done && at-lastAt(res) < cfg.Sample/2 {
			// A sliver after the last tick: fold its counts into the totals only.
			sk.collect(res)
			break
		}
		s := sk.collect(res)
		s.At = at
		m, err := sk.scrape(context.WithoutCancel(ctx))
		if err != nil {
			s.Errors++
			res.Errors++
			sk.noteError(err.Error())
		}
		s.RSS, s.Goroutines, s.FDs, s.Heap = m[metricRSS], m[metricGoroutines], m[metricFDs], m[metricHeap]
		res.Samples = append(res.Samples, s)
		if w != nil && werr == nil {
			werr = w.Write(s.csvRow())
			w.Flush()
			werr = errors.Join(werr, w.Error())
		}
		_, _ = fmt.Fprintf(cfg.Progress, "%6.0fs rss=%.1fMiB goroutines=%.0f fds=%.0f heap=%.1fMiB decisions=%d reads=%d writes=%d errors=%d p99=%s\n",
			at.Seconds(), s.RSS/(1<<20), s.Goroutines, s.FDs, s.Heap/(1<<20), s.Decisions, s.Reads, s.Writes, s.Errors, s.P99)
	}
	sk.errMu.Lock()
	res.FirstErrors = sk.firstErrors
	sk.errMu.Unlock()
	if werr != nil {
		return res, fmt.Errorf("soak: write the CSV: %w", werr)
	}
	return res, nil
}

func lastAt(r *SoakResult) time.Duration {
	if len(r.Samples) == 0 {
		return 0
	}
	return r.Samples[len(r.Samples)-1].At
}

// collect takes what the workers measured since the last call and adds it
// to the totals, and returns it as a sample.
func (sk *soaker) collect(res *SoakResult) SoakSample {
	var s SoakSample
	var dec, rd, wr []time.Duration
	for _, st := range sk.stats {
		st.mu.Lock()
		dec, rd, wr = append(dec, st.decisions...), append(rd, st.reads...), append(wr, st.writes...)
		st.decisions, st.reads, st.writes = st.decisions[:0], st.reads[:0], st.writes[:0]
		s.Errors += st.errors
		s.Status200, s.Status403, s.Status4x = s.Status200+st.s200, s.Status403+st.s403, s.Status4x+st.sOther
		res.Mints, res.Rotations, res.Deletions = res.Mints+st.mints, res.Rotations+st.rotations, res.Deletions+st.deletions
		st.errors, st.s200, st.s403, st.sOther, st.mints, st.rotations, st.deletions = 0, 0, 0, 0, 0, 0, 0
		st.mu.Unlock()
	}
	s.Decisions, s.Reads, s.Writes = int64(len(dec)), int64(len(rd)), int64(len(wr))
	d, r, w := NewDistribution(dec), NewDistribution(rd), NewDistribution(wr)
	s.P50, s.P99, s.P999 = d.Percentile(50), d.Percentile(99), d.Percentile(99.9)
	s.ReadP99, s.WriteP99 = r.Percentile(99), w.Percentile(99)
	res.Decisions, res.Reads, res.Writes = res.Decisions+s.Decisions, res.Reads+s.Reads, res.Writes+s.Writes
	res.Allowed, res.Denied, res.Errors = res.Allowed+s.Status200, res.Denied+s.Status403, res.Errors+s.Errors
	return s
}

// SoakCSVHeader names the columns of the soak's CSV.
var SoakCSVHeader = []string{"t_s", "rss_bytes", "goroutines", "fds", "heap_bytes", "decisions", "reads", "writes", "errors",
	"p50_us", "p99_us", "p999_us", "read_p99_us", "write_p99_us"}

func (s SoakSample) csvRow() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{strconv.FormatFloat(s.At.Seconds(), 'f', 1, 64), f(s.RSS), f(s.Goroutines), f(s.FDs), f(s.Heap),
		i(s.Decisions), i(s.Reads), i(s.Writes), i(s.Errors),
		i(s.P50.Microseconds()), i(s.P99.Microseconds()), i(s.P999.Microseconds()), i(s.ReadP99.Microseconds()), i(s.WriteP99.Microseconds())}
}

// setup creates the accounts, gives each the Viewer role on a control
// plane of its own, and mints half the token cap for each.
func (sk *soaker) setup(ctx context.Context) error {
	run := uuid.NewString()[:8]
	sk.accounts = make([]*soakAccount, sk.cfg.Accounts)
	for i := range sk.accounts {
		var acct struct{ ID string }
		body := map[string]any{"name": fmt.Sprintf("soak-%s-%d", run, i), "description": "soak benchmark"}
		if err := sk.call(ctx, "POST", "/v3/system-accounts", body, 201, &acct); err != nil {
			return err
		}
		a := &soakAccount{id: acct.ID, entity: uuid.NewString()}
		sk.accounts[i] = a
		role := map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": a.entity, "entity_region": "us"}
		if err := sk.call(ctx, "POST", "/v3/system-accounts/"+a.id+"/assigned-roles", role, 201, nil); err != nil {
			return err
		}
		for range sk.cfg.MaxTokens / 2 {
			t, err := sk.mint(ctx, a)
			if err != nil {
				return err
			}
			a.add(t)
		}
	}
	return nil
}

// cleanup deletes the run's accounts, with their tokens; best effort.
func (sk *soaker) cleanup(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, a := range sk.accounts {
		if a != nil {
			_ = sk.call(ctx, "DELETE", "/v3/system-accounts/"+a.id, nil, 204, nil)
		}
	}
}

// errSkip is an operation that found nothing to work on (every token of
// the account in use) and sent no request: neither measured nor an error.
var errSkip = errors.New("skipped")

// work is one worker's closed loop, until stop is closed or ctx ends.
func (sk *soaker) work(ctx context.Context, stop <-chan struct{}, rng *rand.Rand, st *soakStats) {
	for ctx.Err() == nil {
		select {
		case <-stop:
			return
		default:
		}
		a := sk.accounts[rng.IntN(len(sk.accounts))]
		begin := time.Now()
		var err error
		var list *[]time.Duration
		switch r := rng.IntN(1000); {
		case r < 900:
			list = &st.decisions
			err = sk.decide(ctx, rng, a, st)
		case r < 990:
			list = &st.reads
			err = sk.read(ctx, rng, a)
		default:
			list = &st.writes
			err = sk.write(ctx, rng, a, st)
		}
		took := time.Since(begin)
		if ctx.Err() != nil {
			return // cut short (Ctrl-C): not a measurement
		}
		if errors.Is(err, errSkip) {
			continue // no request was sent
		}
		st.mu.Lock()
		if err != nil {
			st.errors++
		} else {
			*list = append(*list, took)
		}
		st.mu.Unlock()
		if err != nil {
			sk.noteError(err.Error())
		}
	}
}

// decide asks GET /v1/authorize with a live token of a: without a query
// (200), for the account's own role (200), or for a control plane it has
// no role on (403). Anything else is an error.
func (sk *soaker) decide(ctx context.Context, rng *rand.Rand, a *soakAccount, st *soakStats) error {
	tok, ok := a.pick(rng)
	if !ok {
		return errSkip // every token of a is being rotated or deleted
	}
	defer a.release(tok)
	path, want := "/v1/authorize", http.StatusOK
	switch rng.IntN(3) {
	case 1:
		path += "?" + decisionQuery(a.entity)
	case 2:
		path, want = path+"?"+decisionQuery(sk.foreign), http.StatusForbidden
	}
	status, err := sk.do(ctx, "GET", path, tok.Token, nil, nil)
	if err != nil {
		return err
	}
	st.mu.Lock()
	switch status {
	case http.StatusOK:
		st.s200++
	case http.StatusForbidden:
		st.s403++
	default:
		st.sOther++
	}
	st.mu.Unlock()
	if status != want {
		return fmt.Errorf("GET %s: status %d, want %d", strings.Replace(path, a.entity, "{own}", 1), status, want)
	}
	return nil
}

func decisionQuery(entity string) string {
	return url.Values{"role_name": {"Viewer"}, "entity_type_name": {"Control Planes"}, "entity_id": {entity}, "entity_region": {"us"}}.Encode()
}

// read is one of three reads, as a console or a script makes them.
func (sk *soaker) read(ctx context.Context, rng *rand.Rand, a *soakAccount) error {
	var path string
	switch rng.IntN(3) {
	case 0:
		pages := (len(sk.accounts) + 9) / 10
		path = fmt.Sprintf("/v3/system-accounts?page[size]=10&page[number]=%d", 1+rng.IntN(pages))
	case 1:
		path = "/v3/system-accounts/" + a.id + "/access-tokens"
	default:
		path = "/v3/audit-events?page[size]=10"
	}
	err := sk.call(ctx, "GET", path, nil, 200, nil)
	return err
}

// write mints a token (deleting the account's oldest beyond the cap),
// rotates one with a 60-second overlap, or deletes one, keeping at least
// one live.
func (sk *soaker) write(ctx context.Context, rng *rand.Rand, a *soakAccount, st *soakStats) error {
	switch rng.IntN(5) {
	case 0, 1:
		t, err := sk.mint(ctx, a)
		if err != nil {
			return err
		}
		st.count(&st.mints)
		if a.add(t) <= sk.cfg.MaxTokens {
			return nil
		}
		old, ok := a.take(rng, sk.cfg.MaxTokens, true)
		if !ok {
			return nil // the mint was the write
		}
		st.count(&st.deletions)
		return sk.deleteToken(ctx, a, old)
	case 2, 3:
		old, ok := a.take(rng, 0, false)
		if !ok {
			return errSkip
		}
		t := &soakToken{}
		if err := sk.call(ctx, "POST", "/v3/system-accounts/"+a.id+"/access-tokens/"+old.ID+"/rotate",
			map[string]any{"overlap_seconds": 60}, 201, t); err != nil {
			return err
		}
		if t.Token == "" {
			return errors.New("rotate: no token value in the 201")
		}
		st.count(&st.rotations)
		a.add(t)
		return nil
	default:
		old, ok := a.take(rng, 1, false)
		if !ok {
			return errSkip
		}
		st.count(&st.deletions)
		return sk.deleteToken(ctx, a, old)
	}
}

func (st *soakStats) count(n *int64) {
	st.mu.Lock()
	*n++
	st.mu.Unlock()
}

func (sk *soaker) mint(ctx context.Context, a *soakAccount) (*soakToken, error) {
	t := &soakToken{}
	body := map[string]any{"name": "soak-" + uuid.NewString()[:8], "expires_at": sk.expires}
	if err := sk.call(ctx, "POST", "/v3/system-accounts/"+a.id+"/access-tokens", body, 201, t); err != nil {
		return t, err
	}
	if t.Token == "" || t.ID == "" {
		return t, errors.New("mint: no token id or value in the 201")
	}
	return t, nil
}

func (sk *soaker) deleteToken(ctx context.Context, a *soakAccount, t *soakToken) error {
	err := sk.call(ctx, "DELETE", "/v3/system-accounts/"+a.id+"/access-tokens/"+t.ID, nil, 204, nil)
	return err
}

// call sends a request with the admin token and decodes a JSON answer
// into out; a status other than want is an error.
func (sk *soaker) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var data []byte
	status, err := sk.do(ctx, method, path, sk.cfg.Admin, body, &data)
	if err != nil {
		return err
	}
	if status != want {
		if status < 400 {
			// A success's body may hold a token value: never in an error.
			return fmt.Errorf("%s %s: status %d, want %d", method, path, status, want)
		}
		return fmt.Errorf("%s %s: status %d: %.200s", method, path, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// do sends one request with token as the bearer; it reads the body into
// *data if data is set, and drains it otherwise.
func (sk *soaker) do(ctx context.Context, method, path, token string, body any, data *[]byte) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, sk.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sk.client.Do(req)
	if err != nil {
		// The path holds no secret; the error names only it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if data != nil {
		*data, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

const (
	metricRSS        = "process_resident_memory_bytes"
	metricGoroutines = "go_goroutines"
	metricFDs        = "process_open_fds"
	metricHeap       = "go_memstats_heap_inuse_bytes"
)

// scrape reads the server's /metrics and returns the four gauges the soak
// watches. The text format's unlabelled samples are one line each, "name
// value", which is all it needs to read.
func (sk *soaker) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", sk.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := sk.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape /metrics: status %d", resp.StatusCode)
	}
	m, err := parseMetrics(resp.Body, metricRSS, metricGoroutines, metricFDs, metricHeap)
	if err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	return m, nil
}

// parseMetrics reads the unlabelled samples named in names from the
// Prometheus text format; every name must be there.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || !want[f[0]] {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", f[0], err)
		}
		out[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("no metric %s", n)
		}
	}
	return out, nil
}

// noteError keeps the first ten distinct error descriptions and prints
// them as they come.
func (sk *soaker) noteError(msg string) {
	sk.errMu.Lock()
	defer sk.errMu.Unlock()
	if len(sk.firstErrors) >= 10 {
		return
	}
	for _, e := range sk.firstErrors {
		if e == msg {
			return
		}
	}
	sk.firstErrors = append(sk.firstErrors, msg)
	_, _ = fmt.Fprintf(sk.cfg.Progress, "error: %s\n", msg)
}
