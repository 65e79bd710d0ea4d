package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCommand asks a running server's /healthz and exits 0 on 200,
// 1 otherwise. It exists for images without a shell or curl (the
// container's HEALTHCHECK runs the binary itself). Like every flag,
// --listen may come from KEYHOLD_LISTEN, so inside the container it finds
// the port the server listens on without arguments; with --tls-cert
// (KEYHOLD_TLS_CERT, as serve reads it) it asks over https and trusts
// exactly the certificate in that file, whatever names it carries.
func healthcheckCommand(io stdio) *cobra.Command {
	var url, listen, tlsCert string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the server on this machine answers /healthz with 200, 1 otherwise",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client := http.DefaultClient
			if tlsCert != "" {
				c, err := pinnedClient(tlsCert)
				if err != nil {
					return err
				}
				client = c
			}
			target := url
			if target == "" {
				u, err := healthURL(listen, tlsCert != "")
				if err != nil {
					return err
				}
				target = u
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return fmt.Errorf("--url: %w", err)
			}
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s", target, resp.Status)
			}
			_, _ = fmt.Fprintln(io.out, "ok")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&url, "url", "", "URL to ask (default http://LISTEN/healthz)")
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "the server's --listen address; an unspecified host (0.0.0.0, ::) is asked on loopback")
	fl.StringVar(&tlsCert, "tls-cert", "", "the server's --tls-cert file: ask over https, trusting exactly its first certificate")
	fl.DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

// healthURL turns a listen address into the loopback URL of its /healthz.
func healthURL(listen string, https bool) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port) + "/healthz", nil
}

// pinnedClient trusts one certificate, the first in the PEM file, by its
// bytes: a check on loopback cannot expect the server's names to match.
func pinnedClient(path string) (*http.Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("--tls-cert %s: no PEM certificate", path)
	}
	want := block.Bytes
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The certificate is checked by VerifyPeerCertificate below, against
		// the one in the file, instead of by name and chain.
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want) {
				return errors.New("the server's certificate is not the one in --tls-cert")
			}
			return nil
		},
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}
