package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold/storage"
)

// defaultAuthFailureLimit is how many failed authentications one client
// address may make per minute, over every replica, before it is refused
// with 429 until the minute ends.
const defaultAuthFailureLimit = 100

// limiter counts failed authentications per client address in one-minute
// windows. Counts live in memory and are merged through the database about
// once a second, so that replicas agree without a write per request; an
// address that reaches the limit on this replica alone is blocked at once.
type limiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Time
	counts  map[string]int
	blocked map[string]time.Time // until
}

func newLimiter(limit int) *limiter {
	return &limiter{limit: limit, counts: map[string]int{}, blocked: map[string]time.Time{}}
}

// roll starts a new window when now has left the current one.
func (l *limiter) roll(now time.Time) {
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.counts = w, map[string]int{}
		for ip, until := range l.blocked {
			if !until.After(now) {
				delete(l.blocked, ip)
			}
		}
	}
}

// retryAfter reports how long ip stays blocked, or 0.
func (l *limiter) retryAfter(ip string, now time.Time) time.Duration {
	if l.limit <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until, ok := l.blocked[ip]; ok && until.After(now) {
		return until.Sub(now)
	}
	return 0
}

func (l *limiter) fail(ip string, now time.Time) {
	if l.limit <= 0 || ip == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if _, ok := l.counts[ip]; !ok && len(l.counts) >= maxFailureKeys {
		// A flood from more addresses than we keep counts for: count it,
		// but block no real address for it.
		ip = "overflow"
	}
	l.counts[ip]++
	if l.counts[ip] >= l.limit && ip != "overflow" {
		l.blocked[ip] = l.window.Add(time.Minute)
	}
}

// snapshot returns the current window and a copy of its counts.
func (l *limiter) snapshot(now time.Time) (time.Time, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	out := make(map[string]int, len(l.counts))
	for ip, n := range l.counts {
		out[ip] = n
	}
	return l.window, out
}

func (l *limiter) block(ips []string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ip := range ips {
		l.blocked[ip] = until
	}
}

// MergeFailures shares this replica's failed-authentication counts
// through the database and blocks every address over the limit across all
// replicas.
func (s *Decider) MergeFailures(ctx context.Context) error {
	return s.mergeLimiter(ctx, s.counter, s.limiter, false)
}

// mergeLimiter merges one limiter's counts; the API's and the console's
// sign-in counts share the table, told apart by signInKeyPrefix.
func (s *core) mergeLimiter(ctx context.Context, counter storage.FailureCounter, l *limiter, signIn bool) error {
	if l.limit <= 0 {
		return nil
	}
	window, counts := l.snapshot(s.clock())
	over, err := counter.MergeAuthFailures(ctx, s.replica, window, counts, l.limit)
	if err != nil {
		return err
	}
	mine := over[:0]
	for _, k := range over {
		if strings.HasPrefix(k, signInKeyPrefix) == signIn {
			mine = append(mine, k)
		}
	}
	l.block(mine, window.Add(time.Minute))
	return nil
}
