package tlsfiles_test

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/tlsfiles"
	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func files(t *testing.T) (certFile, keyFile string) {
	dir := t.TempDir()
	return filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
}

func served(t *testing.T, r *tlsfiles.Reloader) int64 {
	t.Helper()
	c, err := r.Config().GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber.Int64()
}

func TestLoadRefusesWhatDoesNotMakeAPair(t *testing.T) {
	ca := tlstest.NewCA(t)
	certFile, keyFile := files(t)
	a, b := ca.Leaf(t, 2), ca.Leaf(t, 3)
	if _, err := tlsfiles.Load(certFile, keyFile, nil); err == nil {
		t.Error("Load of missing files succeeded")
	}
	if _, err := tlsfiles.Load(certFile, "", nil); err == nil {
		t.Error("Load without a key file succeeded")
	}
	if err := os.WriteFile(certFile, a.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, b.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := tlsfiles.Load(certFile, keyFile, nil)
	if err == nil || !strings.Contains(err.Error(), "private key does not match") {
		t.Errorf("Load of a mismatched pair: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), string(b.Key[30:60])) {
		t.Error("the error quotes the key")
	}
}

func TestConfig(t *testing.T) {
	ca := tlstest.NewCA(t)
	certFile, keyFile := files(t)
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	r, err := tlsfiles.Load(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config()
	if c.MinVersion != tls.VersionTLS12 || c.CipherSuites != nil || strings.Join(c.NextProtos, ",") != "h2,http/1.1" {
		t.Errorf("config: min %x, suites %v, protos %v", c.MinVersion, c.CipherSuites, c.NextProtos)
	}
	if served(t, r) != 2 || r.Certificate().SerialNumber.Int64() != 2 || r.Loads() != 1 {
		t.Errorf("serial %d, loads %d", served(t, r), r.Loads())
	}
}

// A reload that fails keeps the pair in service and says why; a good one
// replaces it.
func TestReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	certFile, keyFile := files(t)
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	var logs logBuffer
	r, err := tlsfiles.Load(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\nMIIB"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil {
		t.Fatal("a half-written certificate reloaded")
	}
	if served(t, r) != 2 || r.Loads() != 1 || r.Failures() != 1 {
		t.Errorf("after a failed reload: serial %d, loads %d, failures %d", served(t, r), r.Loads(), r.Failures())
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
	ca.Leaf(t, 3).Write(t, certFile, keyFile)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if served(t, r) != 3 || r.Loads() != 2 {
		t.Errorf("after a reload: serial %d, loads %d", served(t, r), r.Loads())
	}
	if !strings.Contains(logs.String(), "serial=3") {
		t.Errorf("the reload was not logged with its serial: %s", logs.String())
	}
}

// Run notices changed files: a certificate written before its key fails
// once, is logged once, and the pair loads when the key arrives.
func TestRunPolls(t *testing.T) {
	ca := tlstest.NewCA(t)
	certFile, keyFile := files(t)
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	var logs logBuffer
	r, err := tlsfiles.Load(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Run(t.Context(), 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { <-done })
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5s; logs: %s", what, logs.String())
			}
		}
	}

	next := ca.Leaf(t, 3)
	if err := os.WriteFile(certFile, next.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("the mismatched pair is logged", func() bool { return strings.Contains(logs.String(), "reload failed") })
	time.Sleep(50 * time.Millisecond) // several polls of the same files
	if n := strings.Count(logs.String(), "reload failed"); n != 1 {
		t.Errorf("the same bad files were logged %d times, want 1", n)
	}
	if served(t, r) != 2 {
		t.Errorf("a mismatched pair went into service")
	}
	if err := os.WriteFile(keyFile, next.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("the new pair is served", func() bool { return served(t, r) == 3 })
	if r.Loads() != 2 {
		t.Errorf("loads = %d, want 2", r.Loads())
	}
	time.Sleep(50 * time.Millisecond)
	if r.Loads() != 2 {
		t.Errorf("unchanged files were loaded again: loads = %d", r.Loads())
	}
}
