package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Baseline is the comparison server of row 2: the least a token check over
// HTTP can do. It reads the Authorization header, hashes the bearer token
// with SHA-256, looks the digest up in a map and answers 200 or 401 with no
// body. It parses no token format, checks no role and records nothing, so
// the gap between it and keyhold's /v1/authorize is what keyhold's own
// work costs.
type Baseline struct {
	digests map[[32]byte]struct{}
}

// NewBaseline returns a baseline that accepts the given token values.
func NewBaseline(values []string) *Baseline {
	b := &Baseline{digests: make(map[[32]byte]struct{}, len(values))}
	for _, v := range values {
		b.digests[sha256.Sum256([]byte(v))] = struct{}{}
	}
	return b
}

// ServeHTTP answers every path alike.
func (b *Baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	// Hash from a stack buffer, as keyhold does, so that the baseline does
	// not allocate where keyhold does not: it should be a fair floor.
	var buf [128]byte
	if ok && len(token) <= len(buf) {
		n := copy(buf[:], token)
		if _, found := b.digests[sha256.Sum256(buf[:n])]; found {
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// Serve listens on a loopback address and serves until ctx ends, with the
// same server timeouts as `keyhold serve`. ready, if set, is told the
// address bound.
func (b *Baseline) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	if err := CheckLoopbackAddr(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
