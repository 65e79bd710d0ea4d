package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// MintConfig is one run of the write-throughput measurement: Concurrency
// clients each create tokens through POST
// /v3/system-accounts/{id}/access-tokens, one request in flight each, for
// Warmup and then Duration.
type MintConfig struct {
	// URL is the server's base URL; loopback only.
	URL string
	// Admin is a token allowed to create system accounts and their tokens.
	Admin string
	// Concurrency is the number of clients; default 8.
	Concurrency int
	// Warmup is unmeasured; Duration is measured.
	Warmup, Duration time.Duration
}

// MintResult is what a run measured: the creations that answered within
// the measured window.
type MintResult struct {
	Created, Failed int
	Elapsed         time.Duration
	Latency         Distribution
	// FirstFailure is the status and body of the first failed creation.
	FirstFailure string
}

// RPS is the creations per second of the measured window.
func (r *MintResult) RPS() float64 { return float64(r.Created) / r.Elapsed.Seconds() }

// String prints the result, its last line in key=value form for scripts.
func (r *MintResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "created %d tokens in %s: %.1f/s; failed %d\n", r.Created, r.Elapsed.Round(time.Millisecond), r.RPS(), r.Failed)
	if r.FirstFailure != "" {
		fmt.Fprintf(&b, "first failure: %s\n", r.FirstFailure)
	}
	fmt.Fprintf(&b, "latency: %s\n", r.Latency.Summary())
	fmt.Fprintf(&b, "result created=%d rps=%.1f failed=%d p50_ms=%.2f p99_ms=%.2f\n", r.Created, r.RPS(), r.Failed,
		ms(r.Latency.Percentile(50)), ms(r.Latency.Percentile(99)))
	return b.String()
}

// minter is one client: its own system account, whose tokens it creates.
type minter struct {
	client  *http.Client
	admin   string
	account string // URL of the account's access tokens
	lat     []time.Duration
	created int
	failed  int
	first   string
}

// Mint creates a system account per client, then has each create tokens
// in a closed loop until Warmup plus Duration have passed, and counts the
// creations that answered 201 inside the measured window. The accounts
// and their tokens stay: each run wants a fresh database anyway.
func Mint(ctx context.Context, cfg MintConfig) (*MintResult, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Duration <= 0 || cfg.Admin == "" {
		return nil, errors.New("mint: a duration and an admin token are required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "http" || !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("mint: %q: %w", cfg.URL, errNotLoopback)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: loopbackDialer.DialContext, MaxIdleConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	ms := make([]*minter, cfg.Concurrency)
	run := uuid.NewString()[:8]
	for i := range ms {
		m := &minter{client: client, admin: cfg.Admin}
		var acct struct{ ID string }
		if status, body, err := m.post(ctx, strings.TrimSuffix(cfg.URL, "/")+"/v3/system-accounts",
			map[string]any{"name": fmt.Sprintf("mint-%s-%d", run, i), "description": "write benchmark"}, &acct); err != nil {
			return nil, fmt.Errorf("mint: create a system account: %w", err)
		} else if status != 201 {
			return nil, fmt.Errorf("mint: create a system account: %d %s", status, body)
		}
		m.account = strings.TrimSuffix(cfg.URL, "/") + "/v3/system-accounts/" + acct.ID + "/access-tokens"
		ms[i] = m
	}
	from := time.Now().Add(cfg.Warmup)
	until := from.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() { m.run(ctx, from, until) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &MintResult{Elapsed: cfg.Duration}
	var lat []time.Duration
	for _, m := range ms {
		res.Created += m.created
		res.Failed += m.failed
		lat = append(lat, m.lat...)
		if res.FirstFailure == "" {
			res.FirstFailure = m.first
		}
	}
	res.Latency = NewDistribution(lat)
	return res, nil
}

func (m *minter) run(ctx context.Context, from, until time.Time) {
	for n := 0; ctx.Err() == nil; n++ {
		start := time.Now()
		if !start.Before(until) {
			return
		}
		status, body, err := m.post(ctx, m.account, map[string]any{"name": fmt.Sprintf("t%d", n)}, nil)
		end := time.Now()
		if end.Before(from) || !end.Before(until) {
			continue // warm-up, or past the window
		}
		if err != nil || status != 201 {
			m.failed++
			if m.first == "" {
				m.first = fmt.Sprintf("%d %.200s %v", status, body, err)
			}
			continue
		}
		m.created++
		m.lat = append(m.lat, end.Sub(start))
	}
}

// post sends body as JSON with the admin token and decodes a 2xx answer
// into out, if given; it returns the status and, for others, the body.
func (m *minter) post(ctx context.Context, target string, body, out any) (int, string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", target, bytes.NewReader(raw))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+m.admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := m.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = res.Body.Close() }()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, "", err
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, string(data), nil
	}
	if out != nil {
		err = json.Unmarshal(data, out)
	}
	return res.StatusCode, "", err
}
