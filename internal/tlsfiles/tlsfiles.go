// Package tlsfiles serves a certificate and key kept in two PEM files, and
// picks up new ones without a restart: when the files change (Run polls
// them) or when asked (Reload, which keyhold serve calls on SIGHUP).
//
// The certificate reaches TLS through tls.Config.GetCertificate, so a new
// pair applies to new handshakes while connections already open keep the
// pair they were made with. A pair that does not load (a half-written
// file, a key that does not match) is logged and the previous pair stays
// in service: a reload never takes a listener down.
//
// The HTTP server uses it today; any other TLS listener of keyhold can
// take a Config from the same Reloader.
package tlsfiles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often Run looks at the files when asked to poll
// without an interval of its own.
const DefaultInterval = 5 * time.Second

// Reloader holds the pair loaded last from its two files.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	cert atomic.Pointer[tls.Certificate]
	// mu serializes loads, so that seen is the fingerprint of the files the
	// last attempt read, whether or not they loaded.
	mu   sync.Mutex
	seen [sha256.Size]byte
	// loads counts the pairs put in service, the first one included;
	// failures the reloads that did not load.
	loads, failures atomic.Int64
}

// Load reads the pair; unlike a reload, a pair that does not load is an
// error, since there is nothing to fall back on.
func Load(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: both a certificate file and a key file are needed")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// Config is a server configuration that serves the pair in service at
// each handshake: TLS 1.2 or newer, Go's default cipher suites, and HTTP/2
// offered before HTTP/1.1 as net/http does. Each call returns a new
// Config, which the caller may adjust (NextProtos for a protocol other
// than HTTP, say).
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.cert.Load(), nil
		},
	}
}

// Certificate is the leaf of the pair in service.
func (r *Reloader) Certificate() *x509.Certificate { return r.cert.Load().Leaf }

// Loads is how many pairs were put in service since Load, Load's own
// included; a failed reload does not count.
func (r *Reloader) Loads() int64 { return r.loads.Load() }

// Failures is how many reloads failed since Load.
func (r *Reloader) Failures() int64 { return r.failures.Load() }

// Reload reads the files again and puts the pair in service. On failure
// the pair in service stays, the error is logged and returned.
func (r *Reloader) Reload() error {
	if err := r.load(); err != nil {
		r.failures.Add(1)
		r.log.Error("tls: reload failed; the previous certificate stays in service", "err", err.Error(),
			"cert_file", r.certFile, "key_file", r.keyFile)
		return err
	}
	return nil
}

// Run polls the files every interval (DefaultInterval when not positive)
// until ctx ends, and reloads when their contents differ from what was
// read last. Contents, not modification times, are compared: a
// Kubernetes secret volume swaps a symbolic link, and a copy may keep a
// time. A pair that fails to load is not retried until the files change
// again, so a half-written file is logged once and picked up when whole.
func (r *Reloader) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cert, key, err := r.read()
		if err != nil {
			// A file being replaced may be missing for a moment; it is
			// read again at the next tick.
			r.log.Debug("tls: read certificate files", "err", err.Error())
			continue
		}
		r.mu.Lock()
		changed := fingerprint(cert, key) != r.seen
		r.mu.Unlock()
		if changed {
			_ = r.Reload() // logged by Reload
		}
	}
}

func (r *Reloader) read() (cert, key []byte, err error) {
	if cert, err = os.ReadFile(r.certFile); err != nil {
		return nil, nil, fmt.Errorf("tls: certificate: %w", err)
	}
	if key, err = os.ReadFile(r.keyFile); err != nil {
		return nil, nil, fmt.Errorf("tls: key: %w", err)
	}
	return cert, key, nil
}

func (r *Reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	certPEM, keyPEM, err := r.read()
	if err != nil {
		return err
	}
	r.seen = fingerprint(certPEM, keyPEM)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error names what is wrong with the PEM, never the key.
		return fmt.Errorf("tls: %s and %s: %w", r.certFile, r.keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("tls: %s: %w", r.certFile, err)
		}
		pair.Leaf = leaf
	}
	r.cert.Store(&pair)
	r.loads.Add(1)
	attrs := []any{"subject", leaf.Subject.String(), "serial", leaf.SerialNumber.String(),
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "cert_file", r.certFile}
	if time.Now().After(leaf.NotAfter) {
		r.log.Warn("tls: certificate loaded, but it has expired", attrs...)
	} else {
		r.log.Info("tls: certificate loaded", attrs...)
	}
	return nil
}

// fingerprint identifies the contents of both files.
func fingerprint(cert, key []byte) [sha256.Size]byte {
	return sha256.Sum256(bytes.Join([][]byte{cert, key}, []byte{0}))
}
