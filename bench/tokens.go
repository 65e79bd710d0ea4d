package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// WriteTokens writes token values to path, one a line, readable by the
// owner only: they are a synthetic fixture, but real credentials of the
// server they were seeded into.
func WriteTokens(path string, values []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	// An existing file keeps its mode through O_TRUNC; tighten it.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write tokens: %w", errors.Join(err, f.Close()))
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, v := range values {
		w.WriteString(v)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write tokens: %w", errors.Join(err, f.Close()))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	return nil
}

// ReadTokens reads a file of token values, one a line, skipping blank
// lines.
func ReadTokens(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	// One string over the whole file, sliced per line: a million tokens
	// cost one allocation, not a million.
	all := string(data)
	out := make([]string, 0, bytes.Count(data, []byte{'\n'})+1)
	for line := range strings.Lines(all) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read tokens: %s holds no token", path)
	}
	return out, nil
}

// errNotLoopback refuses a target off this machine: the load tools send
// traffic only to loopback addresses.
var errNotLoopback = errors.New("only loopback targets are allowed (127.0.0.0/8, ::1, localhost)")

// CheckLoopbackURL accepts an http:// URL whose host is a loopback
// address or "localhost".
func CheckLoopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%q: only http:// is supported", raw)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("%q: a port is required", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: %w", raw, errNotLoopback)
	}
	return u, nil
}

// CheckLoopbackAddr accepts a host:port to listen on whose host is a
// loopback address or "localhost".
func CheckLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if !loopbackHost(host) {
		return fmt.Errorf("%q: %w", addr, errNotLoopback)
	}
	return nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackDialer checks the address it actually connects to, after name
// resolution, so that "localhost" resolving elsewhere is refused too.
var loopbackDialer = &net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %s: %w", address, errNotLoopback)
	}
	return nil
}}
