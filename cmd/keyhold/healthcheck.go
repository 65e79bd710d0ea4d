package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCommand asks a running server's /healthz and exits 0 on 200,
// 1 otherwise. It exists for images without a shell or curl (the
// container's HEALTHCHECK runs the binary itself). Like every flag,
// --listen may come from KEYHOLD_LISTEN, so inside the container it finds
// the port the server listens on without arguments.
func healthcheckCommand(io stdio) *cobra.Command {
	var url, listen string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the server on this machine answers /healthz with 200, 1 otherwise",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target := url
			if target == "" {
				u, err := healthURL(listen)
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
			resp, err := http.DefaultClient.Do(req)
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
	fl.DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

// healthURL turns a listen address into the loopback URL of its /healthz.
func healthURL(listen string) (string, error) {
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
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
