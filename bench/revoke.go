package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// RevokeConfig is one run of the revocation measurement of row 7.
type RevokeConfig struct {
	// URLs are the replicas' base URLs; writes go through the first, the
	// others are watched. Loopback only.
	URLs []string
	// Admin is a token allowed to create and delete system accounts.
	Admin string
	// Count is the number of tokens created and then deleted.
	Count int
	// Poll is the pause between two checks of a replica; default 2ms.
	Poll time.Duration
	// Bound is how long a replica is watched for one deletion before it
	// counts as late; default 10s. AcceptBound is how long after its
	// creation a token may take to be accepted everywhere; default 60s.
	Bound, AcceptBound time.Duration
	// Pace spaces the deletions: each starts at least Pace after the
	// last, so that a run spans the replicas' periodic work (the change
	// feed's poll, the 30-second flush of last-used times) instead of
	// fitting between two of its rounds.
	Pace time.Duration
	// Progress, if set, receives a line now and then; a failed write is
	// ignored.
	Progress io.Writer
}

// RevokeResult holds, per token, the time from the write's answer on the
// first replica until every other replica agreed.
type RevokeResult struct {
	// Accept is from a token's 201 until every other replica accepts it.
	Accept Distribution
	// Refuse is from a DELETE's 204 until every other replica refuses the
	// token; PerReplica splits it by replica.
	Refuse     Distribution
	PerReplica []Distribution
	// Delete is the latency of the DELETE itself.
	Delete Distribution
	// Late counts refusals that a replica did not show within Bound;
	// they are in the distributions at Bound.
	Late int
	// Unaccepted counts tokens that some replica did not accept within
	// Bound of their creation; Skipped, those it still did not accept when
	// their turn to be deleted came, which are left out of Refuse.
	Unaccepted, Skipped int
	// WriterAccepted counts tokens that the deleting replica itself still
	// accepted right after its 204.
	WriterAccepted int
	// Stopped is set when the run ended early (its time was up): the
	// distributions hold the deletions measured until then.
	Stopped error
}

// String prints the distributions.
func (r *RevokeResult) String() string {
	var b strings.Builder
	if r.Stopped != nil {
		fmt.Fprintf(&b, "STOPPED EARLY (%v): %d creations and %d deletions measured\n", r.Stopped, len(r.Accept), len(r.Refuse))
	}
	fmt.Fprintf(&b, "deletions:         %d measured (late: %d; skipped, never accepted everywhere: %d; still accepted by the deleting replica right after its 204: %d)\n",
		len(r.Refuse), r.Late, r.Skipped, r.WriterAccepted)
	fmt.Fprintf(&b, "creations:         %d (not accepted by every replica within the bound: %d)\n", len(r.Accept), r.Unaccepted)
	fmt.Fprintf(&b, "create → accepted: %s\n", r.Accept.Summary())
	fmt.Fprintf(&b, "DELETE latency:    %s\n", r.Delete.Summary())
	for i, d := range r.PerReplica {
		fmt.Fprintf(&b, "204 → refused by replica %d: %s\n", i+2, d.Summary())
	}
	fmt.Fprintf(&b, "204 → refused by all others: %s\n%s", r.Refuse.Summary(), r.Refuse.Histogram())
	fmt.Fprintf(&b, "accepted created=%d accept_p50_ms=%.1f accept_max_ms=%.1f\n", len(r.Accept), ms(r.Accept.Percentile(50)), ms(r.Accept.Max()))
	fmt.Fprintf(&b, "result n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f late=%d skipped=%d unaccepted=%d\n", len(r.Refuse),
		ms(r.Refuse.Percentile(50)), ms(r.Refuse.Percentile(90)), ms(r.Refuse.Percentile(99)), ms(r.Refuse.Max()), r.Late, r.Skipped, r.Unaccepted)
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// revoker is the state of one run.
type revoker struct {
	cfg     RevokeConfig
	client  *http.Client
	account string
	res     *RevokeResult
	limited atomic.Bool // a replica answered 429
}

// errRateLimited stops a run whose probes a replica refuses to answer.
var errRateLimited = errors.New("a replica answered 429: it rate-limits failed authentications per client address, " +
	"and every probe of a token not yet accepted, or already refused, is one; " +
	"start the replicas with --auth-failure-limit -1 for this measurement")

type createdToken struct{ ID, Token string }

// Revoke creates a system account and Count tokens through the first
// replica, waiting until the others accept each; then deletes the tokens
// one at a time through the first replica, and polls the others until each
// refuses the token. It deletes the account at the end. When ctx ends
// during the deletions, it returns those measured so far, with Stopped set.
func Revoke(ctx context.Context, cfg RevokeConfig) (*RevokeResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rv := &revoker{cfg: cfg, res: &RevokeResult{PerReplica: make([]Distribution, len(cfg.URLs)-1)},
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DialContext: loopbackDialer.DialContext, MaxIdleConnsPerHost: 8, IdleConnTimeout: time.Minute}}}
	defer rv.client.CloseIdleConnections()
	var acct struct{ ID string }
	name := "bench-revoke-" + uuid.NewString()[:8]
	if err := rv.call(ctx, "POST", cfg.URLs[0]+"/v3/system-accounts", map[string]any{"name": name, "description": "revocation benchmark"}, 201, &acct); err != nil {
		return nil, fmt.Errorf("revoke: create account: %w", err)
	}
	rv.account = cfg.URLs[0] + "/v3/system-accounts/" + acct.ID
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = rv.call(cctx, "DELETE", rv.account, nil, 204, nil)
	}()
	tokens, err := rv.create(ctx)
	if err != nil {
		return nil, err
	}
	_, _ = fmt.Fprintf(cfg.Progress, "created %d tokens (%d not accepted by every replica within %s)\n", len(tokens), rv.res.Unaccepted, cfg.AcceptBound)
	if rv.res.Stopped == nil {
		rv.delete(ctx, tokens)
	}
	return rv.res, nil
}

func (c *RevokeConfig) check() error {
	if len(c.URLs) < 2 || c.Admin == "" || c.Count < 1 {
		return errors.New("revoke: need two URLs or more, an admin token and a positive count")
	}
	for i, raw := range c.URLs {
		if _, err := CheckLoopbackURL(raw); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		c.URLs[i] = strings.TrimRight(raw, "/")
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Millisecond
	}
	if c.Bound <= 0 {
		c.Bound = 10 * time.Second
	}
	if c.AcceptBound <= 0 {
		c.AcceptBound = time.Minute
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return nil
}

// create makes the tokens one at a time, waiting after each until the
// other replicas accept it, and measures that wait. When ctx ends, it
// returns the tokens accepted so far, with Stopped set.
func (rv *revoker) create(ctx context.Context) ([]createdToken, error) {
	var tokens []createdToken
	var accept []time.Duration
	defer func() { rv.res.Accept = NewDistribution(accept) }()
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	for i := range rv.cfg.Count {
		var t createdToken
		body := map[string]any{"name": fmt.Sprintf("t-%d", i), "expires_at": expires}
		if err := rv.call(ctx, "POST", rv.account+"/access-tokens", body, 201, &t); err != nil {
			if ctx.Err() != nil {
				rv.res.Stopped = ctx.Err()
				return tokens, nil
			}
			return nil, fmt.Errorf("revoke: create token: %w", err)
		}
		took, _, late := rv.untilAll(ctx, t.Token, http.StatusOK, time.Now(), rv.cfg.AcceptBound)
		switch {
		case rv.limited.Load():
			return nil, fmt.Errorf("revoke: %w", errRateLimited)
		case ctx.Err() != nil:
			rv.res.Stopped = ctx.Err()
			return tokens, nil
		case late > 0:
			rv.res.Unaccepted++
		}
		accept = append(accept, took)
		tokens = append(tokens, t)
	}
	return tokens, nil
}

// delete removes the tokens one at a time and measures how soon the other
// replicas refuse each. A token that some replica does not accept right
// before its deletion is skipped: its refusal would prove nothing.
func (rv *revoker) delete(ctx context.Context, tokens []createdToken) {
	res := rv.res
	var refuse, del []time.Duration
	for _, t := range tokens {
		if ctx.Err() != nil {
			res.Stopped = ctx.Err()
			break
		}
		_, _, late := rv.untilAll(ctx, t.Token, http.StatusOK, time.Now(), rv.cfg.Bound)
		if rv.limited.Load() {
			res.Stopped = errRateLimited
			break
		}
		if late > 0 {
			res.Skipped++
			continue
		}
		sent := time.Now()
		if err := rv.call(ctx, "DELETE", rv.account+"/access-tokens/"+t.ID, nil, 204, nil); err != nil {
			res.Stopped = err
			break
		}
		answered := time.Now()
		took, each, late := rv.untilAll(ctx, t.Token, http.StatusUnauthorized, answered, rv.cfg.Bound)
		if ctx.Err() != nil { // cut short: not a measurement
			res.Stopped = ctx.Err()
			break
		}
		if rv.limited.Load() {
			res.Stopped = errRateLimited
			break
		}
		if s, _ := rv.authorize(ctx, rv.cfg.URLs[0], t.Token); s != http.StatusUnauthorized {
			res.WriterAccepted++
		}
		del = append(del, answered.Sub(sent))
		res.Late += late
		refuse = append(refuse, took)
		for j, d := range each {
			res.PerReplica[j] = append(res.PerReplica[j], d)
		}
		if len(refuse)%50 == 0 {
			_, _ = fmt.Fprintf(rv.cfg.Progress, "deleted %d of %d\n", len(refuse), len(tokens))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(sent.Add(rv.cfg.Pace))):
		}
	}
	res.Refuse, res.Delete = NewDistribution(refuse), NewDistribution(del)
	for j := range res.PerReplica {
		res.PerReplica[j] = NewDistribution(res.PerReplica[j])
	}
}

// untilAll polls every replica but the first, concurrently, until each
// answers want for token or bound has passed since since; it returns the
// time from since until the last one did, each replica's time, and how
// many were late.
func (rv *revoker) untilAll(ctx context.Context, token string, want int, since time.Time, bound time.Duration) (time.Duration, []time.Duration, int) {
	others := rv.cfg.URLs[1:]
	each := make([]time.Duration, len(others))
	lates := make([]bool, len(others))
	var wg sync.WaitGroup
	for j, base := range others {
		wg.Go(func() {
			for {
				s, _ := rv.authorize(ctx, base, token)
				now := time.Since(since)
				if s == want {
					each[j] = now
					return
				}
				if s == http.StatusTooManyRequests {
					rv.limited.Store(true)
				}
				if now >= bound || ctx.Err() != nil || rv.limited.Load() {
					each[j], lates[j] = bound, true
					return
				}
				time.Sleep(rv.cfg.Poll)
			}
		})
	}
	wg.Wait()
	var last time.Duration
	late := 0
	for j := range each {
		last = max(last, each[j])
		if lates[j] {
			late++
		}
	}
	return last, each, late
}

// authorize asks a replica whether a token is valid.
func (rv *revoker) authorize(ctx context.Context, base, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/authorize", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := rv.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drained so that the connection is reused; the status is the answer.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// call sends a JSON request with the admin token and decodes the answer.
func (rv *revoker) call(ctx context.Context, method, u string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+rv.cfg.Admin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := rv.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %.300s", method, u, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
