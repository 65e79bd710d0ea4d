package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadConfig is one run of the closed-loop load generator.
type LoadConfig struct {
	// URLs are the servers' base URLs (http://127.0.0.1:PORT); the
	// connections are spread over them in turn. Loopback only.
	URLs []string
	// Path is the request path and query; default DefaultPath.
	Path string
	// Tokens are drawn at random from the whole set for every request.
	Tokens []string
	// Concurrency is the number of connections, each with one request in
	// flight; default 64.
	Concurrency int
	// Duration is the measured window, Warmup an unmeasured lead-in.
	Duration, Warmup time.Duration
	// Timeout bounds one request; default 5s.
	Timeout time.Duration
}

// LoadResult is what a load run measured: only requests completed inside
// the measured window count.
type LoadResult struct {
	Requests int64
	Errors   int64
	Elapsed  time.Duration
	Status   map[int]int64
	Latency  Distribution
}

// RPS is completed requests per second over the measured window.
func (r *LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String prints the result for a reader, and a last line of key=value
// pairs for scripts.
func (r *LoadResult) String() string {
	var b strings.Builder
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var status []string
	for _, c := range codes {
		status = append(status, fmt.Sprintf("%d:%d", c, r.Status[c]))
	}
	fmt.Fprintf(&b, "requests:   %d in %s (%d errors)\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.Errors)
	fmt.Fprintf(&b, "requests/s: %.0f\n", r.RPS())
	fmt.Fprintf(&b, "status:     %s\n", strings.Join(status, " "))
	fmt.Fprintf(&b, "latency:    %s\n", r.Latency.Summary())
	fmt.Fprintf(&b, "result rps=%.0f requests=%d errors=%d p50_us=%d p90_us=%d p99_us=%d status=%s\n",
		r.RPS(), r.Requests, r.Errors, r.Latency.Percentile(50).Microseconds(), r.Latency.Percentile(90).Microseconds(),
		r.Latency.Percentile(99).Microseconds(), strings.Join(status, ","))
	return b.String()
}

func (c *LoadConfig) check() ([]*url.URL, error) {
	if len(c.URLs) == 0 {
		return nil, errors.New("load: no URL")
	}
	if len(c.Tokens) == 0 {
		return nil, errors.New("load: no token")
	}
	if c.Duration <= 0 || c.Duration > time.Hour {
		return nil, errors.New("load: the duration must be positive and at most an hour")
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " \r\n") {
		return nil, fmt.Errorf("load: path %q must start with / and hold no space or line break", c.Path)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	var out []*url.URL
	for _, raw := range c.URLs {
		u, err := CheckLoopbackURL(raw)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		out = append(out, u)
	}
	return out, nil
}

// Load runs a closed loop: Concurrency keep-alive connections, each
// sending its next request as soon as the last one's answer is read. It
// speaks HTTP/1.1 on the socket itself, as wrk does, so that the load
// generator, which shares the machine's cores with the server, takes as
// little of them as it can. It stops at the end of the window or when ctx
// ends, and returns what was measured until then.
func Load(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	urls, err := cfg.check()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	from, until := start.Add(cfg.Warmup), start.Add(cfg.Warmup+cfg.Duration)
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		u := urls[i%len(urls)]
		w := &worker{addr: u.Host, timeout: cfg.Timeout, status: map[int]int64{},
			rng:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			prefix:  []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: keyhold-bench\r\nAuthorization: Bearer "),
			suffix:  []byte("\r\n\r\n"),
			latency: make([]time.Duration, 0, 1<<14)}
		workers[i] = w
		wg.Go(func() { w.run(ctx, cfg.Tokens, from, until) })
	}
	wg.Wait()
	end := time.Now()
	if end.After(until) {
		end = until
	}
	res := &LoadResult{Status: map[int]int64{}, Elapsed: end.Sub(from)}
	if res.Elapsed <= 0 {
		return nil, errors.New("load: stopped during the warm-up")
	}
	var all []time.Duration
	for _, w := range workers {
		res.Requests += w.requests
		res.Errors += w.errors
		for c, n := range w.status {
			res.Status[c] += n
		}
		all = append(all, w.latency...)
	}
	if countConnected(workers) == 0 {
		return nil, fmt.Errorf("load: no connection succeeded: %w", workers[0].lastErr)
	}
	res.Latency = NewDistribution(all)
	return res, nil
}

func countConnected(ws []*worker) int {
	n := 0
	for _, w := range ws {
		if w.connected {
			n++
		}
	}
	return n
}

// worker is one connection's closed loop.
type worker struct {
	addr           string
	timeout        time.Duration
	rng            *rand.Rand
	prefix, suffix []byte
	buf            []byte
	conn           net.Conn
	r              *bufio.Reader

	connected        bool
	requests, errors int64
	status           map[int]int64
	latency          []time.Duration
	lastErr          error
}

func (w *worker) run(ctx context.Context, tokens []string, from, until time.Time) {
	defer w.close()
	for ctx.Err() == nil {
		if w.conn == nil && !w.dial(ctx) {
			// Back off a little so that a refused connection does not spin.
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		tok := tokens[w.rng.IntN(len(tokens))]
		begin := time.Now()
		deadline := begin.Add(w.timeout)
		if late := until.Add(time.Second); deadline.After(late) {
			deadline = late
		}
		status, err := w.roundTrip(tok, deadline)
		end := time.Now()
		if end.After(until) {
			return
		}
		if err != nil {
			w.close()
			w.lastErr = err
		}
		if begin.Before(from) {
			continue
		}
		if err != nil {
			w.errors++
			continue
		}
		w.requests++
		w.status[status]++
		w.latency = append(w.latency, end.Sub(begin))
	}
}

func (w *worker) dial(ctx context.Context) bool {
	c, err := loopbackDialer.DialContext(ctx, "tcp", w.addr)
	if err != nil {
		w.lastErr = err
		if ctx.Err() == nil {
			w.errors++
		}
		return false
	}
	w.conn, w.connected = c, true
	if w.r == nil {
		w.r = bufio.NewReaderSize(c, 16<<10)
	} else {
		w.r.Reset(c)
	}
	return true
}

func (w *worker) close() {
	if w.conn != nil {
		_ = w.conn.Close() // a connection given up: nothing is waiting on it
		w.conn = nil
	}
}

var errMalformed = errors.New("malformed response")

// roundTrip writes one GET and reads its answer before the deadline: the status line, the
// headers it needs (length, chunking, connection), and the body, which it
// discards.
func (w *worker) roundTrip(token string, deadline time.Time) (int, error) {
	if err := w.conn.SetDeadline(deadline); err != nil {
		return 0, err
	}
	w.buf = append(append(append(w.buf[:0], w.prefix...), token...), w.suffix...)
	if _, err := w.conn.Write(w.buf); err != nil {
		return 0, err
	}
	line, err := w.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, errMalformed
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errMalformed
	}
	length, chunked, closing := -1, false, false
	for {
		line, err = w.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return 0, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = w.discardChunked()
	case length > 0:
		_, err = w.r.Discard(length)
	case length < 0 && status >= 200 && status != 204 && status != 304:
		_, err = io.Copy(io.Discard, w.r) // delimited by closing
		closing = true
	}
	if err != nil {
		return 0, err
	}
	if closing {
		w.close()
	}
	return status, nil
}

func (w *worker) discardChunked() error {
	for {
		line, err := w.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte{';'})
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil || n < 0 {
			return errMalformed
		}
		if n == 0 {
			for { // trailers, up to the blank line
				line, err := w.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(line) <= 2 {
					return nil
				}
			}
		}
		if _, err := w.r.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}
